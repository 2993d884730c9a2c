import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { GetCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentClient } from "#lib/aws/dynamodb";
import { sqsClient } from "#lib/aws/sqs";
import { RateLimitedError } from "#lib/connectors/errors";
import { createExactGovernor, type ExactCallGovernor } from "#lib/connectors/exactonline/governor";
import { FailureLog } from "#lib/links/failures";
import { KEY_PREFIXES, keys } from "#lib/store/keys";
import type { RecordRef } from "#lib/links/store";
import type { LoggedDecision } from "#lib/links/sync-log";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { eventually } from "../support/sandbox-users";
import { startTestStack, type TestStack, itCausedNoExactErrorBlock } from "../support/stack";

/*
 * Exact's rate limit through the whole local stack: the Exact sandbox enforces a small budget
 * of its own (30 calls a minute), the governor is configured to the same, and four workers
 * run at once. The test's own calls to Exact share the app's key, so they take their call from
 * the governor too, like one more worker. Every wait is real: minutes are clock minutes.
 */
const PER_MINUTE = 30;
const PER_DAY = 100_000;
const division = EXACT_SANDBOX.division;

let t: TestStack;
let governor: ExactCallGovernor;

beforeAll(async () => {
  t = await startTestStack({
    workerConcurrency: 4,
    exactSandbox: { rateLimit: { perMinute: PER_MINUTE, perDay: PER_DAY } },
  });
  governor = createExactGovernor({ tableName: t.stack.tableName, division, perMinute: PER_MINUTE, perDay: PER_DAY });
}, 60_000);

afterAll(async () => {
  await t?.stack.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One of the test's own calls to Exact, made with a call from the shared budget (waiting for one if need be). */
async function governed<T>(call: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      await governor.acquire();
    } catch (error) {
      if (!(error instanceof RateLimitedError)) throw error;
      await sleep(error.retryAfterMs + 50);
      continue;
    }
    return call();
  }
}

async function queueDepth(queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqsClient().send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/** Every minute bucket the governor has counted so far: minute label → calls. */
async function minuteBuckets(): Promise<Record<string, number>> {
  const prefix = `${KEY_PREFIXES.budget}exactonline#${division}#minute#`;
  const buckets: Record<string, number> = {};
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new ScanCommand({
        TableName: t.stack.tableName,
        FilterExpression: "begins_with(pk, :prefix)",
        ExpressionAttributeValues: { ":prefix": prefix },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) buckets[String(item.pk).slice(prefix.length)] = Number(item.calls);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return buckets;
}

const decisionOf = async (ref: RecordRef, kinds: readonly string[]): Promise<LoggedDecision | undefined> =>
  (await t.history(ref)).find((decision) => kinds.includes(decision.kind));

const itemsPath = `POST /api/v1/${division}/logistics/Items`;
/** Exact API calls so far (token requests are not API calls). */
const apiCalls = (stats: { calls: Record<string, number> }) =>
  Object.entries(stats.calls)
    .filter(([key]) => key.includes(" /api/v1/"))
    .reduce((sum, [, count]) => sum + count, 0);

describe("Exact's rate limit, end to end", () => {
  it("rides out an injected 429 burst on both systems: events wait, none is dead-lettered, all arrive", async () => {
    // The next five reads the product makes of each system answer 429 (the test itself only writes until they are spent).
    for (const url of [t.stack.urls.exactonline, t.stack.urls.crmoffice]) {
      const armed = await fetch(`${url}/_sandbox/faults`, {
        method: "POST",
        body: JSON.stringify({ status: 429, times: 5, method: "GET" }),
      });
      expect(armed.status).toBe(201);
    }
    const started = Date.now();
    const fromExact = await governed(() =>
      t.exact.post("crm/Contacts", {
        Account: EXACT_SANDBOX.defaultAccountId,
        FirstName: "Burst",
        LastName: "Exact",
        Email: "burst.exact@example.com",
      }),
    );
    const fromCrm = await t.crm.post("/contacts", { givenName: "Burst", familyName: "Crm", email: "burst.crm@example.com" });

    const exactRef: RecordRef = { side: "exactonline", type: "contact", id: String(fromExact.ID) };
    const crmRef: RecordRef = { side: "crmoffice", type: "contact", id: String(fromCrm.id) };
    const [exactCreated, crmCreated] = await Promise.all([
      eventually(() => decisionOf(exactRef, ["created"]), 60_000, "the Exact contact created in CRMOffice"),
      eventually(() => decisionOf(crmRef, ["created"]), 60_000, "the CRMOffice contact created in Exact"),
    ]);
    console.info(`429 burst: both contacts synced after ${Date.now() - started} ms`);
    await t.settled();

    // The product's reads used up every injected 429: the test's own reads now succeed.
    expect(await t.crm.get(`/contacts/${String(exactCreated.partner?.id)}`)).toMatchObject({ givenName: "Burst", familyName: "Exact" });
    const inExact = (await governed(() => t.exact.get(`crm/Contacts(guid'${String(crmCreated.partner?.id)}')`))) as Record<string, unknown>;
    expect(inExact).toMatchObject({ FirstName: "Burst", LastName: "Crm", Email: "burst.crm@example.com" });

    expect(t.stack.exactSandbox.stats().rateLimited).toBe(0);
    expect(await queueDepth(t.stack.deadLetterQueueUrl)).toBe(0);
    expect(await new FailureLog(documentClient(), t.stack.tableName).recent(10)).toEqual([]);
  }, 90_000);

  it("records a duplicate Item Code, which Exact refuses with a 500 and its error body, as unsyncable after at most two Exact calls, never dead-lettered", async () => {
    const code = `DUP-${Date.now().toString(36).toUpperCase()}`;
    const item = await governed(() => t.exact.post("logistics/Items", { Code: code, Description: "Original item" }));
    await eventually(
      () => decisionOf({ side: "exactonline", type: "item", id: String(item.ID) }, ["created"]),
      60_000,
      "the item in CRMOffice",
    );
    await t.settled();

    // Exact's Codes are unique case-insensitively, while the flow matches orgNr to Code exactly:
    // a company with the lower-cased Code matches nothing, and creating it clashes.
    const before = t.stack.exactSandbox.stats().calls[itemsPath] ?? 0;
    const exactCallsBefore = apiCalls(t.stack.exactSandbox.stats());
    const company = await t.crm.post("/companies", { name: "Clashing company", orgNr: code.toLowerCase() });
    const ref: RecordRef = { side: "crmoffice", type: "company", id: String(company.id) };
    const decision = await eventually(() => decisionOf(ref, ["unsyncable"]), 60_000, "the unsyncable decision");
    await t.settled();
    // The functional 500 is an answer about the data, in the division's language: not an outage to retry.
    expect(decision.reason).toMatch(/exactonline refused the request: .*logistics\/Items answered 500: Gegeven bestaat reeds/);

    const stored = await documentClient().send(
      new GetCommand({ TableName: t.stack.tableName, Key: keys.unsyncable("crmoffice", "company", ref.id, "items") }),
    );
    expect(stored.Item).toMatchObject({ reason: decision.reason });
    expect((t.stack.exactSandbox.stats().calls[itemsPath] ?? 0) - before).toBe(1);
    // The look for a matching Code, and the refused create: nothing retried.
    expect(apiCalls(t.stack.exactSandbox.stats()) - exactCallsBefore).toBeLessThanOrEqual(2);
    expect((await t.history(ref)).map((entry) => entry.kind)).toEqual(["unsyncable"]);
    expect(await queueDepth(t.stack.deadLetterQueueUrl)).toBe(0);
  }, 90_000);

  it("syncs a burst needing more than a minute's budget without one 429: every change arrives, none dead-lettered, no minute over the limit", async () => {
    // 3 Exact calls a company (look for a match, create, read back the webhook's echo): more than a minute's worth.
    const count = Math.ceil((PER_MINUTE + 1) / 3);
    // Start with a few calls left in this minute, so the batch spans two windows, not three.
    const { minute } = await governor.usage();
    if (minute.remaining < 4) await sleep(minute.resetAt - Date.now() + 100);
    const bucketsBefore = await minuteBuckets();

    const started = Date.now();
    const tag = Date.now().toString(36).toUpperCase();
    const companies = await Promise.all(
      Array.from({ length: count }, (_, index) =>
        t.crm.post("/companies", { name: `Budget company ${index}`, orgNr: `RL-${tag}-${index}` }),
      ),
    );
    const created = await Promise.all(
      companies.map((company) =>
        eventually(
          () => decisionOf({ side: "crmoffice", type: "company", id: String(company.id) }, ["created"]),
          140_000,
          `company ${String(company.orgNr)} in Exact`,
        ),
      ),
    );
    // Each created item's webhook is read back once (the echo), also within the budget.
    await Promise.all(
      created.map((decision) =>
        eventually(() => decisionOf(decision.partner as RecordRef, ["echo"]), 140_000, `the echo of item ${String(decision.partner?.id)}`),
      ),
    );
    const convergedMs = Date.now() - started;
    await t.settled();

    const items = await governed(() => t.exact.list("logistics/Items?$select=ID,Code"));
    const codes = new Set(items.map((row) => String(row.Code)));
    for (const company of companies) expect(codes.has(String(company.orgNr))).toBe(true);

    const stats = t.stack.exactSandbox.stats();
    expect(stats.rateLimited).toBe(0);
    expect(await queueDepth(t.stack.deadLetterQueueUrl)).toBe(0);
    expect(await queueDepth(t.stack.queueUrl)).toBe(0);

    const buckets = await minuteBuckets();
    const during = Object.entries(buckets).filter(([label, calls]) => calls !== bucketsBefore[label]);
    expect(during.length).toBeGreaterThanOrEqual(2);
    for (const [, calls] of Object.entries(buckets)) expect(calls).toBeLessThanOrEqual(PER_MINUTE);
    console.info(
      `rate-limited batch: ${count} companies (${count * 3} Exact calls) converged in ${convergedMs} ms; calls per minute bucket: ${JSON.stringify(buckets)}; sandbox calls ${JSON.stringify(stats.calls)}`,
    );
  }, 150_000);
});

itCausedNoExactErrorBlock(() => t.stack);
