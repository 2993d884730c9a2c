import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { handler as crmOfficeWebhook } from "#functions/webhook-crmoffice";
import { handler as exactWebhook } from "#functions/webhook-exactonline";
import { callback as exactAuthorizationCallback, start as exactAuthorizationStart } from "#functions/exact-authorization";
import { handler as health } from "#functions/health";
import { handler as worker } from "#functions/worker";
import { createCrmOfficeConnector } from "#lib/connectors/crmoffice/client";
import { WEBHOOK_EVENTS } from "#lib/connectors/crmoffice/schemas";
import { createExactConnector } from "#lib/connectors/exactonline/client";
import { createExactTokenStore, type ExactOAuthConfig } from "#lib/connectors/exactonline/tokens";
import { crmOfficeConfig, exactConfig } from "#lib/config/connectors";
import { loadSecrets } from "#lib/config/secrets";
import { parseSettings } from "#lib/config/settings";
import { enqueueInitialSync } from "#lib/sync/initial-sync";
import { startHttpApi } from "#lib/local/http-api";
import { startInfrastructure, useLocalAws } from "#lib/local/infrastructure";
import { createQueues, createTable } from "#lib/local/resources";
import type { RuntimeLog } from "#lib/local/runtime-log";
import { consoleRuntimeLog } from "#lib/local/runtime-log";
import { startSqsEventSource } from "#lib/local/sqs-event-source";
import { startCrmOfficeSandbox, type CrmOfficeSandbox, type CrmOfficeSandboxOptions } from "#lib/sandbox/crmoffice/server";
import { CRMOFFICE_SANDBOX, EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { startExactSandbox, type ExactSandbox, type ExactSandboxOptions } from "#lib/sandbox/exactonline/server";

export interface LocalStackOptions {
  /** Ports (0 picks a free one). */
  ports?: Partial<Record<"api" | "exactonline" | "crmoffice" | "dynamodb" | "sqs", number>>;
  /** Already running emulators (the test suite shares one pair); otherwise the stack starts its own. */
  aws?: { dynamoEndpoint: string; sqsEndpoint: string };
  seed?: "demo" | "none";
  /** Names of the table and queue; distinct names let several stacks share the emulators. */
  resourcePrefix?: string;
  exactSandbox?: Partial<ExactSandboxOptions>;
  crmofficeSandbox?: Partial<CrmOfficeSandboxOptions>;
  /** Seconds a received message stays hidden; short locally so retries come within seconds. */
  visibilityTimeoutSeconds?: number;
  workerConcurrency?: number;
  /** Leave EXACT_DEFAULT_ACCOUNT_ID unset (CRMOffice-born contacts are then unsyncable). */
  withoutDefaultAccount?: boolean;
  log?: RuntimeLog;
}

export interface LocalStack {
  urls: { api: string; exactonline: string; crmoffice: string; dynamodb: string; sqs: string };
  tableName: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  exactSandbox: ExactSandbox;
  crmofficeSandbox: CrmOfficeSandbox;
  /** The settings the handlers run with (also placed in process.env). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Follows the sandbox's auto-approving OAuth page, as a user's browser would, and stores the tokens. */
async function authorizeExact(config: ExactOAuthConfig): Promise<void> {
  const tokens = createExactTokenStore(config);
  const consent = await fetch(tokens.authorizeUrl("local-stack"), { redirect: "manual" });
  const location = consent.headers.get("location");
  const code = location ? new URL(location).searchParams.get("code") : null;
  if (!code) throw new Error(`Exact authorisation gave no code (HTTP ${consent.status})`);
  await tokens.exchangeAuthorizationCode(code);
}

/**
 * The whole product on one machine: AWS's DynamoDB Local and the SQS emulator, both sandboxes,
 * the webhook API and the worker, wired exactly as in AWS and invoking the same handlers.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? consoleRuntimeLog;
  const ports = options.ports ?? {};
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopPart of stops.reverse()) await stopPart().catch((error: unknown) => log.error("stop failed", error));
  };
  try {
    let aws = options.aws;
    if (!aws) {
      const infrastructure = await startInfrastructure({ dynamoPort: ports.dynamodb ?? 8000, sqsPort: ports.sqs ?? 9324 });
      stops.push(() => infrastructure.stop());
      aws = infrastructure;
    }
    useLocalAws(aws);
    const prefix = options.resourcePrefix ?? "exact-crmoffice-sync-local";
    const sqs = new SQSClient({});
    await createTable(new DynamoDBClient({}), prefix);
    const queues = await createQueues(sqs, { name: `${prefix}-events`, visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 5, maxReceiveCount: 5 });

    const seed = options.seed ?? "demo";
    const exactSandbox = await startExactSandbox({ port: ports.exactonline ?? 3001, seed, ...options.exactSandbox });
    stops.push(() => exactSandbox.stop());
    const crmofficeSandbox = await startCrmOfficeSandbox({ port: ports.crmoffice ?? 3002, seed, ...options.crmofficeSandbox });
    stops.push(() => crmofficeSandbox.stop());

    const api = await startHttpApi({
      port: ports.api ?? 3000,
      log,
      routes: {
        "POST /webhooks/exactonline": exactWebhook,
        "POST /webhooks/crmoffice": crmOfficeWebhook,
        "GET /oauth/exactonline/start": exactAuthorizationStart,
        "GET /oauth/exactonline/callback": exactAuthorizationCallback,
        "GET /health": health,
      },
    });
    stops.push(() => api.close());

    const env: Record<string, string> = {
      TABLE_NAME: prefix,
      EVENTS_QUEUE_URL: queues.queueUrl,
      EXACT_BASE_URL: exactSandbox.url,
      EXACT_DIVISION: String(EXACT_SANDBOX.division),
      EXACT_CLIENT_ID: EXACT_SANDBOX.clientId,
      EXACT_CLIENT_SECRET: EXACT_SANDBOX.clientSecret,
      EXACT_REDIRECT_URI: EXACT_SANDBOX.redirectUri,
      EXACT_WEBHOOK_SECRET: EXACT_SANDBOX.webhookSecret,
      EXACT_DEFAULT_ACCOUNT_ID: options.withoutDefaultAccount ? "" : EXACT_SANDBOX.defaultAccountId,
      CRMOFFICE_BASE_URL: crmofficeSandbox.url,
      CRMOFFICE_CLIENT_ID: CRMOFFICE_SANDBOX.clientId,
      CRMOFFICE_CLIENT_SECRET: CRMOFFICE_SANDBOX.clientSecret,
      CRMOFFICE_WEBHOOK_SECRET: CRMOFFICE_SANDBOX.webhookSecret,
    };
    Object.assign(process.env, env);
    const connectorSettings = parseSettings(process.env);
    const secrets = await loadSecrets(process.env);
    await authorizeExact(exactConfig(connectorSettings, secrets));

    const workerSource = startSqsEventSource({
      sqs,
      queueUrl: queues.queueUrl,
      queueArn: queues.queueArn,
      handler: worker,
      concurrency: options.workerConcurrency ?? 2,
      functionTimeoutMs: 30_000,
      log,
    });
    stops.push(() => workerSource.stop());

    // Subscribe the way a user would, through each system's API.
    const exact = createExactConnector(exactConfig(connectorSettings, secrets));
    for (const topic of ["Contacts", "Items"] as const) {
      await exact.webhookSubscriptions.create({ callbackUrl: `${api.url}/webhooks/exactonline`, topic });
    }
    const crm = createCrmOfficeConnector(crmOfficeConfig(connectorSettings, secrets));
    await crm.webhooks.create({ url: `${api.url}/webhooks/crmoffice`, events: WEBHOOK_EVENTS, secret: CRMOFFICE_SANDBOX.webhookSecret });

    if (seed === "demo") await enqueueInitialSync({ exactonline: exact, crmoffice: crm }, queues.queueUrl);

    return {
      urls: { api: api.url, exactonline: exactSandbox.url, crmoffice: crmofficeSandbox.url, dynamodb: aws.dynamoEndpoint, sqs: aws.sqsEndpoint },
      tableName: prefix,
      queueUrl: queues.queueUrl,
      deadLetterQueueUrl: queues.dlqUrl,
      exactSandbox,
      crmofficeSandbox,
      env,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
