/**
 * A conflict decided by real time across the two systems: the same field edited in Exact and in
 * CRMOffice two seconds apart, both edits made before either system's notice arrives (both
 * sandboxes deliver five seconds late), so the worker sees both at once. The later edit must win
 * in both orders. Exact writes its times in Amsterdam's wall-clock time: read as UTC, Exact's
 * edit would look one hour (winter) or two (summer) newer, and win every such conflict.
 *
 * The season is chosen by the process's clock (faked `Date` only; timers run for real), so the
 * product, both sandboxes and the webhook signatures all live on the same day.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { eventually } from "../../support/sandbox-users";
import { itCausedNoExactErrorBlock, startTestStack, type TestStack } from "../../support/stack";

const LATE_MS = 3_000;

export function conflictDecidedByRealTime(season: string, instant: string): void {
  describe(`a conflict between the two systems is won by the later edit (${season})`, () => {
    let t: TestStack;

    beforeAll(async () => {
      vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
      vi.setSystemTime(new Date(instant));
      t = await startTestStack({ exactSandbox: { delivery: { delayMs: LATE_MS } }, crmofficeSandbox: { delivery: { delayMs: LATE_MS } } });
    }, 60_000);

    afterAll(async () => {
      await t?.stack.stop();
      vi.useRealTimers();
    });

    async function linked(email: string): Promise<{ exactId: string; crmId: string; crm: Record<string, unknown> }> {
      const made = await t.exact.post("crm/Contacts", {
        Account: EXACT_SANDBOX.defaultAccountId,
        FirstName: "Tid",
        LastName: "Konflikt",
        Email: email,
      });
      const crm = await eventually(
        async () => (await t.crm.list(`/contacts?email=${encodeURIComponent(email)}`))[0],
        20_000,
        "the contact in CRMOffice",
      );
      await t.settled();
      return { exactId: String(made.ID), crmId: String(crm.id), crm };
    }

    const crmPhone = (crm: Record<string, unknown>, directPhone: string) => ({
      givenName: crm.givenName,
      familyName: crm.familyName,
      email: crm.email,
      directPhone,
      mobilePhone: crm.mobilePhone ?? null,
    });

    async function finalPhones(contact: { exactId: string; crmId: string }) {
      await t.settled(LATE_MS + 2_000);
      const exact = (await t.exact.list(`crm/Contacts?$filter=ID eq guid'${contact.exactId}'&$select=Phone`))[0];
      const crm = await t.crm.get(`/contacts/${contact.crmId}`);
      return { exact: exact?.Phone, crm: crm?.directPhone };
    }

    it("CRMOffice edited two seconds after Exact: the CRMOffice value wins in both systems", async () => {
      const contact = await linked(`later-crm-${season}@example.com`);
      await t.exact.put(`crm/Contacts(guid'${contact.exactId}')`, { Phone: "+47 22 00 00 11" });
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await t.crm.put(`/contacts/${contact.crmId}`, crmPhone(contact.crm, "+47 22 00 00 22"));
      expect(await finalPhones(contact)).toEqual({ exact: "+47 22 00 00 22", crm: "+47 22 00 00 22" });
      const conflict = (await t.history({ side: "exactonline", type: "contact", id: contact.exactId }))
        .concat(await t.history({ side: "crmoffice", type: "contact", id: contact.crmId }))
        .flatMap((decision) => decision.conflicts ?? [])
        .find((candidate) => candidate.field === "phone");
      expect(conflict).toMatchObject({ winner: "crmoffice", reason: "most recently modified" });
    }, 60_000);

    it("Exact edited two seconds after CRMOffice: the Exact value wins in both systems", async () => {
      const contact = await linked(`later-exact-${season}@example.com`);
      await t.crm.put(`/contacts/${contact.crmId}`, crmPhone(contact.crm, "+47 22 00 00 33"));
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await t.exact.put(`crm/Contacts(guid'${contact.exactId}')`, { Phone: "+47 22 00 00 44" });
      expect(await finalPhones(contact)).toEqual({ exact: "+47 22 00 00 44", crm: "+47 22 00 00 44" });
    }, 60_000);

    itCausedNoExactErrorBlock(() => t.stack);
  });
}
