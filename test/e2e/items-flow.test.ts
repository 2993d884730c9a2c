import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CrmUser, ExactUser } from "../support/sandbox-users";
import { eventually } from "../support/sandbox-users";
import { startTestStack, type TestStack, itCausedNoExactErrorBlock } from "../support/stack";

/*
 * Flow 2, Exact Items ⇄ CRMOffice Companies, both ways, with deletes propagated (the opt-in
 * policy; the contacts tests cover the default, unlink and keep). Webhooks arrive 300 ms late,
 * so edits made on both sides at once are both in place when the worker looks.
 */
let t: TestStack;
let exact: ExactUser;
let crm: CrmUser;

beforeAll(async () => {
  process.env.PROPAGATE_DELETES = "items";
  t = await startTestStack({ exactSandbox: { delivery: { delayMs: 300 } }, crmofficeSandbox: { delivery: { delayMs: 300 } } });
  ({ exact, crm } = t);
}, 60_000);

afterAll(async () => {
  delete process.env.PROPAGATE_DELETES;
  await t?.stack.stop();
});

const companyByOrgNr = async (orgNr: string) => (await crm.list(`/companies?orgNr=${encodeURIComponent(orgNr)}`))[0];
const itemByCode = async (code: string) => (await exact.list(`logistics/Items?$filter=Code eq '${code}'&$select=ID,Code,Description`))[0];

describe("Exact Items ⇄ CRMOffice Companies", () => {
  it("creates an item made in Exact as a company (Description → name, Code → orgNr)", async () => {
    await exact.post("logistics/Items", { Code: "NO-111111111", Description: "Nordlys Consulting" });
    const company = await eventually(() => companyByOrgNr("NO-111111111"), 10_000, "the company");
    expect(company).toMatchObject({ name: "Nordlys Consulting", orgNr: "NO-111111111" });
  });

  it("creates a company made in CRMOffice as an item, Description cut to Exact's 60 characters, and leaves the long name alone", async () => {
    const longName = "Vestlandske Rørleggerforretning og Varmepumpeservice Aksjeselskap Bergen";
    expect(longName.length).toBeGreaterThan(60);
    await crm.post("/companies", { name: longName, orgNr: "NO-222222222" });
    const item = await eventually(() => itemByCode("NO-222222222"), 10_000, "the item");
    expect(String(item.Description).length).toBeLessThanOrEqual(60);
    expect(longName.startsWith(String(item.Description))).toBe(true);
    await t.settled();
    expect(await companyByOrgNr("NO-222222222")).toMatchObject({ name: longName });
  });

  it("carries renames both ways", async () => {
    const item = (await itemByCode("NO-111111111")) as { ID: string };
    await exact.put(`logistics/Items(guid'${item.ID}')`, { Description: "Nordlys Consulting AS" });
    await eventually(
      async () => (await companyByOrgNr("NO-111111111"))?.name === "Nordlys Consulting AS",
      10_000,
      "the rename in CRMOffice",
    );

    const company = (await companyByOrgNr("NO-222222222")) as { id: string; orgNr: string };
    await crm.put(`/companies/${company.id}`, { name: "Vestland Varme AS", orgNr: company.orgNr });
    await eventually(async () => (await itemByCode("NO-222222222"))?.Description === "Vestland Varme AS", 10_000, "the rename in Exact");
  });

  it("records a company without orgNr as unsyncable, and syncs it once an edit gives it one", async () => {
    const company = await crm.post("/companies", { name: "Uten Orgnr AS" });
    const ref = { side: "crmoffice" as const, type: "company", id: String(company.id) };
    const unsyncable = await eventually(
      async () => (await t.history(ref)).find((entry) => entry.kind === "unsyncable"),
      10_000,
      "the unsyncable decision",
    );
    expect(unsyncable.reason).toMatch(/Code \(from orgNr\)/);
    await crm.put(`/companies/${String(company.id)}`, { name: "Uten Orgnr AS", orgNr: "NO-333333333" });
    const item = await eventually(() => itemByCode("NO-333333333"), 10_000, "the item once orgNr is set");
    expect(item).toMatchObject({ Description: "Uten Orgnr AS" });
  });

  it("resolves a rename made on both sides at once by the most recent edit, and logs the conflict", async () => {
    const item = (await itemByCode("NO-333333333")) as { ID: string };
    const company = (await companyByOrgNr("NO-333333333")) as { id: string };
    await exact.put(`logistics/Items(guid'${item.ID}')`, { Description: "Name from Exact" });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await crm.put(`/companies/${company.id}`, { name: "Name from CRMOffice", orgNr: "NO-333333333" });
    await t.settled();
    expect(await itemByCode("NO-333333333")).toMatchObject({ Description: "Name from CRMOffice" });
    expect(await companyByOrgNr("NO-333333333")).toMatchObject({ name: "Name from CRMOffice" });
    const history = [
      ...(await t.history({ side: "exactonline", type: "item", id: item.ID })),
      ...(await t.history({ side: "crmoffice", type: "company", id: company.id })),
    ];
    expect(history.flatMap((entry) => entry.conflicts ?? [])).toContainEqual(
      expect.objectContaining({
        field: "name",
        winner: "crmoffice",
        values: { exactonline: "Name from Exact", crmoffice: "Name from CRMOffice" },
      }),
    );
  });

  it("propagates deletes both ways when the flow opts in", async () => {
    const item = (await itemByCode("NO-111111111")) as { ID: string };
    await exact.delete(`logistics/Items(guid'${item.ID}')`);
    await eventually(async () => (await companyByOrgNr("NO-111111111")) === undefined, 10_000, "the company deleted too");

    const company = (await companyByOrgNr("NO-222222222")) as { id: string };
    await crm.delete(`/companies/${company.id}`);
    await eventually(async () => (await itemByCode("NO-222222222")) === undefined, 10_000, "the item deleted too");
  });

  it("ends with both systems holding the same companies and items, once each", async () => {
    await t.settled();
    const items = await exact.list("logistics/Items?$select=Code,Description");
    const companies = await crm.list("/companies");
    const codes = items.map((row) => row.Code).sort();
    expect(codes).toEqual(["NO-333333333"]);
    expect(
      companies
        .filter((row) => row.orgNr)
        .map((row) => row.orgNr)
        .sort(),
    ).toEqual(codes);
  });
});

itCausedNoExactErrorBlock(() => t.stack);
