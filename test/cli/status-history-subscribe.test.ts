import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStack, type LocalStack } from "#lib/local/stack";
import { DEMO_IDS } from "#lib/sandbox/exactonline/seed";
import { uniqueName, useTestAws } from "../support/aws";
import { eventually, exactUser } from "../support/sandbox-users";
import { environmentFor, quietLog, syncctl } from "./support";

/* syncctl status, history and subscribe against a local stack with the demo data, synced. */
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    aws: useTestAws(),
    ports: { api: 0, exactonline: 0, crmoffice: 0 },
    seed: "demo",
    resourcePrefix: uniqueName("cli"),
    visibilityTimeoutSeconds: 2,
    exactSandbox: { rateLimit: { perMinute: 1000, perDay: 100_000 } },
    log: quietLog,
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe("the local environment", () => {
  it("finds the stack's table and queues by its ports and names, as for npm start", async () => {
    const environment = await environmentFor(stack);
    expect(environment).toMatchObject({
      name: "local stack",
      tableName: stack.tableName,
      queueUrl: stack.queueUrl,
      deadLetterQueueUrl: stack.deadLetterQueueUrl,
      apiUrl: stack.urls.api,
    });
    expect(process.env.TABLE_NAME).toBe(stack.tableName);
    expect(process.env.EXACT_BASE_URL).toBe(stack.urls.exactonline);
    expect(process.env.CRMOFFICE_BASE_URL).toBe(stack.urls.crmoffice);
  });
});

describe("syncctl status", () => {
  it("--json prints one line with the contract's keys; after the demo settles: links in all three flows, one unsyncable company", async () => {
    const status = await eventually(
      async () => {
        const run = await syncctl(stack, ["status", "--json"]);
        expect(run.code).toBe(0);
        expect(run.stdout).toHaveLength(1);
        const report = JSON.parse(run.stdout[0] ?? "") as Record<string, unknown>;
        return report.queueDepth === 0 ? report : undefined;
      },
      20_000,
      "the demo's events to be processed",
    );

    expect(status).toMatchObject({
      queueDepth: 0,
      deadLetterDepth: 0,
      unsyncable: 1,
      unsyncableByFlow: { employees: 0, items: 1, contacts: 0 },
    });
    const linksByFlow = status.linksByFlow as Record<string, number>;
    expect(Object.keys(linksByFlow).sort()).toEqual(["contacts", "employees", "items"]);
    // The demo: 2 employees; 3 items (one matched by orgNr, two created); 3 Exact contacts (one
    // matched by email) plus one contact born in CRMOffice.
    expect(linksByFlow).toEqual({ employees: 2, items: 3, contacts: 4 });
    expect(status.lastErrors).toEqual([]);
    const budget = status.exactBudget as { day: { used: number; limit: number } };
    expect(budget.day.limit).toBe(Number(process.env.EXACT_CALLS_PER_DAY));
    expect(budget.day.used).toBeGreaterThan(0);
    // The demo's initial sync decided about every demo record just now; the stack connected Exact
    // and its first poll placed every feed's cursor.
    const lastHour = status.decisionsLastHourByFlow as Record<string, number>;
    expect(Object.keys(lastHour).sort()).toEqual(["contacts", "employees", "items"]);
    for (const flow of ["contacts", "employees", "items"]) expect(lastHour[flow]).toBeGreaterThanOrEqual(linksByFlow[flow] ?? 0);
    // The stack connected Exact at start, as an operator does: since when, and by which Exact user.
    expect(status.exactConnection).toMatchObject({
      connectedAt: expect.stringMatching(/Z$/),
      exactUserId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const feeds = status.exactFeeds as { feed: string; position: number; readAt: string | null }[];
    expect(feeds.map((feed) => feed.feed).sort()).toEqual(["sync/Deleted", "sync/contact", "sync/employee", "sync/item"]);
    for (const feed of feeds) {
      expect(feed.position).toEqual(expect.any(Number));
      expect(Date.parse(feed.readAt ?? "")).toBeGreaterThan(Date.now() - 120_000);
    }
    expect(status.deletionsMayBeMissed).toBeNull();
  });

  it("shows a small aligned table for people", async () => {
    const run = await syncctl(stack, ["status"]);
    expect(run.code).toBe(0);
    const text = run.stdout.join("\n");
    expect(text).toContain(`local stack (table ${stack.tableName})`);
    expect(run.stdout.find((line) => line.startsWith("flow"))).toMatch(/^flow\s+links\s+unsyncable\s+decisions last hour$/);
    expect(run.stdout.find((line) => line.startsWith("items"))).toMatch(/^items\s+\d+\s+1\s+\d+$/);
    expect(text).toMatch(/dead letters\s+0/);
    expect(text).toContain("last errors");
  });
});

describe("syncctl history", () => {
  it("lists every decision about a demo record, oldest first, one line each", async () => {
    const run = await syncctl(stack, ["history", "exactonline", "item", DEMO_IDS.items.fjordAnalytics]);
    expect(run.code).toBe(0);
    expect(run.stdout[0]).toMatch(/^\d+ decisions? about exactonline item b2c4d6e8-1a3b-4c5d-9e7f-8a6b4c2d0e01, oldest first$/);
    expect(run.stdout[1]).toMatch(/^time\s+flow\s+kind\s+partner\s+fields written\s+conflicts\s+reason$/);
    // Fjord Analytics exists on both sides with the same code: the first sync linked them.
    expect(run.stdout[2]).toMatch(/^\S+Z\s+items\s+linked\s+crmoffice company \S+/);

    const json = await syncctl(stack, ["history", "exactonline", "item", DEMO_IDS.items.fjordAnalytics, "--json"]);
    expect(json.stdout).toHaveLength(1);
    const { record, decisions } = JSON.parse(json.stdout[0] ?? "") as {
      record: unknown;
      decisions: { at: string; kind: string; flow: string }[];
    };
    expect(record).toEqual({ side: "exactonline", type: "item", id: DEMO_IDS.items.fjordAnalytics });
    expect(decisions[0]).toMatchObject({ kind: "linked", flow: "items" });
    expect(decisions.map((decision) => decision.at)).toEqual(decisions.map((decision) => decision.at).sort());
  });

  it("says so when a record has no decisions, and refuses unknown systems and types with usage errors", async () => {
    expect((await syncctl(stack, ["history", "crmoffice", "company", "no-such-id"])).stdout).toEqual([
      "no decisions recorded about crmoffice company no-such-id",
    ]);
    const badSystem = await syncctl(stack, ["history", "sap", "contact", "1"]);
    expect(badSystem.code).toBe(2);
    expect(badSystem.stderr).toEqual(['syncctl: unknown system "sap" (exactonline or crmoffice) (see syncctl history --help)']);
    const badType = await syncctl(stack, ["history", "crmoffice", "item", "1"]);
    expect(badType.code).toBe(2);
    expect(badType.stderr[0]).toContain('unknown crmoffice record type "item" (contact, company)');
    expect((await syncctl(stack, ["history", "crmoffice", "contact"])).code).toBe(2);
  });
});

describe("syncctl subscribe", () => {
  it("is idempotent: the stack's own subscriptions are found in place and nothing is added", async () => {
    const first = await syncctl(stack, ["subscribe", "--json"]);
    expect(first.code).toBe(0);
    const result = JSON.parse(first.stdout[0] ?? "") as { apiUrl: string; created: string[]; existing: string[] };
    expect(result.apiUrl).toBe(stack.urls.api);
    expect(result.created).toEqual([]);
    expect(result.existing).toHaveLength(3);

    const readable = await syncctl(stack, ["subscribe"]);
    expect(readable.code).toBe(0);
    expect(readable.stdout.at(-1)).toBe("0 created, 3 already in place");
  });

  it("registers only what is missing: a subscription removed in Exact comes back, once", async () => {
    const exact = await exactUser(stack.urls.exactonline);
    const subscriptions = await exact.list("webhooks/WebhookSubscriptions");
    const items = subscriptions.find((subscription) => subscription.Topic === "Items");
    expect(items).toBeDefined();
    await exact.delete(`webhooks/WebhookSubscriptions(guid'${String(items?.ID)}')`);

    const again = await syncctl(stack, ["subscribe"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`subscribed  exactonline Items → ${stack.urls.api}/webhooks/exactonline`);
    expect(again.stdout.at(-1)).toBe("1 created, 2 already in place");
    expect((await exact.list("webhooks/WebhookSubscriptions")).filter((subscription) => subscription.Topic === "Items")).toHaveLength(1);

    expect((await syncctl(stack, ["subscribe"])).stdout.at(-1)).toBe("0 created, 3 already in place");
  });

  it("refuses an --api-url that is not an http(s) URL", async () => {
    const run = await syncctl(stack, ["subscribe", "--api-url", "ftp://example.com"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toEqual(['syncctl: --api-url must be an http(s) URL, got "ftp://example.com" (see syncctl subscribe --help)']);
  });
});
