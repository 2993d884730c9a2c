/**
 * The bench's own local stack: the product's `startLocalStack` with its own DynamoDB Local and
 * SQS emulator on free ports (so it runs beside `npm start`), empty sandboxes, no scheduled
 * poller, and Exact's call limit lifted (see README, Performance: the budget is measured as
 * calls, not by being throttled). Plus the bench's drivers, the call trace, and "quiet".
 */
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { connectorsFromEnvironment } from "#lib/config/connectors";
import type { CrmOfficeConnector } from "#lib/connectors/crmoffice/client";
import type { ExactConnector } from "#lib/connectors/exactonline/client";
import { startLocalStack, type LocalStack } from "#lib/local/stack";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { CallTrace, statsDelta, SYSTEMS, type StatsLike, type SystemName } from "./calls";
import { crmDriver, exactDriver, pollUntil, type CrmDriver, type ExactDriver } from "./driver";

/** High enough that neither the sandbox nor the governor ever throttles a bench phase. */
export const BENCH_EXACT_RATE_LIMIT = { perMinute: 1_000_000, perDay: 100_000_000 } as const;

export interface BenchStack {
  stack: LocalStack;
  exact: ExactDriver;
  crm: CrmDriver;
  trace: CallTrace;
  /** The product's connectors, built from the stack's settings as the functions build them. */
  connectors: { exactonline: ExactConnector; crmoffice: CrmOfficeConnector };
  stats(): Record<SystemName, StatsLike>;
  /** Waits until the events queue is empty and nobody but the driver has called anything for `quietMs`. */
  quiet(options?: { quietMs?: number; timeoutMs?: number }): Promise<void>;
  queueDepth(): Promise<number>;
  stop(): Promise<void>;
}

export class NeverQuietError extends Error {
  override name = "NeverQuietError";
}

const quietLog = { error: (message: string, error?: unknown) => console.error(message, error ?? "") };

export async function startBenchStack(): Promise<BenchStack> {
  const stack = await startLocalStack({
    ports: { api: 0, exactonline: 0, crmoffice: 0, dynamodb: 0, sqs: 0 },
    seed: "none",
    resourcePrefix: "exact-crmoffice-sync-bench",
    pollIntervalMs: 0,
    log: quietLog,
    exactSandbox: { rateLimit: { ...BENCH_EXACT_RATE_LIMIT } },
  });
  const stops: (() => Promise<void> | void)[] = [() => stack.stop()];
  const stop = async () => {
    for (const part of stops.reverse()) await part();
  };
  try {
    const trace = new CallTrace(
      new Map<number, SystemName | "api">([
        [stack.exactSandbox.port, "exactonline"],
        [stack.crmofficeSandbox.port, "crmoffice"],
        [Number(new URL(stack.urls.api).port), "api"],
      ]),
    );
    stops.push(() => trace.stop());
    const sqs = new SQSClient({});
    stops.push(() => sqs.destroy());
    const { exactonline, crmoffice } = await connectorsFromEnvironment(process.env);
    const connectors = { exactonline, crmoffice };
    const queueDepth = async () => {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: stack.queueUrl,
          AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
        }),
      );
      return (
        Number(Attributes.ApproximateNumberOfMessages ?? 0) +
        Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
        Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
      );
    };
    const bench: BenchStack = {
      stack,
      exact: await exactDriver(stack.urls.exactonline),
      crm: await crmDriver(stack.urls.crmoffice),
      trace,
      connectors,
      stats: () => ({ exactonline: stack.exactSandbox.stats(), crmoffice: stack.crmofficeSandbox.stats() }),
      queueDepth,
      quiet: async ({ quietMs = 300, timeoutMs = 120_000 } = {}) => {
        // Quiet before and after asking the queue: a call may arrive while it answers.
        const quiet = await pollUntil(
          async () =>
            performance.now() - trace.lastProductCallAt >= quietMs &&
            (await queueDepth()) === 0 &&
            performance.now() - trace.lastProductCallAt >= quietMs,
          { everyMs: 50, timeoutMs },
        );
        if (!quiet) throw new NeverQuietError(`the stack did not go quiet within ${timeoutMs} ms`);
      },
      stop,
    };
    return bench;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The product's calls per system between two stats snapshots, with the driver's (from the trace) taken out. */
export function productCalls(
  before: Record<SystemName, StatsLike>,
  after: Record<SystemName, StatsLike>,
  driverCalls: readonly { system: string; key: string }[],
): Record<SystemName, Record<string, number>> {
  const result = {} as Record<SystemName, Record<string, number>>;
  for (const system of SYSTEMS) {
    const delta = statsDelta(before[system], after[system]);
    for (const call of driverCalls) {
      if (call.system !== system) continue;
      delta[call.key] = (delta[call.key] ?? 0) - 1;
      if (delta[call.key] === 0) delete delta[call.key];
    }
    result[system] = delta;
  }
  return result;
}

export interface LinkedPair {
  index: number;
  email: string;
  firstName: string;
  exactId: string;
  crmId: string;
}

/**
 * `count` contacts made in Exact by the driver and synced by the product into CRMOffice (so
 * linked), with both ids. Returns once the stack is quiet again.
 */
export async function createLinkedPairs(
  bench: BenchStack,
  count: number,
  { concurrency = 8, timeoutMs = 180_000 } = {},
): Promise<LinkedPair[]> {
  const made: { index: number; email: string; firstName: string; exactId: string }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        const email = `bench.pair.${index}@example.com`;
        const firstName = "Bench";
        const created = await bench.exact.post("crm/Contacts", {
          Account: EXACT_SANDBOX.defaultAccountId,
          FirstName: firstName,
          LastName: `Pair ${index}`,
          Email: email,
        });
        made.push({ index, email, firstName, exactId: String(created.ID) });
      }
    }),
  );
  const crmIds = new Map<string, string>();
  const allThere = await pollUntil(
    async () => {
      crmIds.clear();
      for (let page = 1; ; page++) {
        const body = (await bench.crm.get(`/contacts?page=${page}&pageSize=200`)) as {
          items: { id: string; email: string }[];
          totalCount: number;
        };
        for (const item of body.items) crmIds.set(item.email.toLowerCase(), item.id);
        if (body.items.length === 0 || crmIds.size >= body.totalCount) break;
      }
      return crmIds.size >= count;
    },
    { everyMs: 500, timeoutMs },
  );
  if (!allThere) throw new NeverQuietError(`only ${crmIds.size} of ${count} contacts reached CRMOffice within ${timeoutMs} ms`);
  await bench.quiet();
  return made
    .sort((a, b) => a.index - b.index)
    .map((pair) => {
      const crmId = crmIds.get(pair.email);
      if (!crmId) throw new NeverQuietError(`contact ${pair.email} is missing in CRMOffice`);
      return { ...pair, crmId };
    });
}

/** Removes the product's webhook subscriptions in both sandboxes (the phases after this drive the sync themselves). */
export async function unsubscribeProduct(bench: BenchStack): Promise<void> {
  const { exactonline, crmoffice } = bench.connectors;
  for (const subscription of await exactonline.webhookSubscriptions.list()) await exactonline.webhookSubscriptions.delete(subscription.id);
  for (const webhook of await crmoffice.webhooks.list()) await crmoffice.webhooks.delete(webhook.id);
}
