import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { loadSecrets } from "#lib/config/secrets";
import { parseSettings, type Settings } from "#lib/config/settings";
import { crmOfficeConfig, exactConfig, type ExactGovernorOptions } from "#lib/config/connector-config";
import type { ExactBudgetUsage } from "#lib/connectors/exactonline/governor";
import { createCrmOfficeConnector, type CrmOfficeConnector } from "#lib/connectors/crmoffice/client";
import { createExactConnector, type ExactConnector } from "#lib/connectors/exactonline/client";
import { metrics } from "#lib/telemetry/index";

export { crmOfficeConfig, exactConfig, exactGovernor, exactTokenCipher, type ExactGovernorOptions } from "#lib/config/connector-config";

export interface ExactConfigOptions {
  /** Emit the `ExactBudgetRemaining` metric as the governor learns figures (Lambda functions, whose middleware flushes metrics). */
  reportBudget?: boolean;
}

let lastReported: number | undefined;

/** `ExactBudgetRemaining`: calls the governor will still hand out now (the smaller of the minute's and the day's), when it changes. */
function reportExactBudget(usage: ExactBudgetUsage): void {
  const remaining = Math.min(usage.minute.remaining, usage.day.remaining);
  if (remaining === lastReported) return;
  lastReported = remaining;
  metrics.addMetric("ExactBudgetRemaining", MetricUnit.Count, remaining);
}

/** The budget metric as the governor's callback, when `reportBudget` asks for it. */
const governorOptions = ({ reportBudget }: ExactConfigOptions): ExactGovernorOptions =>
  reportBudget ? { onUsage: reportExactBudget } : {};

export interface EnvironmentConnectors {
  settings: Settings;
  exactonline: ExactConnector;
  crmoffice: CrmOfficeConnector;
}

/**
 * Both connectors as every part of the product builds them (worker, backfill, syncctl, the local
 * stack), from the settings of `env` and the two client secrets, and nothing more.
 */
export async function connectorsFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  options: ExactConfigOptions = {},
): Promise<EnvironmentConnectors> {
  const settings = parseSettings(env);
  const secrets = await loadSecrets(["EXACT_CLIENT_SECRET", "CRMOFFICE_CLIENT_SECRET"], env);
  return {
    settings,
    exactonline: createExactConnector(exactConfig(settings, secrets, governorOptions(options))),
    crmoffice: createCrmOfficeConnector(crmOfficeConfig(settings, secrets)),
  };
}

/** The Exact connector alone (the poller), with the one secret it needs. */
export async function exactConnectorFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  options: ExactConfigOptions = {},
): Promise<{ settings: Settings; exactonline: ExactConnector }> {
  const settings = parseSettings(env);
  const secrets = await loadSecrets(["EXACT_CLIENT_SECRET"], env);
  return { settings, exactonline: createExactConnector(exactConfig(settings, secrets, governorOptions(options))) };
}
