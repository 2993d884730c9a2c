/**
 * A batch reads its Exact records ahead of deciding its changes: an Exact edit made after that
 * read, before the change is written, must still reach CRMOffice (the values agreed after the
 * write keep the read's value for every field not written).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { readAhead, withPrefetched } from "#lib/sync/batch";
import { syncContext } from "#lib/sync/context";
import { processChange } from "#lib/sync/processor";
import { eventually } from "../support/sandbox-users";
import { itCausedNoExactErrorBlock, startTestStack, type TestStack } from "../support/stack";
import { changeEvent } from "../support/events";

const account = { Account: EXACT_SANDBOX.defaultAccountId };

describe("a batch's read-ahead and a person's edit", () => {
  let u: TestStack;

  beforeAll(async () => {
    // Exact's notices come two seconds late, so the edit below is decided before its own notice is seen.
    u = await startTestStack({ exactSandbox: { delivery: { delayMs: 2_000 } } });
  }, 60_000);

  afterAll(async () => {
    await u?.stack.stop();
  });

  it("does not lose an Exact edit made after the batch read its records ahead", async () => {
    const email = `inflight-${randomUUID().slice(0, 8)}@example.com`;
    const made = await u.exact.post("crm/Contacts", { ...account, FirstName: "Before", LastName: "Flight", Email: email });
    const crm = await eventually(
      async () => (await u.crm.list(`/contacts?email=${encodeURIComponent(email)}`))[0],
      20_000,
      "the contact in CRMOffice",
    );
    await u.settled();
    // The CRMOffice edit is handled here, not by the stack's worker: its webhook is taken away first.
    const registered = (await u.crm.get("/webhooks")) as unknown as { id: string }[] | { items: { id: string }[] };
    for (const webhook of Array.isArray(registered) ? registered : registered.items) await u.crm.delete(`/webhooks/${webhook.id}`);
    await u.crm.put(`/contacts/${String(crm.id)}`, {
      givenName: "FromCrm",
      familyName: "Flight",
      email,
      directPhone: null,
      mobilePhone: null,
    });
    const ctx = await syncContext();
    const crmChange = changeEvent("crmoffice", "contact", String(crm.id));
    const prefetched = await readAhead([crmChange], ctx);
    // Meanwhile a person edits another field of the record in Exact.
    await u.exact.put(`crm/Contacts(guid'${String(made.ID)}')`, { Mobile: "+47 999 00 111" });
    await processChange(crmChange, withPrefetched(ctx, prefetched));
    // Exact's notice of the person's edit then comes: the mobile must reach CRMOffice.
    await eventually(
      async () => {
        const now = (await u.crm.list(`/contacts?email=${encodeURIComponent(email)}`))[0];
        return now?.mobilePhone === "+47 999 00 111" && now.givenName === "FromCrm";
      },
      20_000,
      "both edits in CRMOffice",
    );
    const exact = (await u.exact.list(`crm/Contacts?$filter=ID eq guid'${String(made.ID)}'&$select=FirstName,Mobile`))[0];
    expect(exact).toMatchObject({ FirstName: "FromCrm", Mobile: "+47 999 00 111" });
  }, 60_000);

  itCausedNoExactErrorBlock(() => u.stack);
});
