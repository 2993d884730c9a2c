/**
 * What a stranger on the internet can make the deployment spend, through the local stack's
 * webhook API and the deployed handlers: a captured notification replayed, a stale one, an id
 * built to walk a URL path; and what a change that can never finish does to the queue.
 */
import { randomUUID, createHmac } from "node:crypto";
import { GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentClient } from "#lib/aws/dynamodb";
import { sqsClient } from "#lib/aws/sqs";
import { ClientRequestError } from "#lib/connectors/errors";
import { connectorsFromEnvironment } from "#lib/config/connectors";
import { toAmsterdamWallClock } from "#lib/connectors/exactonline/dates";
import { CRMOFFICE_SANDBOX, EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { notificationBody } from "#lib/sandbox/exactonline/webhooks";
import { keys } from "#lib/store/keys";
import { eventually } from "../support/sandbox-users";
import { startTestStack, type TestStack } from "../support/stack";

let t: TestStack;
const MAX_POSTPONES = 3;

beforeAll(async () => {
  t = await startTestStack({ settings: { SYNC_MAX_POSTPONES: String(MAX_POSTPONES) } });
}, 60_000);

afterAll(async () => {
  await t?.stack.stop();
});

const exactGets = () =>
  Object.entries(t.stack.exactSandbox.stats().calls)
    .filter(([key]) => key.startsWith("GET /api/v1/"))
    .reduce((sum, [, count]) => sum + count, 0);

/** Exact's zone-less Amsterdam time for an instant, as EventCreatedOn carries it. */
const exactLocalTime = (instant: number) => new Date(toAmsterdamWallClock(instant)).toISOString().slice(0, -1);

function exactNotification(key: string, createdAt = Date.now()): string {
  return notificationBody(
    {
      Topic: "Contacts",
      ClientId: EXACT_SANDBOX.clientId,
      Division: EXACT_SANDBOX.division,
      Action: "Update",
      Key: key,
      ExactOnlineEndpoint: `${t.stack.urls.exactonline}/api/v1/${EXACT_SANDBOX.division}/crm/Contacts(guid'${key}')`,
      EventCreatedOn: exactLocalTime(createdAt),
    },
    EXACT_SANDBOX.webhookSecret,
  );
}

const post = (system: "exactonline" | "crmoffice", body: string, headers: Record<string, string> = {}) =>
  fetch(`${t.stack.urls.api}/webhooks/${system}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

function crmDelivery(id: string, recordId: string): { body: string; signature: string } {
  const body = JSON.stringify({ id, type: "contact.updated", occurredAt: new Date().toISOString(), data: { id: recordId } });
  const t0 = Math.floor(Date.now() / 1000);
  const v1 = createHmac("sha256", CRMOFFICE_SANDBOX.webhookSecret).update(`${t0}.${body}`).digest("hex");
  return { body, signature: `t=${t0},v1=${v1}` };
}

async function depth(queueUrl: string): Promise<number> {
  const names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"] as const;
  const { Attributes = {} } = await sqsClient().send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...names] }));
  return names.reduce((sum, name) => sum + Number(Attributes[name] ?? 0), 0);
}

describe("replayed and stale deliveries", () => {
  it("one signed Exact notification posted 1,000 times enqueues once and costs at most one Exact read", async () => {
    const contact = await t.exact.post("crm/Contacts", {
      Account: EXACT_SANDBOX.defaultAccountId,
      FirstName: "Replay",
      LastName: "Target",
      Email: "replay.target@example.com",
    });
    await eventually(
      async () => (await t.crm.list("/contacts?email=replay.target%40example.com")).length === 1,
      15_000,
      "the contact in CRMOffice",
    );
    await t.settled();
    const body = exactNotification(String(contact.ID));
    const readsBefore = exactGets();
    const statuses: number[] = [];
    for (let round = 0; round < 20; round += 1) {
      const answers = await Promise.all(Array.from({ length: 50 }, () => post("exactonline", body)));
      statuses.push(...answers.map((answer) => answer.status));
    }
    await t.settled();
    expect(statuses.filter((status) => status === 202)).toHaveLength(1);
    // Every other copy is told it was handled (200), or, while the first is being taken, to come back (503).
    expect(statuses.every((status) => status === 200 || status === 202 || status === 503)).toBe(true);
    expect(exactGets() - readsBefore).toBeLessThanOrEqual(1);
  }, 60_000);

  it("answers a notification older than its window 200 and enqueues nothing", async () => {
    const readsBefore = exactGets();
    const stale = await post("exactonline", exactNotification(randomUUID(), Date.now() - 25 * 3_600_000));
    expect(stale.status).toBe(200);
    expect(await stale.json()).toMatchObject({ accepted: false, reason: "stale" });
    await t.settled();
    expect(exactGets()).toBe(readsBefore);
  });

  it("takes one CRMOffice event id once, whatever its copies", async () => {
    const contact = await t.crm.post("/contacts", { givenName: "Event", familyName: "Once", email: "event.once@example.com" });
    await eventually(
      async () => (await t.exact.list("crm/Contacts?$filter=Email eq 'event.once@example.com'&$select=ID")).length === 1,
      15_000,
      "the contact in Exact",
    );
    await t.settled();
    const delivery = crmDelivery(`evt-${randomUUID()}`, String(contact.id));
    const first = await post("crmoffice", delivery.body, { "crmoffice-signature": delivery.signature });
    expect(first.status).toBe(202);
    const copies = await Promise.all(
      Array.from({ length: 10 }, () => post("crmoffice", delivery.body, { "crmoffice-signature": delivery.signature })),
    );
    expect(copies.map((copy) => copy.status)).toEqual(Array.from({ length: 10 }, () => 200));
  });
});

describe("ids that reach a URL", () => {
  it("refuses a CRMOffice notification whose record id would walk the path, and enqueues nothing", async () => {
    const depthBefore = await depth(t.stack.queueUrl);
    for (const id of ["../admin", "..", "a/b", "x%2F..", "a?b=c"]) {
      const delivery = crmDelivery(`evt-${randomUUID()}`, id);
      const answer = await post("crmoffice", delivery.body, { "crmoffice-signature": delivery.signature });
      expect(answer.status).toBe(400);
    }
    expect(await depth(t.stack.queueUrl)).toBe(depthBefore);
  });

  it("never lets `..` reach a CRMOffice URL through the connector, and calls nothing", async () => {
    const { crmoffice } = await connectorsFromEnvironment();
    const callsBefore = JSON.stringify(t.stack.crmofficeSandbox.stats().calls);
    for (const id of ["../contacts", "..", "%2E%2E", "a/../../b"]) {
      await expect(crmoffice.get("contact", id)).rejects.toThrow(ClientRequestError);
      await expect(crmoffice.update("contact", id, { givenName: "X" })).rejects.toThrow(ClientRequestError);
      await expect(crmoffice.delete("company", id)).rejects.toThrow(ClientRequestError);
    }
    expect(JSON.stringify(t.stack.crmofficeSandbox.stats().calls)).toBe(callsBefore);
  });
});

describe("bounded waiting", () => {
  it("dead-letters a change that can never finish after its postpone limit, with the reason", async () => {
    const contact = await t.crm.post("/contacts", { givenName: "Stuck", familyName: "Change", email: "stuck.change@example.com" });
    await eventually(
      async () => (await t.exact.list("crm/Contacts?$filter=Email eq 'stuck.change@example.com'&$select=ID")).length === 1,
      15_000,
      "the link",
    );
    await t.settled();
    // The link's write reservation held for ever, as by a worker that will never come back within the limits.
    const link = await t.store().findLink("contacts", { side: "crmoffice", type: "contact", id: String(contact.id) });
    await documentClient().send(
      new UpdateCommand({
        TableName: t.stack.tableName,
        Key: keys.link("contacts", String(link?.linkId)),
        UpdateExpression: "SET writingUntil = :forever",
        ExpressionAttributeValues: { ":forever": Date.now() + 86_400_000 },
      }),
    );
    await t.crm.put(`/contacts/${String(contact.id)}`, { givenName: "Stuck", familyName: "For Ever", email: "stuck.change@example.com" });
    await eventually(async () => (await depth(t.stack.deadLetterQueueUrl)) >= 1, 30_000, "the change in the dead-letter queue");
    const { Messages = [] } = await sqsClient().send(
      new ReceiveMessageCommand({
        QueueUrl: t.stack.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
        VisibilityTimeout: 1,
      }),
    );
    const dead = Messages.find((message) => JSON.parse(message.Body ?? "{}").recordId === String(contact.id));
    expect(dead?.MessageAttributes?.reason?.StringValue).toMatch(
      new RegExp(`postponed ${MAX_POSTPONES} times, the limit: contacts: another worker is writing this link`),
    );
    expect(JSON.parse(dead?.Body ?? "{}")).toMatchObject({ postponed: MAX_POSTPONES, system: "crmoffice" });
  }, 45_000);
});
