/**
 * The settings an operator's syncctl runs with against a deployed stage come from the stage
 * itself: the worker function's own configuration (its environment, as deployed), never from the
 * operator's shell, where a stale or mistyped EXACT_DIVISION or base URL would make syncctl read,
 * write or connect the wrong company. And a stage only ever talks to its systems over HTTPS, on
 * a public address: a plain-HTTP or loopback base URL is refused before anything is called.
 */
import { CliError } from "#lib/cli/errors";
import type { ProductEnvironment } from "#lib/local/settings";
import { SETTING_NAMES, type SettingName } from "#lib/config/settings";

/** The deployed function whose configuration is the stage's: the worker carries every connector setting. */
export const CONFIGURATION_FUNCTION = "worker";

/** Settings that name where the stage's systems live: HTTPS only, never this machine. */
const BASE_URL_SETTINGS = ["EXACT_BASE_URL", "CRMOFFICE_BASE_URL", "EXACT_REDIRECT_URI"] as const satisfies readonly SettingName[];

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|0\.0\.0\.0)$/i;

/** Refuses what is not an HTTPS URL on a public host; `what` names it in the message. */
export function requirePublicHttps(url: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`${what} is not a URL`);
  }
  if (parsed.protocol !== "https:")
    throw new CliError(`${what} must be an https URL for a deployed stage, got ${parsed.protocol}//${parsed.host}`);
  if (LOOPBACK.test(parsed.hostname))
    throw new CliError(`${what} points at this machine (${parsed.hostname}); a deployed stage never does`);
  return url;
}

/**
 * The product's settings out of a deployed function's environment variables: only the names the
 * settings define (so nothing else of the function's environment leaks into the operator's),
 * with every base URL checked.
 */
export function settingsFromFunction(variables: Record<string, string | undefined>): ProductEnvironment {
  const settings: ProductEnvironment = {};
  for (const name of SETTING_NAMES) {
    const value = variables[name];
    if (value !== undefined) settings[name] = value;
  }
  for (const name of BASE_URL_SETTINGS) {
    const value = settings[name];
    if (value === undefined)
      throw new CliError(`the deployed ${CONFIGURATION_FUNCTION} function has no ${name}: is the stage deployed from this serverless.yml?`);
    requirePublicHttps(value, `the stage's ${name}`);
  }
  return settings;
}
