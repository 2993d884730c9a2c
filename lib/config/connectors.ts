import type { CrmOfficeConnectorConfig } from "#lib/connectors/crmoffice/client";
import type { ExactOAuthConfig } from "#lib/connectors/exactonline/tokens";
import type { Secrets } from "#lib/config/secrets";
import type { Settings } from "#lib/config/settings";

type ConnectorSettings = Pick<Settings, "EXACT_BASE_URL" | "EXACT_DIVISION" | "EXACT_CLIENT_ID" | "EXACT_REDIRECT_URI" | "TABLE_NAME" | "CRMOFFICE_BASE_URL" | "CRMOFFICE_CLIENT_ID">;

/** The Exact connector's (and token store's) configuration from settings and secrets. */
export function exactConfig(settings: ConnectorSettings, secrets: Pick<Secrets, "EXACT_CLIENT_SECRET">): ExactOAuthConfig {
  return {
    baseUrl: settings.EXACT_BASE_URL,
    division: settings.EXACT_DIVISION,
    clientId: settings.EXACT_CLIENT_ID,
    clientSecret: secrets.EXACT_CLIENT_SECRET,
    redirectUri: settings.EXACT_REDIRECT_URI,
    tableName: settings.TABLE_NAME,
  };
}

export function crmOfficeConfig(settings: ConnectorSettings, secrets: Pick<Secrets, "CRMOFFICE_CLIENT_SECRET">): CrmOfficeConnectorConfig {
  return { baseUrl: settings.CRMOFFICE_BASE_URL, clientId: settings.CRMOFFICE_CLIENT_ID, clientSecret: secrets.CRMOFFICE_CLIENT_SECRET };
}
