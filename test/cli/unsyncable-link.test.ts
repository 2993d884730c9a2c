/*
 * What an operator does about records that need a person, from the command line (the console's
 * buttons call the same library): syncctl unsyncable lists an ambiguous match with both sides'
 * values and its candidates, link refuses a record that is not a candidate and links the chosen
 * one, retry puts the record through the queue again, history finds records by email, and
 * replay --message moves only the chosen dead letter.
 */
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqsClient } from "#lib/aws/sqs";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { eventually } from "../support/sandbox-users";
import { startTestStack, type TestStack } from "../support/stack";
import { syncctl } from "./support";

let t: TestStack;
let exactId: string;
let crmIds: string[];
const EMAIL = "dobbel@example.com";

beforeAll(async () => {
  // No default Account: the two CRMOffice contacts stay there, unsyncable, until the Exact one comes.
  t = await startTestStack({ withoutDefaultAccount: true });
  const one = await t.crm.post("/contacts", { givenName: "Dobbel", familyName: "En", email: EMAIL });
  const two = await t.crm.post("/contacts", { givenName: "Dobbel", familyName: "To", email: EMAIL, mobilePhone: "+47 911 22 333" });
  crmIds = [String(one.id), String(two.id)];
  const exact = await t.exact.post("crm/Contacts", {
    Account: EXACT_SANDBOX.defaultAccountId,
    FirstName: "Dobbel",
    LastName: "To",
    Email: EMAIL,
  });
  exactId = String(exact.ID);
  await eventually(
    async () => (await t.history({ side: "exactonline", type: "contact", id: exactId })).some((d) => d.kind === "unsyncable"),
    10_000,
    "the ambiguous match",
  );
}, 60_000);

afterAll(async () => {
  await t?.stack.stop();
});

interface Listed {
  flow: string;
  record: { side: string; id: string };
  reason: string;
  values: Record<string, unknown>;
  candidates: { record: { id: string }; values: Record<string, unknown> }[];
}

describe("syncctl for records that need a person", () => {
  it("unsyncable lists the ambiguous record with its values beside each candidate's", async () => {
    const run = await syncctl(t.stack, ["unsyncable", "--json"]);
    expect(run.code).toBe(0);
    const { records } = JSON.parse(run.stdout[0] ?? "") as { records: Listed[] };
    const ambiguous = records.find((entry) => entry.record.id === exactId);
    expect(ambiguous).toMatchObject({ flow: "contacts", reason: "ambiguous: 2 Contacts in crmoffice match by email" });
    expect(ambiguous?.values).toMatchObject({ firstName: "Dobbel", lastName: "To", email: EMAIL });
    expect(ambiguous?.candidates.map((candidate) => candidate.record.id).sort()).toEqual([...crmIds].sort());
    expect(ambiguous?.candidates.find((candidate) => candidate.record.id === crmIds[1])?.values).toMatchObject({
      mobile: "+47 911 22 333",
    });

    const readable = await syncctl(t.stack, ["unsyncable", "--flow", "contacts"]);
    expect(readable.stdout.join("\n")).toContain(`syncctl link exactonline contact ${exactId} --flow contacts --to ${crmIds[1]}`);
  });

  it("link refuses a record that is not a candidate, then links the chosen one and the worker merges them", async () => {
    const wrong = await syncctl(t.stack, ["link", "exactonline", "contact", exactId, "--flow", "contacts", "--to", "not-a-candidate"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr[0]).toContain("is not an unlinked record matching");

    const run = await syncctl(t.stack, [
      "link",
      "exactonline",
      "contact",
      exactId,
      "--flow",
      "contacts",
      "--to",
      crmIds[1] ?? "",
      "--json",
    ]);
    expect(run.code).toBe(0);
    // The Exact contact gets the chosen candidate's mobile number: merged as any new link is.
    await eventually(async () => (await t.exact.get(`crm/Contacts(guid'${exactId}')`)).Mobile === "+47 911 22 333", 10_000, "the merge");
    const again = await syncctl(t.stack, ["link", "exactonline", "contact", exactId, "--flow", "contacts", "--to", crmIds[0] ?? ""]);
    expect(again.code).toBe(1);
    expect(again.stderr[0]).toContain("is already linked in contacts");
    const history = await t.history({ side: "crmoffice", type: "contact", id: crmIds[1] ?? "" });
    expect(history.at(-1)).toMatchObject({ kind: "linked", partner: { id: exactId }, reason: expect.stringContaining("by the operator") });
  });

  it("history --email finds the records in both systems and shows each one's decisions", async () => {
    const run = await syncctl(t.stack, ["history", "--email", EMAIL.toUpperCase(), "--json"]);
    expect(run.code).toBe(0);
    const { records } = JSON.parse(run.stdout[0] ?? "") as { records: { record: { id: string }; decisions: unknown[] }[] };
    expect(records.map((entry) => entry.record.id).sort()).toEqual([exactId, ...crmIds].sort());
  });

  it("retry puts the record through the queue again", async () => {
    const before = (await t.history({ side: "crmoffice", type: "contact", id: crmIds[0] ?? "" })).length;
    const run = await syncctl(t.stack, ["retry", "crmoffice", "contact", crmIds[0] ?? ""]);
    expect(run.code).toBe(0);
    expect(run.stdout[0]).toMatch(/^queued crmoffice contact \S+ for the worker/);
    await eventually(async () => (await t.history({ side: "crmoffice", type: "contact", id: crmIds[0] ?? "" })).length > before);
  });

  it("replay --message moves only the chosen dead letter", async () => {
    const event = (id: string) =>
      JSON.stringify({
        eventId: `dead-${id}`,
        correlationId: `dead-${id}`,
        system: "crmoffice",
        recordType: "contact",
        recordId: id,
        action: "upsert",
        source: "webhook",
        observedAt: new Date().toISOString(),
      });
    for (const id of ["gone-1", "gone-2"])
      await sqsClient().send(new SendMessageCommand({ QueueUrl: t.stack.deadLetterQueueUrl, MessageBody: event(id) }));
    const listed = JSON.parse((await syncctl(t.stack, ["replay", "--dry-run", "--json"])).stdout[0] ?? "") as {
      events: { messageId: string; recordId: string }[];
    };
    const chosen = listed.events.find((entry) => entry.recordId === "gone-2");
    expect(chosen).toBeDefined();
    const run = await syncctl(t.stack, ["replay", "--message", chosen?.messageId ?? "", "--json"]);
    const summary = JSON.parse(run.stdout[0] ?? "") as { moved: number; skipped: number; events: { recordId: string }[] };
    expect(summary.moved).toBe(1);
    expect(summary.events.map((entry) => entry.recordId)).toEqual(["gone-2"]);
    const left = JSON.parse((await syncctl(t.stack, ["replay", "--dry-run", "--json"])).stdout[0] ?? "") as {
      events: { recordId: string }[];
    };
    expect(left.events.map((entry) => entry.recordId)).toEqual(["gone-1"]);
  });
});
