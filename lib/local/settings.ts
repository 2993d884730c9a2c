/**
 * The settings and secrets the product runs with against the local sandboxes (their fixed
 * development credentials), for the local stack and for syncctl pointed at it: one list, typed
 * by the settings' and secrets' own names, so a misspelt or forgotten name fails the type check.
 */
import type { SecretName } from "#lib/config/secrets";
import type { SettingName } from "#lib/config/settings";
import { CRMOFFICE_SANDBOX, EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";

export type ProductEnvironment = Partial<Record<SettingName | SecretName | "SSM_PARAMETER_PREFIX", string>>;

export interface LocalParts {
  tableName: string;
  queueUrl: string;
  exactUrl: string;
  crmofficeUrl: string;
  /** Leave EXACT_DEFAULT_ACCOUNT_ID empty (CRMOffice-born contacts are then unsyncable). */
  withoutDefaultAccount?: boolean;
}

export function localProductEnvironment(parts: LocalParts): ProductEnvironment & Record<SecretName, string> {
  return {
    TABLE_NAME: parts.tableName,
    EVENTS_QUEUE_URL: parts.queueUrl,
    EXACT_BASE_URL: parts.exactUrl,
    EXACT_DIVISION: String(EXACT_SANDBOX.division),
    EXACT_CLIENT_ID: EXACT_SANDBOX.clientId,
    EXACT_CLIENT_SECRET: EXACT_SANDBOX.clientSecret,
    EXACT_REDIRECT_URI: EXACT_SANDBOX.redirectUri,
    EXACT_WEBHOOK_SECRET: EXACT_SANDBOX.webhookSecret,
    EXACT_DEFAULT_ACCOUNT_ID: parts.withoutDefaultAccount ? "" : EXACT_SANDBOX.defaultAccountId,
    CRMOFFICE_BASE_URL: parts.crmofficeUrl,
    CRMOFFICE_CLIENT_ID: CRMOFFICE_SANDBOX.clientId,
    CRMOFFICE_CLIENT_SECRET: CRMOFFICE_SANDBOX.clientSecret,
    CRMOFFICE_WEBHOOK_SECRET: CRMOFFICE_SANDBOX.webhookSecret,
  };
}
