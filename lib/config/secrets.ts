import { getParametersByName } from "@aws-lambda-powertools/parameters/ssm";
import { z } from "zod";

/**
 * Secrets come from SSM Parameter Store in AWS (SecureString under `SSM_PARAMETER_PREFIX`,
 * cached by Powertools for five minutes) and from the environment locally. They are never
 * logged and never placed in the template's plain environment.
 */
export const SECRET_NAMES = ["EXACT_CLIENT_SECRET", "EXACT_WEBHOOK_SECRET", "CRMOFFICE_CLIENT_SECRET", "CRMOFFICE_WEBHOOK_SECRET"] as const;

export type SecretName = (typeof SECRET_NAMES)[number];
export type Secrets = Record<SecretName, string>;

const SecretsSchema = z.object(
  Object.fromEntries(SECRET_NAMES.map((name) => [name, z.string().min(1)])) as Record<SecretName, z.ZodString>,
);

export async function loadSecrets(env: NodeJS.ProcessEnv = process.env): Promise<Secrets> {
  const prefix = env.SSM_PARAMETER_PREFIX;
  if (!prefix) return SecretsSchema.parse(env);
  const paths = Object.fromEntries(SECRET_NAMES.map((name) => [`${prefix}/${name}`, { decrypt: true }]));
  const values = await getParametersByName<string>(paths, { maxAge: 300, throwOnError: true });
  return SecretsSchema.parse(Object.fromEntries(SECRET_NAMES.map((name) => [name, values[`${prefix}/${name}`]])));
}
