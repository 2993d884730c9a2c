import * as z from "#lib/util/zod-mini";
import { getParameters } from "#lib/aws/ssm";

/**
 * Secrets come from SSM Parameter Store in AWS (SecureString under `SSM_PARAMETER_PREFIX`,
 * encrypted with the stage's own KMS key) and from the environment locally. They are never
 * logged and never placed in the template's plain environment.
 *
 * Each function reads only the secrets it needs (`FUNCTION_SECRETS`), and its role may read only
 * those parameters (serverless.yml, held to this table by a test): the public webhook functions
 * never hold the OAuth client secrets.
 */
export const SECRET_NAMES = [
  "EXACT_CLIENT_SECRET",
  "EXACT_WEBHOOK_SECRET",
  "EXACT_WEBHOOK_SECRET_PREVIOUS",
  "CRMOFFICE_CLIENT_SECRET",
  "CRMOFFICE_WEBHOOK_SECRET",
  "CRMOFFICE_WEBHOOK_SECRET_PREVIOUS",
  "EXACT_OAUTH_STATE_KEY",
] as const;

export type SecretName = (typeof SECRET_NAMES)[number];
export type Secrets = Record<SecretName, string>;

/**
 * Present only while a webhook secret is being rotated: the previous secret is accepted beside
 * the current one for a window, so deliveries signed before the switch still verify.
 */
export const OPTIONAL_SECRETS = [
  "EXACT_WEBHOOK_SECRET_PREVIOUS",
  "CRMOFFICE_WEBHOOK_SECRET_PREVIOUS",
] as const satisfies readonly SecretName[];
export type OptionalSecretName = (typeof OPTIONAL_SECRETS)[number];
const isOptional = (name: SecretName) => (OPTIONAL_SECRETS as readonly SecretName[]).includes(name);

/** The secrets each deployed function reads (the keys are the functions' names in serverless.yml). */
export const FUNCTION_SECRETS = {
  webhookExactonline: ["EXACT_WEBHOOK_SECRET", "EXACT_WEBHOOK_SECRET_PREVIOUS"],
  webhookCrmoffice: ["CRMOFFICE_WEBHOOK_SECRET", "CRMOFFICE_WEBHOOK_SECRET_PREVIOUS"],
  worker: ["EXACT_CLIENT_SECRET", "CRMOFFICE_CLIENT_SECRET"],
  poller: ["EXACT_CLIENT_SECRET"],
  exactAuthorizationStart: ["EXACT_CLIENT_SECRET", "EXACT_OAUTH_STATE_KEY"],
  exactAuthorizationCallback: ["EXACT_CLIENT_SECRET", "EXACT_OAUTH_STATE_KEY"],
  health: [],
  replay: [],
} as const satisfies Record<string, readonly SecretName[]>;

export type SecretsOf<Names extends readonly SecretName[]> = {
  [Name in Names[number]]: Name extends (typeof OPTIONAL_SECRETS)[number] ? string | undefined : string;
};

/** How long secrets read from SSM are kept before they are read again (a rotated secret takes effect within this). */
export const SECRETS_MAX_AGE_SECONDS = 300;

const secretValue = z.string().check(z.minLength(1));

function check<Names extends readonly SecretName[]>(names: Names, values: Record<string, string | undefined>): SecretsOf<Names> {
  const result: Record<string, string | undefined> = {};
  for (const name of names) {
    const value = values[name] === "" ? undefined : values[name];
    if (value === undefined && isOptional(name)) continue;
    if (!secretValue.safeParse(value).success) throw new Error(`secret ${name} is missing`);
    result[name] = value;
  }
  return result as SecretsOf<Names>;
}

/**
 * What was read from SSM, by parameter path, and when: an optional parameter found absent is
 * kept too (`undefined`), so a function that has no previous webhook secret does not ask again
 * on every load. Each entry is read again once it is SECRETS_MAX_AGE_SECONDS old.
 */
const readFromSsm = new Map<string, { value: string | undefined; readAt: number }>();

/** The named secrets: from SSM under `SSM_PARAMETER_PREFIX` in AWS (one GetParameters call for those not cached), from the environment locally. */
export async function loadSecrets<const Names extends readonly SecretName[]>(
  names: Names,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SecretsOf<Names>> {
  const prefix = env.SSM_PARAMETER_PREFIX;
  if (!prefix) return check(names, env);
  const pathOf = (name: SecretName) => `${prefix}/${name}`;
  const now = Date.now();
  const due = names.map(pathOf).filter((path) => {
    const cached = readFromSsm.get(path);
    return cached === undefined || now - cached.readAt >= SECRETS_MAX_AGE_SECONDS * 1000;
  });
  if (due.length > 0) {
    const { values, invalid } = await getParameters(due, { decrypt: true });
    const required = invalid.filter((path) => !names.some((name) => isOptional(name) && path === pathOf(name)));
    if (required.length > 0) throw new Error(`SSM parameters missing or unreadable: ${required.join(", ")}`);
    for (const path of due) readFromSsm.set(path, { value: values[path], readAt: now });
  }
  return check(names, Object.fromEntries(names.map((name) => [name, readFromSsm.get(pathOf(name))?.value])));
}
