/**
 * The settings and secrets the product runs with against the local sandboxes (their fixed
 * development credentials), for the local stack and for syncctl pointed at it: one list, typed
 * by the settings' and secrets' own names, so a misspelt or forgotten name fails the type check.
 */
import type { OptionalSecretName, SecretName } from "#lib/config/secrets";
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

/** Development keys of the local stack: they protect nothing but a stack on one machine. */
export const LOCAL_KEYS = {
  oauthStateKey: "local-stack-oauth-state-key",
  /** AES-256 key (base64) that stands in for the stage's KMS key: the Exact tokens are encrypted at rest locally too. */
  tokenEncryptionKey: "bG9jYWwtc3RhY2stdG9rZW4ta2V5LW5vdC1hLXNlY3I=",
} as const;

export function localProductEnvironment(parts: LocalParts): ProductEnvironment & Record<Exclude<SecretName, OptionalSecretName>, string> {
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
    EXACT_OAUTH_STATE_KEY: LOCAL_KEYS.oauthStateKey,
    TOKEN_ENCRYPTION_KEY: LOCAL_KEYS.tokenEncryptionKey,
  };
}
