/** Every real field is a field: accepted in $select, $filter and writes; unknown names stay 400. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { errorText, REPRESENTATION, startClient } from "./helpers";
import type { ExactTestClient } from "./helpers";

type Single = { d: Record<string, unknown> };
type List = { d: { results: Array<Record<string, unknown>> } };

let client: ExactTestClient;
beforeEach(async () => {
  client = await startClient();
});
afterEach(async () => client.sandbox.stop());

async function create(path: string, json: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await client.api(path, { method: "POST", json, headers: REPRESENTATION });
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as Single).d;
}

async function rows(path: string): Promise<Array<Record<string, unknown>>> {
  const response = await client.api(path);
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as List).d.results;
}

const account = EXACT_SANDBOX.defaultAccountId;

describe("Exact sandbox real fields", () => {
  it("answers the $select a public client sends by default for contacts, items and accounts", async () => {
    await create("crm/Contacts", { Account: account, FirstName: "Ola", LastName: "Nordmann" });
    await create("logistics/Items", { Code: "SEL-1", Description: "Selected" });
    const [contact] = await rows("crm/Contacts?$select=ID,Code,FirstName,MiddleName,LastName");
    expect(Object.keys(contact ?? {}).sort()).toEqual(["Code", "FirstName", "ID", "LastName", "MiddleName", "__metadata"]);
    const [item] = await rows("logistics/Items?$select=ID,Code,CostPriceStandard,Description");
    expect(item).toMatchObject({ Code: "SEL-1", CostPriceStandard: 0, Description: "Selected" });
    const [owner] = await rows("crm/Accounts?$select=ID,Code,Name,ChamberOfCommerce,Blocked");
    expect(owner).toMatchObject({ Name: "Demo Holding BV", ChamberOfCommerce: null, Blocked: false });
  });

  it("takes a contact's BirthDate on write and reads it back", async () => {
    const created = await create("crm/Contacts", { Account: account, LastName: "Born", BirthDate: "1980-07-14" });
    // Amsterdam midnight, sent as that wall-clock time.
    expect(created.BirthDate).toBe(`/Date(${Date.UTC(1980, 6, 14)})/`);
    const [read] = await rows(`crm/Contacts?$select=BirthDate&$filter=ID eq guid'${String(created.ID)}'`);
    expect(read?.BirthDate).toBe(`/Date(${Date.UTC(1980, 6, 14)})/`);
  });

  it("stores a writable field it gives no behaviour, reads it back and filters on it", async () => {
    await create("logistics/Items", { Code: "FREE-1", Description: "Free", FreeTextField_01: "blue", CostPriceStandard: 12.5 });
    await create("logistics/Items", { Code: "FREE-2", Description: "Other" });
    const found = await rows("logistics/Items?$select=Code,FreeTextField_01,CostPriceStandard&$filter=FreeTextField_01 eq 'blue'");
    expect(found).toEqual([expect.objectContaining({ Code: "FREE-1", FreeTextField_01: "blue", CostPriceStandard: 12.5 })]);
    expect((await rows("logistics/Items?$select=Code&$filter=CostPriceStandard gt 10")).map((row) => row.Code)).toEqual(["FREE-1"]);
  });

  it("answers an unset field null, an unset boolean false and an unset double 0", async () => {
    const item = await create("logistics/Items", { Code: "UNSET", Description: "Unset" });
    expect(item).toMatchObject({ Barcode: null, FreeDateField_01: null, IsPurchaseItem: false, GrossWeight: 0 });
    expect((await rows("logistics/Items?$select=Code&$filter=IsPurchaseItem eq false")).map((row) => row.Code)).toEqual(["UNSET"]);
  });

  it("ignores a read-only real field on write", async () => {
    const item = await create("logistics/Items", { Code: "RO", Description: "Read-only", Stock: 5, ItemGroupDescription: "x" });
    expect(item).toMatchObject({ Stock: 0, ItemGroupDescription: null });
    const contact = await create("crm/Contacts", { Account: account, LastName: "Ro", CreatorFullName: "Someone", HID: 77 });
    expect(contact.CreatorFullName).toBeNull();
    expect(contact.HID).not.toBe(77);
  });

  it("refuses a name that is no real field, in $select, $filter and writes, with 400", async () => {
    const select = await client.api("crm/Contacts?$select=ID,Shoe");
    expect(select.status).toBe(400);
    expect(await errorText(select)).toContain("Shoe");
    expect((await client.api("crm/Contacts?$filter=Shoe eq 'x'")).status).toBe(400);
    const write = await client.api("crm/Contacts", { method: "POST", json: { Account: account, LastName: "X", Shoe: "x" } });
    expect(write.status).toBe(400);
  });

  it("knows the sync rows' own field lists: an item's sync row has no StandardSalesPrice", async () => {
    await create("crm/Contacts", { Account: account, LastName: "Synced" });
    expect(await rows("sync/CRM/Contacts?$filter=Timestamp gt 1&$select=Timestamp,Code,BirthDate")).toHaveLength(1);
    expect((await client.api("logistics/Items?$select=StandardSalesPrice")).status).toBe(200);
    expect((await client.api("sync/Logistics/Items?$filter=Timestamp gt 1&$select=StandardSalesPrice")).status).toBe(400);
  });

  it("serves the employees' work fields and the private ones alike", async () => {
    const id = "44444444-4444-4444-8444-000000000002";
    await fetch(`${client.sandbox.url}/_sandbox/employees/${id}`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ FirstName: "Daan", BusinessPhone: "+31 20 000 0102", Phone: "+31 6 1", NickName: "D" }),
    });
    const [employee] = await rows("payroll/Employees?$select=BusinessPhone,Phone,NickName,Manager");
    expect(employee).toMatchObject({ BusinessPhone: "+31 20 000 0102", Phone: "+31 6 1", NickName: "D", Manager: null });
  });
});
