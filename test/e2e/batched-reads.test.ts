/**
 * Read by the batch, decide by the record: through the local stack, a burst of Exact edits costs
 * a handful of Exact reads instead of one each; a batch of mixed changes with one that fails
 * reports that one alone; and an Exact edit made while a batch is in flight still reaches
 * CRMOffice.
 */
import { randomUUID } from "node:crypto";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handler as worker } from "#functions/worker";
import type { ChangeEvent } from "#lib/events/change-event";
import { createLambdaContext } from "#lib/local/lambda-context";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { eventually } from "../support/sandbox-users";
import { startTestStack, type TestStack, itCausedNoExactErrorBlock } from "../support/stack";
import { changeEvent } from "../support/events";

let t: TestStack;

beforeAll(async () => {
  t = await startTestStack({ workerConcurrency: 2 });
}, 60_000);

afterAll(async () => {
  await t?.stack.stop();
});

const exactReads = () =>
  Object.entries(t.stack.exactSandbox.stats().calls)
    .filter(([key]) => key.startsWith("GET /api/v1/"))
    .reduce((sum, [, count]) => sum + count, 0);

const account = { Account: EXACT_SANDBOX.defaultAccountId };

/** Contacts made in Exact and synced to CRMOffice: their Exact ids and emails. */
async function linkedContacts(tag: string, count: number): Promise<{ id: string; email: string }[]> {
  const made = await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const email = `${tag}.${index}@example.com`;
      const record = await t.exact.post("crm/Contacts", { ...account, FirstName: "Burst", LastName: `Person ${index}`, Email: email });
      return { id: String(record.ID), email };
    }),
  );
  await eventually(
    async () => (await t.crm.list(`/contacts`)).filter((contact) => String(contact.email).startsWith(`${tag}.`)).length === count,
    60_000,
    "every contact in CRMOffice",
  );
  await t.settled();
  return made;
}

function sqsEvent(events: readonly ChangeEvent[]): SQSEvent {
  return {
    Records: events.map((event) => ({
      messageId: randomUUID(),
      receiptHandle: "test",
      body: JSON.stringify(event),
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: String(Date.now()),
        SenderId: "test",
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:eu-west-1:000000000000:test",
      awsRegion: "eu-west-1",
    })),
  };
}

describe("batched reads", () => {
  it("syncs a burst of 200 Exact edits with a few Exact reads, not one each", async () => {
    const contacts = await linkedContacts(`burst-${randomUUID().slice(0, 8)}`, 200);
    const readsBefore = exactReads();
    await Promise.all(
      contacts.map((contact, index) =>
        t.exact.put(`crm/Contacts(guid'${contact.id}')`, { Phone: `+47 22 70 ${String(index).padStart(4, "0")}` }),
      ),
    );
    await eventually(
      async () => {
        const synced = (await t.crm.list(`/contacts`)).filter((contact) => String(contact.directPhone ?? "").startsWith("+47 22 70 "));
        return synced.length === contacts.length;
      },
      60_000,
      "every edit in CRMOffice",
    );
    await t.settled();
    // One read per batch of up to 80 (the per-record path spent 200); batches a burst does not fill cost one too.
    expect(exactReads() - readsBefore).toBeLessThanOrEqual(25);
  }, 180_000);

  it("reports the one failing change of a mixed batch alone", async () => {
    const contacts = await linkedContacts(`mixed-${randomUUID().slice(0, 8)}`, 4);
    const crmIds = await Promise.all(
      contacts.map(async (contact) => String((await t.crm.list(`/contacts?email=${encodeURIComponent(contact.email)}`))[0]?.id)),
    );
    await Promise.all(contacts.map((contact) => t.exact.put(`crm/Contacts(guid'${contact.id}')`, { LastName: "Mixed" })));
    await t.settled();
    // The write to the third contact's partner fails.
    await fetch(`${t.stack.urls.crmoffice}/_sandbox/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ status: 503, times: 10, method: "PUT", path: `/contacts/${crmIds[2]}` }),
    });
    const events = [
      ...contacts.map((contact) => changeEvent("exactonline", "contact", contact.id)),
      changeEvent("crmoffice", "contact", crmIds[0] as string),
    ];
    await Promise.all(contacts.map((contact, index) => t.exact.put(`crm/Contacts(guid'${contact.id}')`, { LastName: `Mixed ${index}` })));
    const batch = sqsEvent(events);
    const response = (await worker(batch, createLambdaContext({ functionName: "worker" }))) as SQSBatchResponse;
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: batch.Records[2]?.messageId }]);
    await fetch(`${t.stack.urls.crmoffice}/_sandbox/faults`, { method: "DELETE" });
  }, 90_000);
});

itCausedNoExactErrorBlock(() => t.stack);
