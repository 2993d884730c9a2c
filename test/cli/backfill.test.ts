import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStack, type LocalStack } from "#lib/local/stack";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import type { BackfillProgress } from "#lib/sync/backfill";
import { uniqueName, useTestAws } from "../support/aws";
import { crmUser, exactUser, type CrmUser, type ExactUser } from "../support/sandbox-users";
import { quietLog, syncctl } from "./support";

/*
 * syncctl backfill on an empty stack, with records made in Exact while no webhook told the sync
 * (the subscriptions removed first, as before a first deployment): the backfill links them.
 */
let stack: LocalStack;
let exact: ExactUser;
let crm: CrmUser;

beforeAll(async () => {
  stack = await startLocalStack({
    aws: useTestAws(),
    ports: { api: 0, exactonline: 0, crmoffice: 0 },
    seed: "none",
    resourcePrefix: uniqueName("cli-backfill"),
    visibilityTimeoutSeconds: 2,
    exactSandbox: { rateLimit: { perMinute: 1000, perDay: 100_000 } },
    log: quietLog,
  });
  exact = await exactUser(stack.urls.exactonline);
  crm = await crmUser(stack.urls.crmoffice);
  for (const subscription of await exact.list("webhooks/WebhookSubscriptions")) {
    await exact.delete(`webhooks/WebhookSubscriptions(guid'${String(subscription.ID)}')`);
  }
  for (const n of [1, 2, 3]) {
    await exact.post("crm/Contacts", {
      Account: EXACT_SANDBOX.defaultAccountId,
      FirstName: `Backfill${n}`,
      LastName: "Person",
      Email: `backfill${n}@example.com`,
    });
    await exact.post("logistics/Items", { Code: `BF-${n}`, Description: `Backfill item ${n}` });
  }
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

interface Summary {
  interrupted: boolean;
  sources: BackfillProgress[];
}

const totals = (summary: Summary) => {
  const decisions: Record<string, number> = {};
  for (const source of summary.sources)
    for (const [kind, n] of Object.entries(source.decisions)) decisions[kind] = (decisions[kind] ?? 0) + (n ?? 0);
  return decisions;
};

describe("syncctl backfill", () => {
  it("creates the records made in Exact in CRMOffice, with plain progress lines when stderr is not a terminal", async () => {
    expect(await crm.list("/contacts")).toHaveLength(0);
    const run = await syncctl(stack, ["backfill", "--json"]);
    expect(run.code, run.stderr.join("\n")).toBe(0);
    expect(run.stdout).toHaveLength(1);
    const summary = JSON.parse(run.stdout[0] ?? "") as Summary;
    expect(summary.interrupted).toBe(false);
    expect(totals(summary)).toMatchObject({ created: 6 });
    expect(summary.sources.find((source) => source.side === "exactonline" && source.type === "contact")).toMatchObject({
      records: 3,
      done: true,
      decisions: { created: 3 },
    });

    expect((await crm.list("/contacts")).map((contact) => contact.email).sort()).toEqual([
      "backfill1@example.com",
      "backfill2@example.com",
      "backfill3@example.com",
    ]);
    expect((await crm.list("/companies")).map((company) => company.orgNr).sort()).toEqual(["BF-1", "BF-2", "BF-3"]);
    expect(run.progress).toMatch(/^done exactonline contact · 1 page · 3 records · [\d,]+\/s · created 3$/m);
    expect(run.progress).not.toContain("\r");
  });

  it("a second, full run finds everything in step: all echoes, nothing written", async () => {
    const run = await syncctl(stack, ["backfill", "--full", "--json"]);
    expect(run.code, run.stderr.join("\n")).toBe(0);
    const decisions = totals(JSON.parse(run.stdout[0] ?? "") as Summary);
    // Both sides are read again: the three contacts and three items in Exact, and their partners in CRMOffice.
    expect(decisions).toEqual({ echo: 12 });
    expect(await crm.list("/contacts")).toHaveLength(3);
  });

  it("resumes from its checkpoints without --full, and prints a summary table for people", async () => {
    const run = await syncctl(stack, ["backfill", "--flow", "contacts"]);
    expect(run.code, run.stderr.join("\n")).toBe(0);
    expect(run.stdout[0]).toMatch(/^backfill: 2 sources in [\d.]+ s$/);
    expect(run.stdout[1]).toMatch(/^source\s+pages\s+records/);
    expect(run.stdout.some((line) => /^exactonline contact\s+\d+\s+\d+/.test(line))).toBe(true);
    expect(run.stdout.at(-1)).toMatch(/^total\s+\d+\s+\d+/);
    expect(run.stdout.join("\n")).not.toMatch(/created|linked|updated/);
  });

  it("redraws one line per source on a terminal", async () => {
    const run = await syncctl(stack, ["backfill", "--flow", "items", "--full"], { isTTY: true });
    expect(run.code).toBe(0);
    // Each frame clears the line and draws it again; a finished source's line is kept.
    const frames = run.progress.split("\r\x1b[2K");
    expect(frames[0]).toBe("");
    expect(frames[1]).toBe("backfill exactonline item · reading the first page…");
    expect(frames).toContainEqual(expect.stringMatching(/^done exactonline item · 1 page · 3 records · [\d,]+\/s · echo 3\n$/));
    expect(frames).toContain("backfill crmoffice company · reading the first page…");
    expect(frames.at(-1)).toMatch(/^done crmoffice company · 1 page · 3 records · [\d,]+\/s · echo 3\n$/);
  });

  it("stops cleanly when interrupted and says the next run resumes", async () => {
    const interrupt = new AbortController();
    interrupt.abort();
    const run = await syncctl(stack, ["backfill", "--full"], { signal: interrupt.signal });
    expect(run.code).toBe(130);
    expect(run.stderr).toEqual(["backfill stopped after the current page; the next `syncctl backfill` resumes from there"]);
  });

  it("refuses an unknown flow", async () => {
    const run = await syncctl(stack, ["backfill", "--flow", "orders"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toEqual(['syncctl: unknown flow "orders" (flows: employees, items, contacts) (see syncctl backfill --help)']);
  });
});
