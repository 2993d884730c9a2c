import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentClient } from "#lib/aws/dynamodb";
import type { ChangeEvent } from "#lib/events/change-event";
import { LinkStore } from "#lib/links/store";
import type { LocalStack } from "#lib/local/stack";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { syncContext } from "#lib/sync/context";
import { processChange } from "#lib/sync/processor";
import { setEnv } from "../support/env";
import { eventually, type CrmUser, type ExactUser } from "../support/sandbox-users";
import { startTestStack, type TestStack } from "../support/stack";
import { changeEvent } from "../support/events";

/*
 * Deletions the product hears of twice, or late: the default policy (unlink and keep) must hold
 * whatever order the notifications come in. Exact's webhooks are held back here (an hour late,
 * as if lost), so the tests decide when the worker hears of an Exact change; CRMOffice's come at
 * once.
 */
let restoreEnv: () => void = () => undefined;
let t: TestStack;
let stack: LocalStack;
let exact: ExactUser;
let crm: CrmUser;

beforeAll(async () => {
  restoreEnv = setEnv({ EXACT_CALLS_PER_MINUTE: "100000", EXACT_CALLS_PER_DAY: "1000000" });
  t = await startTestStack({ workerConcurrency: 4, exactSandbox: { delivery: { delayMs: 3_600_000 } } });
  ({ stack, exact, crm } = t);
}, 60_000);

afterAll(async () => {
  restoreEnv();
  await stack?.stop();
});

const event = (system: ChangeEvent["system"], recordType: "contact", recordId: string, action: ChangeEvent["action"]) =>
  changeEvent(system, recordType, recordId, { action });

const crmContacts = (email: string) => crm.list(`/contacts?email=${encodeURIComponent(email)}`);

/** A contact made in CRMOffice and synced into Exact: both ids. */
async function linkedContact(email: string): Promise<{ exactId: string; crmId: string }> {
  const made = await crm.post("/contacts", { givenName: "Kari", familyName: "Nordmann", email });
  const [inExact] = await eventually(
    async () => {
      const rows = await exact.list(`crm/Contacts?$filter=Email eq '${email}'&$select=ID`);
      return rows.length > 0 ? rows : undefined;
    },
    10_000,
    `${email} in Exact`,
  );
  await t.settled(1_000);
  return { exactId: String(inExact?.ID), crmId: String(made.id) };
}

describe("deletions heard of twice or late", () => {
  it("a deletion processed twice at once keeps the closed link: a later change of the kept record does not bring the deleted one back", async () => {
    const email = "deleted.twice@example.com";
    const { exactId, crmId } = await linkedContact(email);
    await crm.delete(`/contacts/${crmId}`);
    // The same deletion seen by several workers at once (duplicate deliveries, a replay).
    const ctx = await syncContext();
    await Promise.all(Array.from({ length: 6 }, () => processChange(event("crmoffice", "contact", crmId, "delete"), ctx)));
    await t.settled(1_000);
    const store = new LinkStore(documentClient(), stack.tableName);
    expect(await store.findLink("contacts", { side: "exactonline", type: "contact", id: exactId })).toMatchObject({ state: "closed" });

    await exact.put(`crm/Contacts(guid'${exactId}')`, { LastName: "Kept" });
    const [decision] = await processChange(event("exactonline", "contact", exactId, "upsert"), ctx);
    expect(decision).toMatchObject({ kind: "ignored" });
    await t.settled(1_000);
    expect(await crmContacts(email)).toEqual([]);
  });

  it("a record made again before the product heard of its deleted namesake is linked to the kept partner once the product reads that it is gone", async () => {
    const email = "deleted.late@example.com";
    const { exactId, crmId } = await linkedContact(email);
    // Deleted and made again in Exact; the product has heard of neither (Exact's webhooks are held).
    await exact.delete(`crm/Contacts(guid'${exactId}')`);
    const again = await exact.post("crm/Contacts", {
      Account: EXACT_SANDBOX.defaultAccountId,
      FirstName: "Kari",
      LastName: "Igjen",
      Email: email,
    });
    const ctx = await syncContext();
    const [decision] = await processChange(event("exactonline", "contact", String(again.ID), "upsert"), ctx);
    expect(decision).toMatchObject({ kind: "linked", partner: { side: "crmoffice", id: crmId } });
    await t.settled(1_000);
    expect(await crmContacts(email)).toHaveLength(1);
    expect(await crm.get(`/contacts/${crmId}`)).toMatchObject({ familyName: "Igjen" });
    // The deletion, heard of at last, changes nothing any more.
    const [late] = await processChange(event("exactonline", "contact", exactId, "delete"), ctx);
    expect(late).toMatchObject({ kind: "ignored" });
    expect(await crm.get(`/contacts/${crmId}`)).toMatchObject({ familyName: "Igjen" });
  });
});
