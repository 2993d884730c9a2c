/**
 * The soak's own local stack: the product's `startLocalStack` with its own DynamoDB Local and
 * SQS emulator on free ports (so it runs beside `npm start`, like the bench), empty sandboxes,
 * the Exact poller on its schedule, and no worker in this process: two worker processes of their
 * own instead (lib/local/worker-process.ts), which the soak kills and replaces. Two TCP proxies
 * are the fault switches the stack itself has: one in front of DynamoDB Local (every part of the
 * product reaches DynamoDB through it) and one in front of the webhook API (both sandboxes'
 * webhook subscriptions point at it).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { pollUntil } from "#lib/bench/driver";
import { queueDepth } from "#lib/cli/commands/status";
import { connectorsFromEnvironment } from "#lib/config/connectors";
import type { CrmOfficeConnector } from "#lib/connectors/crmoffice/client";
import type { ExactConnector } from "#lib/connectors/exactonline/client";
import { startInfrastructure } from "#lib/local/infrastructure";
import { startLocalStack, type LocalStack } from "#lib/local/stack";
import { startTcpProxy, type TcpProxy } from "#lib/local/tcp-proxy";
import { startWorkerProcess, type WorkerProcess } from "#lib/local/worker-processes";
import { CRMOFFICE_SANDBOX } from "#lib/sandbox/dev-credentials";
import { subscribeWebhooks } from "#lib/sync/subscriptions";
import { ProductTracker } from "./tracker";

/** Exact's real budget (60 a minute, 5,000 a day), or lifted for `--fast`. */
export const EXACT_REAL_LIMIT = { perMinute: 60, perDay: 5_000 } as const;
export const EXACT_LIFTED_LIMIT = { perMinute: 1_000_000, perDay: 100_000_000 } as const;

/**
 * The product's timing settings for the soak, short (as in the fault tests) so that retries,
 * lease take-overs and redeliveries happen within seconds: a call gives up after 2 s, a lease
 * outlasts two of them, a received message comes back after 4 s.
 */
export const SOAK_TIMING = {
  httpTimeoutMs: 2_000,
  leaseMs: 6_000,
  visibilityTimeoutSeconds: 4,
  /** How long a "timeout whose write lands" holds a call: past the product's timeout, well inside its lease. */
  heldCallMs: 2_700,
} as const;

/** Every webhook is delivered this late: a person's two writes made "at once" both land before either is synced. */
export const DELIVERY_DELAY_MS = 150;

export interface SoakStackOptions {
  fast: boolean;
  /** Already running emulators (the test suite's); otherwise the soak starts its own on free ports. */
  aws?: { dynamoEndpoint: string; sqsEndpoint: string };
  resourcePrefix: string;
  pollIntervalMs?: number;
  /** The sandboxes' source of chance for duplicate deliveries (the duplicate-delivery fault switches it). */
  deliveryRandom: () => number;
  workers?: number;
  log?: (line: string) => void;
}

export interface SoakStack {
  stack: LocalStack;
  connectors: { exactonline: ExactConnector; crmoffice: CrmOfficeConnector };
  tracker: ProductTracker;
  dynamoProxy: TcpProxy;
  webhookProxy: TcpProxy;
  /** A DynamoDB client that bypasses the proxy, for the soak's own reads of the product's table. */
  db: DynamoDBDocumentClient;
  pollIntervalMs: number;
  workers(): readonly WorkerProcess[];
  /** SIGKILLs `worker` and starts a new one in its place; resolves once the new one polls. */
  replaceWorker(worker: WorkerProcess): Promise<WorkerProcess>;
  /** Points the sandboxes' webhook subscriptions (again) at the webhook proxy; idempotent. */
  subscribe(): Promise<void>;
  /** Removes Exact's webhook subscriptions: its notifications are lost until `subscribe()`. */
  unsubscribeExact(): Promise<void>;
  queueDepth(): Promise<number>;
  deadLetterDepth(): Promise<number>;
  /**
   * Waits until the product is done: no write or webhook delivery for `quietMs` after `since`,
   * a poll finished after that (it would have found a change whose webhook was lost), and the
   * events queue empty.
   */
  quiet(options: { since: number; quietMs?: number; timeoutMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

export class NeverQuietError extends Error {
  override name = "NeverQuietError";
}

export async function startSoakStack(options: SoakStackOptions): Promise<SoakStack> {
  const log = options.log ?? (() => undefined);
  const stops: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const part of stops.reverse()) await Promise.resolve(part()).catch((error: unknown) => log(`stop failed: ${String(error)}`));
  };
  try {
    let aws = options.aws;
    if (!aws) {
      const infrastructure = await startInfrastructure({ dynamoPort: 0, sqsPort: 0 });
      stops.push(() => infrastructure.stop());
      aws = infrastructure;
    }
    const dynamoProxy = await startTcpProxy(aws.dynamoEndpoint);
    stops.push(() => dynamoProxy.close());

    Object.assign(process.env, {
      HTTP_TIMEOUT_MS: String(SOAK_TIMING.httpTimeoutMs),
      SYNC_LEASE_MS: String(SOAK_TIMING.leaseMs),
    });
    const rateLimit = options.fast ? EXACT_LIFTED_LIMIT : EXACT_REAL_LIMIT;
    const delivery = { delayMs: DELIVERY_DELAY_MS, duplicateRate: 1 };
    const pollIntervalMs = options.pollIntervalMs ?? 15_000;
    const stack = await startLocalStack({
      aws: { dynamoEndpoint: dynamoProxy.url, sqsEndpoint: aws.sqsEndpoint },
      ports: { api: 0, exactonline: 0, crmoffice: 0 },
      seed: "none",
      resourcePrefix: options.resourcePrefix,
      visibilityTimeoutSeconds: SOAK_TIMING.visibilityTimeoutSeconds,
      // The workers run in processes of their own (below), so that one can be killed.
      workerConcurrency: 0,
      pollIntervalMs,
      log: { error: (message: string, error?: unknown) => log(`${message} ${error === undefined ? "" : String(error)}`) },
      exactSandbox: { rateLimit: { ...rateLimit }, delivery, random: options.deliveryRandom },
      crmofficeSandbox: { delivery, random: options.deliveryRandom },
    });
    stops.push(() => stack.stop());

    const tracker = new ProductTracker(
      new Map([
        [stack.exactSandbox.port, "exactonline"],
        [stack.crmofficeSandbox.port, "crmoffice"],
        [Number(new URL(stack.urls.api).port), "api"],
      ] as const),
      SOAK_TIMING.heldCallMs + 500,
    );
    stops.push(() => tracker.stop());

    const webhookProxy = await startTcpProxy(stack.urls.api);
    stops.push(() => webhookProxy.close());
    const { exactonline, crmoffice } = await connectorsFromEnvironment(process.env);
    const connectors = { exactonline, crmoffice };
    // The stack subscribed both systems to the webhook API itself; the soak's subscriptions go through the proxy instead.
    for (const subscription of await exactonline.webhookSubscriptions.list())
      await exactonline.webhookSubscriptions.delete(subscription.id);
    for (const webhook of await crmoffice.webhooks.list()) await crmoffice.webhooks.delete(webhook.id);
    const subscribe = async () => {
      await subscribeWebhooks(connectors, webhookProxy.url, CRMOFFICE_SANDBOX.webhookSecret);
    };
    await subscribe();

    const direct = new DynamoDBClient({ endpoint: aws.dynamoEndpoint });
    stops.push(() => direct.destroy());
    const db = DynamoDBDocumentClient.from(direct, { marshallOptions: { removeUndefinedValues: true } });

    // The workers log what they do as the deployed function would; nobody reads it here, so less of it.
    const workerEnv = { ...process.env, POWERTOOLS_LOG_LEVEL: "WARN", POWERTOOLS_METRICS_DISABLED: "true" };
    const startWorker = async () => {
      const worker = startWorkerProcess({ queueUrl: stack.queueUrl, concurrency: 2, env: workerEnv });
      await worker.ready;
      return worker;
    };
    let workers = await Promise.all(Array.from({ length: options.workers ?? 2 }, () => startWorker()));
    stops.push(async () => {
      await Promise.all(workers.map((worker) => worker.kill("SIGKILL")));
    });

    const depth = () => queueDepth(stack.queueUrl);

    return {
      stack,
      connectors,
      tracker,
      dynamoProxy,
      webhookProxy,
      db,
      pollIntervalMs,
      workers: () => workers,
      async replaceWorker(worker) {
        await worker.kill("SIGKILL");
        const replacement = await startWorker();
        workers = workers.map((candidate) => (candidate === worker ? replacement : candidate));
        return replacement;
      },
      subscribe,
      async unsubscribeExact() {
        for (const subscription of await exactonline.webhookSubscriptions.list())
          await exactonline.webhookSubscriptions.delete(subscription.id);
      },
      queueDepth: depth,
      deadLetterDepth: () => queueDepth(stack.deadLetterQueueUrl),
      async quiet({ since, quietMs = 3_000, timeoutMs = 600_000 }) {
        const idleSince = () => Math.max(since, tracker.lastActivityAt);
        const polled = () => pollIntervalMs === 0 || tracker.lastPollEndedAt > idleSince();
        const done = await pollUntil(
          async () => {
            const now = performance.now();
            if (now - idleSince() < quietMs || !polled() || now - tracker.lastPollEndedAt < 500) return false;
            // Idle before and after asking the queue: a write may start while it answers.
            const before = idleSince();
            return (await depth()) === 0 && idleSince() === before;
          },
          { everyMs: 250, timeoutMs },
        );
        if (!done) throw new NeverQuietError(`the product did not go quiet within ${timeoutMs} ms (queue depth ${await depth()})`);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
