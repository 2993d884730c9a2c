/*
 * The connectors' configuration from settings and secrets: the Exact token cipher, the
 * division's call governor, both connectors' addresses and credentials. Nothing here writes
 * metrics, so a function that builds its configuration from these alone (the OAuth functions)
 * does not bundle Powertools Metrics; lib/config/connectors.ts builds the connectors from the
 * environment, with the budget metric for the functions that flush metrics.
 */
import type { CrmOfficeConnectorConfig } from "#lib/connectors/crmoffice/client";
import type { ExactConnectorConfig } from "#lib/connectors/exactonline/client";
import { createExactGovernor, type ExactBudgetUsage, type ExactCallGovernor } from "#lib/connectors/exactonline/governor";
import type { Secrets } from "#lib/config/secrets";
import { ConfigurationError, type Settings } from "#lib/config/settings";
import { kmsDataKeySource } from "#lib/aws/kms";
import { createTokenCipher, localDataKeySource, type TokenCipher } from "#lib/connectors/exactonline/token-cipher";
import type { ExactOAuthConfig } from "#lib/connectors/exactonline/tokens";

type ConnectorSettings = Pick<
  Settings,
  | "EXACT_BASE_URL"
  | "EXACT_DIVISION"
  | "EXACT_CLIENT_ID"
  | "EXACT_REDIRECT_URI"
  | "TABLE_NAME"
  | "CRMOFFICE_BASE_URL"
  | "CRMOFFICE_CLIENT_ID"
> &
  Partial<Pick<Settings, "HTTP_TIMEOUT_MS" | "TOKEN_KMS_KEY_ID" | "TOKEN_ENCRYPTION_KEY">>;
type GovernorSettings = Pick<
  Settings,
  "TABLE_NAME" | "EXACT_DIVISION" | "EXACT_CALLS_PER_MINUTE" | "EXACT_CALLS_PER_DAY" | "EXACT_CALLS_SAFETY_MARGIN"
>;

/** What the division's call governor reports as it learns the budget: nothing unless given. */
export interface ExactGovernorOptions {
  onUsage?: (usage: ExactBudgetUsage) => void;
}

/**
 * The Exact connector's (and token store's) configuration from settings and secrets, with the
 * division's call governor, so every connector built here (worker, poller, backfill, CLI)
 * spends the one budget. Settings without the governor's names get Exact's standard limits.
 */
export function exactConfig(
  settings: ConnectorSettings & Partial<GovernorSettings>,
  secrets: Pick<Secrets, "EXACT_CLIENT_SECRET">,
  options: ExactGovernorOptions = {},
): ExactConnectorConfig & ExactOAuthConfig {
  return {
    cipher: exactTokenCipher(settings),
    baseUrl: settings.EXACT_BASE_URL,
    division: settings.EXACT_DIVISION,
    clientId: settings.EXACT_CLIENT_ID,
    clientSecret: secrets.EXACT_CLIENT_SECRET,
    redirectUri: settings.EXACT_REDIRECT_URI,
    tableName: settings.TABLE_NAME,
    timeoutMs: settings.HTTP_TIMEOUT_MS,
    governor: exactGovernor(settings, options),
  };
}

const ciphers = new Map<string, TokenCipher>();

/**
 * How the deployment seals Exact's tokens: with its KMS key in AWS, with the local key where no
 * KMS runs. One cipher per process and key, so a container asks KMS for a data key once.
 */
export function exactTokenCipher(
  settings: Pick<Settings, "EXACT_DIVISION"> & Partial<Pick<Settings, "TOKEN_KMS_KEY_ID" | "TOKEN_ENCRYPTION_KEY">>,
): TokenCipher {
  const source = settings.TOKEN_KMS_KEY_ID ?? settings.TOKEN_ENCRYPTION_KEY;
  if (!source) throw new ConfigurationError("missing or invalid settings: TOKEN_KMS_KEY_ID (or, without KMS, TOKEN_ENCRYPTION_KEY)");
  const cacheKey = `${settings.EXACT_DIVISION}|${source}`;
  let cipher = ciphers.get(cacheKey);
  if (!cipher) {
    const keySource = settings.TOKEN_KMS_KEY_ID ? kmsDataKeySource(settings.TOKEN_KMS_KEY_ID) : localDataKeySource(source);
    cipher = createTokenCipher(keySource, { purpose: "exact-oauth-tokens", division: String(settings.EXACT_DIVISION) });
    ciphers.set(cacheKey, cipher);
  }
  return cipher;
}

/** By usage callback, then by configuration. */
const governors = new Map<ExactGovernorOptions["onUsage"], Map<string, ExactCallGovernor>>();

/**
 * The division's call governor, one per process and configuration: the worker, the poller and
 * the backfill of one process share what it has learned (all processes share its DynamoDB buckets).
 */
export function exactGovernor(
  settings: Pick<Settings, "TABLE_NAME" | "EXACT_DIVISION"> & Partial<GovernorSettings>,
  options: ExactGovernorOptions = {},
): ExactCallGovernor {
  const config = {
    tableName: settings.TABLE_NAME,
    division: settings.EXACT_DIVISION,
    perMinute: settings.EXACT_CALLS_PER_MINUTE,
    perDay: settings.EXACT_CALLS_PER_DAY,
    safetyMargin: settings.EXACT_CALLS_SAFETY_MARGIN,
  };
  const key = JSON.stringify(config);
  let byConfig = governors.get(options.onUsage);
  if (!byConfig) governors.set(options.onUsage, (byConfig = new Map()));
  let governor = byConfig.get(key);
  if (!governor) {
    governor = createExactGovernor({ ...config, onUsage: options.onUsage });
    byConfig.set(key, governor);
  }
  return governor;
}

export function crmOfficeConfig(settings: ConnectorSettings, secrets: Pick<Secrets, "CRMOFFICE_CLIENT_SECRET">): CrmOfficeConnectorConfig {
  return {
    baseUrl: settings.CRMOFFICE_BASE_URL,
    clientId: settings.CRMOFFICE_CLIENT_ID,
    clientSecret: secrets.CRMOFFICE_CLIENT_SECRET,
    timeoutMs: settings.HTTP_TIMEOUT_MS,
  };
}
