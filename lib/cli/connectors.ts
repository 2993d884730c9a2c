import { crmOfficeConfig, exactConfig } from "#lib/config/connectors";
import { loadSecrets } from "#lib/config/secrets";
import { parseSettings } from "#lib/config/settings";
import { createCrmOfficeConnector } from "#lib/connectors/crmoffice/client";
import { createExactConnector } from "#lib/connectors/exactonline/client";

/** Both connectors as the deployed functions build them, from the environment the CLI set up. */
export async function cliConnectors() {
  const settings = parseSettings(process.env);
  const secrets = await loadSecrets(process.env);
  return {
    settings,
    secrets,
    exactonline: createExactConnector(exactConfig(settings, secrets)),
    crmoffice: createCrmOfficeConnector(crmOfficeConfig(settings, secrets)),
  };
}
