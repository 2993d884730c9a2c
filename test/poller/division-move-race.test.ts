/**
 * A division moved while the poller is between reading a page and recording its position (the
 * page's rows being enqueued): the position it records is numbered the old way, though recorded
 * after the move. The soak found this at scale: with Exact's webhooks lost for a while, every
 * contact made after such a move was never synced, because the feed was not restarted and read
 * `Timestamp gt` a number the renumbered rows stayed under.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentClient } from "#lib/aws/dynamodb";
import { exactConnectorFromEnvironment } from "#lib/config/connectors";
import type { ChangeEvent } from "#lib/events/change-event";
import { CursorStore } from "#lib/links/cursors";
import { LinkStore } from "#lib/links/store";
import { pollExact, type ExactPollerDeps } from "#lib/poller/exact-poller";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { startTestStack, type TestStack } from "../support/stack";

let t: TestStack;

beforeAll(async () => {
  // No worker: nothing gets linked, so the poller enqueues every row it finds.
  t = await startTestStack({ workerConcurrency: 0 });
}, 60_000);

afterAll(async () => {
  await t?.stack.stop();
});

const HOUR = 3_600_000;

describe("a division move while a poll records its position", () => {
  it("still restarts the feed: a contact made after the move is found", async () => {
    const { exactonline } = await exactConnectorFromEnvironment(process.env);
    const db = documentClient();
    const moveDivision = async () => {
      const response = await fetch(`${t.stack.urls.exactonline}/_sandbox/move-division`, { method: "POST" });
      expect(response.status).toBe(204);
    };
    const makeContact = async (lastName: string) =>
      String(
        (await t.exact.post("crm/Contacts", { Account: EXACT_SANDBOX.defaultAccountId, FirstName: "Flytt", LastName: lastName })).ID,
      ).toLowerCase();

    let enqueued: ChangeEvent[] = [];
    let beforeAdvance: (events: readonly ChangeEvent[]) => Promise<void> = async () => undefined;
    // Every feed and the division check due at every poll: each poll runs an hour after the last.
    let clock = Date.now();
    const deps: ExactPollerDeps = {
      exact: exactonline,
      cursors: new CursorStore(db, t.stack.tableName),
      store: new LinkStore(db, t.stack.tableName),
      division: EXACT_SANDBOX.division,
      enqueue: async (events) => {
        enqueued.push(...events);
        await beforeAdvance(events);
      },
      schedule: { employeesMinutes: 15, fallbackMinutes: 15, deletedMinutes: 15, divisionCheckMinutes: 15, maxBackoffMinutes: 15 },
      now: () => clock,
    };
    const poll = async () => {
      clock += HOUR;
      enqueued = [];
      const summary = await pollExact(deps);
      return { summary, ids: enqueued.map((event) => event.recordId) };
    };

    // Many rows already, as in any division that has been in use: the renumbered ones stay far below the old cursor.
    for (let i = 0; i < 5; i++) await makeContact(`Tidlig ${i}`);
    await poll(); // places the cursors at the feeds' ends

    const beforeMove = await makeContact("Før");
    // The move lands after the page with this contact was answered, before its position is recorded.
    beforeAdvance = async (events) => {
      if (events.some((event) => event.recordId === beforeMove)) {
        beforeAdvance = async () => undefined;
        await moveDivision();
      }
    };
    expect((await poll()).ids).toContain(beforeMove);

    const afterMove = await makeContact("Etter");
    const { summary, ids } = await poll();
    expect(summary.restarted).toContain("sync/contact");
    expect(ids).toContain(afterMove);
  }, 60_000);
});
