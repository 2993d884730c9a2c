import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CrmUser, ExactUser } from "../support/sandbox-users";
import { startTestStack, type TestStack, itCausedNoExactErrorBlock } from "../support/stack";

/*
 * First sight: records that already exist on both sides (before the sync, or while it was not
 * listening) are matched by each flow's merge criterion, never duplicated. Webhooks are held
 * back (delivered an hour late) so every decision here comes from the backfill, and no default
 * Account is configured.
 */
let t: TestStack;
let exact: ExactUser;
let crm: CrmUser;
const HOUR = 3_600_000;

beforeAll(async () => {
  t = await startTestStack({
    withoutDefaultAccount: true,
    exactSandbox: { delivery: { delayMs: HOUR } },
    crmofficeSandbox: { delivery: { delayMs: HOUR } },
  });
  ({ exact, crm } = t);

  const account = { Account: "5b1a7c2e-0d3f-4e8a-9c61-2f7b8d4e1a90" };
  // Matches: the same person and the same business on both sides.
  await exact.post("crm/Contacts", { ...account, FirstName: "Mia", LastName: "Ek", Email: "MIA.EK@example.com", Phone: "+47 21 00 00 01" });
  await crm.post("/contacts", { givenName: "Mia", familyName: "Ek", email: "mia.ek@example.com", mobilePhone: "+47 900 00 001" });
  await exact.post("logistics/Items", { Code: "NO-444444444", Description: "Fjellvann AS" });
  await crm.post("/companies", { name: "Fjellvann AS", orgNr: "NO-444444444" });
  // Ambiguous: one Exact contact, two CRMOffice contacts with its email.
  await exact.post("crm/Contacts", { ...account, FirstName: "Dup", LastName: "Exact", Email: "dup@example.com" });
  await crm.post("/contacts", { givenName: "Dup", familyName: "One", email: "dup@example.com" });
  await crm.post("/contacts", { givenName: "Dup", familyName: "Two", email: "dup@example.com" });
  // One owner: an employee whose email an Exact contact shares.
  await fetch(`${t.stack.urls.exactonline}/_sandbox/employees/e0e0e0e0-0000-4000-8000-000000000002`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ FirstName: "Olav", LastName: "Berg", BusinessEmail: "olav.berg@example.com" }),
  });
  await exact.post("crm/Contacts", { ...account, FirstName: "Olav", LastName: "Berg", Email: "olav.berg@example.com" });
  // Born in CRMOffice with nowhere to go: no default Account is configured.
  await crm.post("/contacts", { givenName: "Nils", familyName: "Uten", email: "nils.uten@example.com" });

  await t.backfill();
}, 90_000);

afterAll(async () => {
  await t?.stack.stop();
});

const decisionsAbout = async (side: "exactonline" | "crmoffice", type: string, id: string) =>
  (await t.history({ side, type, id })).map((entry) => entry);

describe("first sight", () => {
  it("links contacts by email, case-insensitively, and fills each side's empty fields from the other", async () => {
    const exactMia = await exact.list("crm/Contacts?$filter=Email eq 'mia.ek@example.com'&$select=ID,Email,Phone,Mobile");
    const crmMia = await crm.list("/contacts?email=mia.ek%40example.com");
    expect(exactMia).toHaveLength(1);
    expect(crmMia).toHaveLength(1);
    expect(exactMia[0]).toMatchObject({ Mobile: "+47 900 00 001", Phone: "+47 21 00 00 01" });
    expect(crmMia[0]).toMatchObject({ directPhone: "+47 21 00 00 01", mobilePhone: "+47 900 00 001" });
    const decisions = await decisionsAbout("exactonline", "contact", String(exactMia[0]?.ID));
    expect(decisions.map((entry) => entry.kind)).toContain("linked");
  });

  it("links items and companies by Code = orgNr", async () => {
    expect(await exact.list("logistics/Items?$filter=Code eq 'NO-444444444'&$select=ID")).toHaveLength(1);
    expect(await crm.list("/companies?orgNr=NO-444444444")).toHaveLength(1);
  });

  it("creates nothing for an ambiguous match, and records it for review on every side", async () => {
    const [exactDup] = await exact.list("crm/Contacts?$filter=Email eq 'dup@example.com'&$select=ID");
    const crmDups = await crm.list("/contacts?email=dup%40example.com");
    expect(crmDups).toHaveLength(2);
    expect(await exact.list("crm/Contacts?$filter=Email eq 'dup@example.com'&$select=ID")).toHaveLength(1);
    const [decision] = await decisionsAbout("exactonline", "contact", String(exactDup?.ID));
    expect(decision).toMatchObject({ kind: "unsyncable", reason: expect.stringMatching(/ambiguous/) });
    for (const dup of crmDups) {
      expect((await decisionsAbout("crmoffice", "contact", String(dup.id)))[0]).toMatchObject({
        kind: "unsyncable",
        reason: expect.stringMatching(/ambiguous/),
      });
    }
  });

  it("gives a CRMOffice contact one owner: the employee's flow, not the contacts flow", async () => {
    const crmOlav = await crm.list("/contacts?email=olav.berg%40example.com");
    expect(crmOlav).toHaveLength(1);
    const [exactOlav] = await exact.list("crm/Contacts?$filter=Email eq 'olav.berg@example.com'&$select=ID");
    const [decision] = await decisionsAbout("exactonline", "contact", String(exactOlav?.ID));
    expect(decision).toMatchObject({ kind: "unsyncable", reason: expect.stringMatching(/owned by flow employees/) });
  });

  it("records a contact born in CRMOffice as unsyncable when no default Account is configured", async () => {
    const [nils] = await crm.list("/contacts?email=nils.uten%40example.com");
    const [decision] = await decisionsAbout("crmoffice", "contact", String(nils?.id));
    expect(decision).toMatchObject({ kind: "unsyncable", reason: expect.stringMatching(/EXACT_DEFAULT_ACCOUNT_ID/) });
    expect(await exact.list("crm/Contacts?$filter=Email eq 'nils.uten@example.com'&$select=ID")).toHaveLength(0);
  });

  it("is safe to run again: a second backfill only sees what it already agreed", async () => {
    const writesBefore = [t.stack.exactSandbox.stats(), t.stack.crmofficeSandbox.stats()].map((stats) => JSON.stringify(stats.calls));
    const runs = await t.backfill({ restart: true });
    const kinds = new Set(runs.flatMap((run) => Object.keys(run.decisions)));
    expect([...kinds].every((kind) => ["echo", "unsyncable"].includes(kind))).toBe(true);
    const after = [t.stack.exactSandbox.stats(), t.stack.crmofficeSandbox.stats()].map((stats) => stats.calls);
    for (const [index, calls] of after.entries()) {
      const before = JSON.parse(writesBefore[index] ?? "{}") as Record<string, number>;
      const writes = Object.entries(calls).filter(
        ([key, count]) => /^(POST|PUT|DELETE) \/(api\/v1|contacts|companies)/.test(key) && count !== (before[key] ?? 0),
      );
      expect(writes).toEqual([]);
    }
  });
});

itCausedNoExactErrorBlock(() => t.stack);
