import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { errorText, startClient, testClock } from "./helpers";
import type { ExactTestClient } from "./helpers";

type List = { d: { results: Array<Record<string, unknown>>; __next?: string } };

let client: ExactTestClient;
beforeEach(async () => {
  client = await startClient();
});
afterEach(async () => client.sandbox.stop());

const employeeId = (index: number) => `44444444-4444-4444-8444-${String(index).padStart(12, "0")}`;

async function putEmployee(index: number, fields: Record<string, unknown>): Promise<Response> {
  return fetch(`${client.sandbox.url}/_sandbox/employees/${employeeId(index)}`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(fields),
  });
}

async function syncRows(path: string): Promise<Array<Record<string, unknown>>> {
  const response = await client.api(path);
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as List).d.results;
}

async function createContact(lastName: string): Promise<string> {
  const response = await client.api("crm/Contacts", {
    method: "POST",
    json: { Account: EXACT_SANDBOX.defaultAccountId, LastName: lastName },
  });
  return String(((await response.json()) as { d: { ID: string } }).d.ID);
}

describe("Exact sandbox sync API", () => {
  it("stamps every change with one division-wide, increasing Timestamp and filters with gt", async () => {
    const first = await createContact("First");
    const item = await client.api("logistics/Items", { method: "POST", json: { Code: "S-1", Description: "Sync item" } });
    expect(item.status).toBe(201);
    const second = await createContact("Second");
    await client.api(`crm/Contacts(guid'${first}')`, { method: "PUT", json: { FirstName: "Now" } });

    const contacts = await syncRows("sync/CRM/Contacts?$filter=Timestamp gt 1&$select=ID,LastName,FirstName,Timestamp");
    expect(contacts.map((row) => row.ID)).toEqual([second, first]);
    const [secondRow, firstRow] = contacts;
    const items = await syncRows("sync/Logistics/Items?$filter=Timestamp gt 1&$select=Timestamp,Code");
    const itemTimestamp = Number(items[0]?.Timestamp);
    expect(Number(secondRow?.Timestamp)).toBeGreaterThan(itemTimestamp);
    expect(Number(firstRow?.Timestamp)).toBeGreaterThan(Number(secondRow?.Timestamp));
    expect(firstRow).toMatchObject({ FirstName: "Now", LastName: "First" });

    const after = await syncRows(`sync/CRM/Contacts?$filter=Timestamp gt ${String(secondRow?.Timestamp)}&$select=ID`);
    expect(after.map((row) => row.ID)).toEqual([first]);
    const none = await syncRows(`sync/CRM/Contacts?$filter=Timestamp gt ${String(firstRow?.Timestamp)}L&$select=ID`);
    expect(none).toEqual([]);
  });

  it("requires $select (not *) and a Timestamp filter, and refuses $orderby", async () => {
    for (const query of [
      "$filter=Timestamp gt 1",
      "$filter=Timestamp gt 1&$select=*",
      "$select=ID",
      "$filter=LastName eq 'x'&$select=ID",
      "$filter=Timestamp gt 1&$select=ID&$orderby=LastName",
    ]) {
      const response = await client.api(`sync/CRM/Contacts?${query}`);
      expect(response.status, query).toBe(400);
      expect((await errorText(response)).length).toBeGreaterThan(0);
    }
  });

  it("pages employees 1000 at a time in Timestamp order, following __next", async () => {
    for (let start = 0; start < 1005; start += 67) {
      const batch = [];
      for (let index = start; index < Math.min(start + 67, 1005); index += 1) {
        batch.push(putEmployee(index, { FirstName: "E", LastName: String(index) }));
      }
      for (const response of await Promise.all(batch)) expect(response.status).toBe(201);
    }
    const first = (await (await client.api("sync/Payroll/Employees?$filter=Timestamp gt 1&$select=ID,Timestamp")).json()) as List;
    expect(first.d.results).toHaveLength(1000);
    expect(first.d.__next).toContain("$skiptoken=");
    const second = (await (await client.api(String(first.d.__next))).json()) as List;
    expect(second.d.results).toHaveLength(5);
    expect(second.d.__next).toBeUndefined();
    const stamps = [...first.d.results, ...second.d.results].map((row) => Number(row.Timestamp));
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    expect(new Set(stamps).size).toBe(1005);
  });

  it("records deletions in sync/Deleted with EntityType 5, 9 and 42", async () => {
    const contact = await createContact("Doomed");
    const itemResponse = await client.api("logistics/Items", { method: "POST", json: { Code: "DEL-1", Description: "Doomed" } });
    const item = String(((await itemResponse.json()) as { d: { ID: string } }).d.ID);
    expect((await putEmployee(7, { FirstName: "Temp", LastName: "Worker" })).status).toBe(201);

    expect((await client.api(`crm/Contacts(guid'${contact}')`, { method: "DELETE" })).status).toBe(204);
    expect((await client.api(`logistics/Items(guid'${item}')`, { method: "DELETE" })).status).toBe(204);
    const removed = await fetch(`${client.sandbox.url}/_sandbox/employees/${employeeId(7)}`, { method: "DELETE" });
    expect(removed.status).toBe(204);

    const deleted = await syncRows(
      "sync/Deleted?$filter=Timestamp gt 1&$select=Timestamp,EntityKey,EntityType,DeletedBy,DeletedDate,Division,ID",
    );
    expect(deleted.map((row) => [row.EntityKey, row.EntityType])).toEqual([
      [contact, 5],
      [item, 9],
      [employeeId(7), 42],
    ]);
    expect(deleted[0]).toMatchObject({ Division: client.sandbox.division });
    expect(String(deleted[0]?.DeletedDate)).toMatch(/^\/Date\(\d+\)\/$/);
    const later = await syncRows(`sync/Deleted?$filter=Timestamp gt ${String(deleted[1]?.Timestamp)}&$select=EntityKey`);
    expect(later.map((row) => row.EntityKey)).toEqual([employeeId(7)]);
  });

  it("lets the sandbox route create and replace employees, bumping Timestamp and Modified", async () => {
    expect((await putEmployee(1, { FirstName: "Ada", LastName: "Lovelace", BusinessEmail: "ada@example.com" })).status).toBe(201);
    const before = await syncRows("sync/Payroll/Employees?$filter=Timestamp gt 1&$select=ID,Timestamp,FullName,BusinessEmail");
    expect(before[0]).toMatchObject({ ID: employeeId(1), FullName: "Ada Lovelace", BusinessEmail: "ada@example.com" });
    const replaced = await putEmployee(1, { FirstName: "Ada", LastName: "King", StartDate: "2024-01-02" });
    expect(replaced.status).toBe(200);
    const after = await syncRows("sync/Payroll/Employees?$filter=Timestamp gt 1&$select=ID,Timestamp,FullName,BusinessEmail");
    expect(after[0]).toMatchObject({ FullName: "Ada King", BusinessEmail: null });
    expect(Number(after[0]?.Timestamp)).toBeGreaterThan(Number(before[0]?.Timestamp));
    const viaApi = await client.api(`payroll/Employees(guid'${employeeId(1)}')`);
    expect(((await viaApi.json()) as { d: Record<string, unknown> }).d.StartDate).toBe(`/Date(${Date.UTC(2024, 0, 2)})/`);
    expect((await putEmployee(2, { Salary: 1 })).status).toBe(400);
    expect((await fetch(`${client.sandbox.url}/_sandbox/employees/${employeeId(9)}`, { method: "DELETE" })).status).toBe(404);
  });

  it("reads `Timestamp gt 123L` (Int64 suffix) as `Timestamp gt 123`", async () => {
    await createContact("A");
    await createContact("B");
    const [first] = await syncRows("sync/CRM/Contacts?$filter=Timestamp gt 1&$select=Timestamp");
    const cursor = Number(first?.Timestamp);
    const plain = await syncRows(`sync/CRM/Contacts?$filter=Timestamp gt ${cursor}&$select=LastName`);
    const suffixed = await syncRows(`sync/CRM/Contacts?$filter=Timestamp gt ${cursor}L&$select=LastName`);
    expect(plain.map((row) => row.LastName)).toEqual(["B"]);
    expect(suffixed).toEqual(plain);
  });

  it("keeps sync/Deleted for two months by the sandbox's clock", async () => {
    const clock = testClock(Date.UTC(2024, 4, 1, 10, 0, 30));
    await client.sandbox.stop();
    client = await startClient({ now: clock.read, accessTokenTtlSeconds: 100 * 24 * 3600 });
    const older = await createContact("Older");
    await client.api(`crm/Contacts(guid'${older}')`, { method: "DELETE" });
    clock.now = Date.UTC(2024, 5, 1, 10, 0, 30);
    const newer = await createContact("Newer");
    await client.api(`crm/Contacts(guid'${newer}')`, { method: "DELETE" });
    const deletedKeys = async () => (await syncRows("sync/Deleted?$filter=Timestamp gt 1&$select=EntityKey")).map((row) => row.EntityKey);
    clock.now = Date.UTC(2024, 6, 1, 10, 0, 30);
    expect(await deletedKeys()).toEqual([older, newer]);
    clock.advance(1);
    expect(await deletedKeys()).toEqual([newer]);
  });
});

describe("Exact sandbox sync API with int64AsString", () => {
  it("sends Timestamps as JSON strings, and still filters and pages on them", async () => {
    await client.sandbox.stop();
    client = await startClient({ int64AsString: true });
    const id = await createContact("Stringly");
    const response = await client.api("sync/CRM/Contacts?$filter=Timestamp gt 1L&$select=ID,Timestamp");
    const text = await response.text();
    const [row] = (JSON.parse(text) as List).d.results;
    expect(row?.ID).toBe(id);
    expect(typeof row?.Timestamp).toBe("string");
    expect(text).toMatch(/"Timestamp":"\d+"/);
    expect(await syncRows(`sync/CRM/Contacts?$filter=Timestamp gt ${String(row?.Timestamp)}L&$select=ID`)).toEqual([]);
  });

  it("sends them as JSON numbers by default", async () => {
    await createContact("Numeric");
    const [row] = await syncRows("sync/CRM/Contacts?$filter=Timestamp gt 1&$select=Timestamp");
    expect(typeof row?.Timestamp).toBe("number");
  });
});
