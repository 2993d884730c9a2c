/**
 * A whole local stack for one test file: shared emulators, its own table and queues, both
 * sandboxes and the webhook API on free ports, and the product's handlers, plus users of both
 * sandboxes that act from the outside.
 */
import { expect, it } from "vitest";
import { documentClient } from "#lib/aws/dynamodb";
import { runBackfill, type BackfillOptions, type BackfillProgress } from "#lib/sync/backfill";
import { backfillDeps } from "#lib/sync/context";
import { SyncLog, type LoggedDecision } from "#lib/links/sync-log";
import { LinkStore, type RecordRef } from "#lib/links/store";
import { startLocalStack, type LocalStack, type LocalStackOptions } from "#lib/local/stack";
import { uniqueName, useTestAws } from "./aws";
import { crmUser, eventually, exactUser, type CrmUser, type ExactUser } from "./sandbox-users";

export interface TestStack {
  stack: LocalStack;
  exact: ExactUser;
  crm: CrmUser;
  history(record: RecordRef): Promise<LoggedDecision[]>;
  /** The stack's link store (its table), for looking at links directly. */
  store(): LinkStore;
  /** Runs the backfill (initial sync) in this process, as `syncctl backfill` does. */
  backfill(options?: BackfillOptions): Promise<BackfillProgress[]>;
  /** Waits until neither sandbox has seen a write or a webhook delivery for `quietMs`. */
  settled(quietMs?: number): Promise<void>;
}

const quietLog = { info: () => undefined, error: (message: string, error?: unknown) => console.error(message, error) };

export async function startTestStack(options: Partial<LocalStackOptions> = {}): Promise<TestStack> {
  const stack = await startLocalStack({
    aws: useTestAws(),
    ports: { api: 0, exactonline: 0, crmoffice: 0 },
    seed: "none",
    resourcePrefix: uniqueName("e2e"),
    visibilityTimeoutSeconds: 2,
    pollIntervalMs: 0,
    log: quietLog,
    ...options,
    // The tests' own calls share the app's budget; the rate limit has tests of its own.
    exactSandbox: { rateLimit: { perMinute: 1000, perDay: 100_000 }, ...options.exactSandbox },
  });
  const log = new SyncLog(documentClient(), stack.tableName, 30);
  // Quiet means no writes and no webhook deliveries: the poller's reads go on for ever.
  const snapshot = () =>
    JSON.stringify([stack.exactSandbox.stats(), stack.crmofficeSandbox.stats()].map((stats) => [writeCalls(stats), stats.deliveries]));
  return {
    stack,
    exact: await exactUser(stack.urls.exactonline),
    crm: await crmUser(stack.urls.crmoffice),
    history: (record) => log.history(record),
    store: () => new LinkStore(documentClient(), stack.tableName),
    backfill: async (backfillOptions) => runBackfill(await backfillDeps(), backfillOptions),
    settled: async (quietMs = 2_500) => {
      let previous = snapshot();
      let stableSince = Date.now();
      await eventually(
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 250));
          const now = snapshot();
          if (now !== previous) {
            previous = now;
            stableSince = Date.now();
          }
          return Date.now() - stableSince >= quietMs;
        },
        60_000,
        "both systems to go quiet",
      );
    },
  };
}

/**
 * The Exact sandbox's client errors of a run (answered 400/401/403/404, by "METHOD path") and the
 * endpoints it blocked: normal sync must cause no block, and never read a record by key (a record
 * deleted meanwhile answers a by-key GET with a 404, and more than ten an hour block the endpoint).
 */
export function exactErrorBlockReport(stack: LocalStack): { blocked: string[]; byKeyReads: Record<string, number>; clientErrors: number } {
  const stats = stack.exactSandbox.stats() as { clientErrors?: Record<string, number>; blocked?: string[] };
  const clientErrors = stats.clientErrors ?? {};
  return {
    blocked: stats.blocked ?? [],
    byKeyReads: Object.fromEntries(Object.entries(clientErrors).filter(([key]) => key.startsWith("GET ") && key.includes("(guid'"))),
    clientErrors: Object.values(clientErrors).reduce((sum, count) => sum + count, 0),
  };
}

/**
 * The last test of an end-to-end file: everything the file synced, against Exact's error block.
 * Registered after the file's other tests, so it sees their whole run.
 */
export function itCausedNoExactErrorBlock(stack: () => LocalStack): void {
  it("caused no Exact error block, and never read a record by key", () => {
    const report = exactErrorBlockReport(stack());
    expect(report.blocked).toEqual([]);
    expect(report.byKeyReads).toEqual({});
  });
}

/** Counts the sandbox's API calls whose key starts with one of `methods` (e.g. "PUT", "POST"). */
export function writeCalls(stats: { calls: Record<string, number> }, methods: readonly string[] = ["POST", "PUT", "DELETE"]): number {
  return Object.entries(stats.calls)
    .filter(
      ([key]) => methods.some((method) => key.startsWith(`${method} `)) && !key.includes("/oauth2/") && !key.includes("/connect/token"),
    )
    .reduce((sum, [, count]) => sum + count, 0);
}
