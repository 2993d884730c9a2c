/** Where `npm start` puts things unless told otherwise; `syncctl` finds the local stack here. */
export const LOCAL_PORTS = {
  api: { env: "WEBHOOK_API_PORT", port: 3000 },
  exactonline: { env: "EXACT_SANDBOX_PORT", port: 3001 },
  crmoffice: { env: "CRMOFFICE_SANDBOX_PORT", port: 3002 },
  dynamodb: { env: "DYNAMODB_PORT", port: 8000 },
  sqs: { env: "SQS_PORT", port: 9324 },
  console: { env: "CONSOLE_PORT", port: 3003 },
} as const;

export type LocalPart = keyof typeof LOCAL_PORTS;

/** The local stack's port for a part, honouring its environment variable. */
export function localPort(part: LocalPart, env: NodeJS.ProcessEnv = process.env): number {
  const { env: name, port } = LOCAL_PORTS[part];
  return env[name] ? Number(env[name]) : port;
}

/** Table name, and the prefix of the queue (`-events`) and dead-letter queue (`-events-dlq`). */
export const LOCAL_RESOURCE_PREFIX = "exact-crmoffice-sync-local";
export const queueNames = (prefix: string) => ({ queue: `${prefix}-events`, deadLetterQueue: `${prefix}-events-dlq` });
