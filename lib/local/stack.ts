import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { handler as crmOfficeWebhook } from "#functions/webhook-crmoffice";
import { handler as exactWebhook } from "#functions/webhook-exactonline";
import { callback as exactAuthorizationCallback, start as exactAuthorizationStart } from "#functions/exact-authorization";
import { handler as health } from "#functions/health";
import { handler as poller } from "#functions/poller";
import { handler as worker } from "#functions/worker";
import { connectorsFromEnvironment } from "#lib/config/connectors";
import { connectExactLikeAnOperator } from "#lib/local/connect";
import { loadSecrets } from "#lib/config/secrets";
import { runBackfill } from "#lib/sync/backfill";
import { backfillDeps } from "#lib/sync/context";
import { subscribeWebhooks } from "#lib/sync/subscriptions";
import { WORKER_BATCH_SIZE, WORKER_BATCHING_WINDOW_SECONDS } from "#lib/sync/batch";
import { LOCAL_RESOURCE_PREFIX, localPort, queueNames } from "#lib/local/defaults";
import { startHttpApi } from "#lib/local/http-api";
import { startInfrastructure, useLocalAws } from "#lib/local/infrastructure";
import { createQueues, createTable } from "#lib/local/resources";
import { localProductEnvironment, type ProductEnvironment } from "#lib/local/settings";
import type { RuntimeLog } from "#lib/local/runtime-log";
import { consoleRuntimeLog } from "#lib/local/runtime-log";
import { createLambdaContext } from "#lib/local/lambda-context";
import { startSchedule } from "#lib/local/scheduler";
import { startSqsEventSource } from "#lib/local/sqs-event-source";
import { startCrmOfficeSandbox, type CrmOfficeSandbox, type CrmOfficeSandboxOptions } from "#lib/sandbox/crmoffice/server";
import { startExactSandbox, type ExactSandbox, type ExactSandboxOptions } from "#lib/sandbox/exactonline/server";

/**
 * Locally the poller runs every 15 s: its four sync-API calls a run stay far inside Exact's
 * 60 calls a minute, and a missed webhook or an employee edit shows within seconds.
 */
const LOCAL_POLL_INTERVAL_MS = 15_000;

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
  /** How often the Exact poller runs (ms); 0 turns the schedule off (tests drive polls themselves). */
  pollIntervalMs?: number;
  /** Leave EXACT_DEFAULT_ACCOUNT_ID unset (CRMOffice-born contacts are then unsyncable). */
  withoutDefaultAccount?: boolean;
  /** Settings the handlers run with beyond the stack's own (e.g. a test's tighter limits). */
  settings?: ProductEnvironment;
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

/**
 * Locally every feed is read on every wake of the scheduler (no back-off: a lost webhook shows
 * within a wake or two), and the division is checked every fourth wake.
 */
function localPollSchedule(wakeMs: number): ProductEnvironment {
  const minutes = String((wakeMs > 0 ? wakeMs : LOCAL_POLL_INTERVAL_MS) / 60_000);
  return {
    EXACT_POLL_EMPLOYEES_MINUTES: minutes,
    EXACT_POLL_FALLBACK_MINUTES: minutes,
    EXACT_POLL_DELETED_MINUTES: minutes,
    EXACT_POLL_MAX_BACKOFF_MINUTES: minutes,
    EXACT_DIVISION_CHECK_MINUTES: String(Number(minutes) * 4),
  };
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
      const infrastructure = await startInfrastructure({
        dynamoPort: ports.dynamodb ?? localPort("dynamodb"),
        sqsPort: ports.sqs ?? localPort("sqs"),
      });
      stops.push(() => infrastructure.stop());
      aws = infrastructure;
    }
    useLocalAws(aws);
    const prefix = options.resourcePrefix ?? LOCAL_RESOURCE_PREFIX;
    const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 5;
    const sqs = new SQSClient({});
    await createTable(new DynamoDBClient({}), prefix);
    const queues = await createQueues(sqs, {
      name: queueNames(prefix).queue,
      visibilityTimeoutSeconds,
      maxReceiveCount: 5,
    });

    const seed = options.seed ?? "demo";
    const exactSandbox = await startExactSandbox({ port: ports.exactonline ?? localPort("exactonline"), seed, ...options.exactSandbox });
    stops.push(() => exactSandbox.stop());
    const crmofficeSandbox = await startCrmOfficeSandbox({
      port: ports.crmoffice ?? localPort("crmoffice"),
      seed,
      ...options.crmofficeSandbox,
    });
    stops.push(() => crmofficeSandbox.stop());

    const api = await startHttpApi({
      port: ports.api ?? localPort("api"),
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
      ...localProductEnvironment({
        tableName: prefix,
        queueUrl: queues.queueUrl,
        exactUrl: exactSandbox.url,
        crmofficeUrl: crmofficeSandbox.url,
        withoutDefaultAccount: options.withoutDefaultAccount,
      }),
      DEAD_LETTER_QUEUE_URL: queues.dlqUrl,
      // The governor spends the budget the Exact sandbox grants (its defaults are Exact's: 60 a minute, 5,000 a day).
      EXACT_CALLS_PER_MINUTE: String(options.exactSandbox?.rateLimit?.perMinute ?? 60),
      EXACT_CALLS_PER_DAY: String(options.exactSandbox?.rateLimit?.perDay ?? 5000),
      ...localPollSchedule(options.pollIntervalMs ?? LOCAL_POLL_INTERVAL_MS),
      ...options.settings,
    } satisfies ProductEnvironment as Record<string, string>;
    Object.assign(process.env, env);
    const { exactonline, crmoffice } = await connectorsFromEnvironment();
    const secrets = await loadSecrets(["CRMOFFICE_WEBHOOK_SECRET"]);
    // Exact is connected the way an operator connects it: a one-time link, followed like a browser.
    await connectExactLikeAnOperator(api.url, prefix);

    const workerSource = startSqsEventSource({
      sqs,
      queueUrl: queues.queueUrl,
      queueArn: queues.queueArn,
      handler: worker,
      batchSize: WORKER_BATCH_SIZE,
      visibilityTimeoutSeconds,
      maximumBatchingWindowMs: WORKER_BATCHING_WINDOW_SECONDS * 1000,
      concurrency: options.workerConcurrency ?? 2,
      functionTimeoutMs: 30_000,
      log,
    });
    stops.push(() => workerSource.stop());

    await subscribeWebhooks({ exactonline, crmoffice }, api.url, secrets.CRMOFFICE_WEBHOOK_SECRET);

    // The first poll places the feeds' cursors at their ends; what existed before is the backfill's.
    await poller({}, createLambdaContext({ functionName: "poller" }));
    const pollIntervalMs = options.pollIntervalMs ?? LOCAL_POLL_INTERVAL_MS;
    if (pollIntervalMs > 0) {
      const schedule = startSchedule({ everyMs: pollIntervalMs, handler: poller, ruleName: "exact-poller", log });
      stops.push(() => schedule.stop());
    }

    // The demo's records existed before the subscriptions: an initial sync links them.
    if (seed === "demo") {
      await runBackfill(await backfillDeps());
    }

    return {
      urls: {
        api: api.url,
        exactonline: exactSandbox.url,
        crmoffice: crmofficeSandbox.url,
        dynamodb: aws.dynamoEndpoint,
        sqs: aws.sqsEndpoint,
      },
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
