/** Fixed-width strings: padded on the wire, stored and compared trimmed. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { REPRESENTATION, startClient } from "./helpers";
import type { ExactTestClient } from "./helpers";

type Single = { d: Record<string, unknown> };
type List = { d: { results: Array<Record<string, unknown>> } };

let client: ExactTestClient;
beforeEach(async () => {
  client = await startClient();
});
afterEach(async () => client.sandbox.stop());

async function createContact(fields: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await client.api("crm/Contacts", {
    method: "POST",
    json: { Account: EXACT_SANDBOX.defaultAccountId, ...fields },
    headers: REPRESENTATION,
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as Single).d;
}

async function rows(path: string): Promise<Array<Record<string, unknown>>> {
  const response = await client.api(path);
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as List).d.results;
}

describe("Exact sandbox fixed-width strings", () => {
  it("sends an Account's Code right-aligned in 18 characters and its Country in 3", async () => {
    const [account] = await rows("crm/Accounts?$select=Code,Country");
    expect(account).toMatchObject({ Code: "                 1", Country: "NL " });
  });

  it("gives each new contact the next Code, right-aligned in 18, and ignores a Code the client writes", async () => {
    const first = await createContact({ LastName: "One", Code: "999" });
    const second = await createContact({ LastName: "Two" });
    expect(first.Code).toBe("                 1");
    expect(second.Code).toBe("                 2");
    expect(first.HID).toBe(1);
    const path = `crm/Contacts(guid'${String(first.ID)}')`;
    expect((await client.api(path, { method: "PUT", json: { Code: "5", LastName: "Uno" } })).status).toBe(204);
    const after = ((await (await client.api(path)).json()) as Single).d;
    expect(after).toMatchObject({ Code: "                 1", LastName: "Uno" });
  });

  it("pads Country to 3 and Language to 10, and does not pad twice what was written padded", async () => {
    const plain = await createContact({ LastName: "Plain", Country: "FR", Language: "FR" });
    const padded = await createContact({ LastName: "Padded", Country: "FR ", Language: "FR        " });
    for (const contact of [plain, padded]) expect(contact).toMatchObject({ Country: "FR ", Language: "FR        " });
  });

  it("pads an employee's Country and Language too", async () => {
    const id = "44444444-4444-4444-8444-000000000001";
    const put = await fetch(`${client.sandbox.url}/_sandbox/employees/${id}`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ FirstName: "Emma", Country: "NL", Language: "NL" }),
    });
    expect(put.status).toBe(201);
    const [employee] = await rows("payroll/Employees?$select=Country,Language");
    expect(employee).toMatchObject({ Country: "NL ", Language: "NL        " });
  });

  it("matches a filter on a fixed-width field with or without the padding", async () => {
    await createContact({ LastName: "Lyon", Country: "FR" });
    await createContact({ LastName: "Oslo", Country: "NO" });
    const lastNames = async (filter: string) =>
      (await rows(`crm/Contacts?$select=LastName&$filter=${encodeURIComponent(filter)}`)).map((row) => row.LastName);
    expect(await lastNames("Country eq 'FR'")).toEqual(["Lyon"]);
    expect(await lastNames("Country eq 'FR '")).toEqual(["Lyon"]);
    expect(await lastNames("Code eq '                 2'")).toEqual(["Oslo"]);
    expect(await lastNames("Code eq '2'")).toEqual(["Oslo"]);
    expect(await rows(`crm/Accounts?$select=ID&$filter=${encodeURIComponent("Code eq '                 1'")}`)).toHaveLength(1);
  });

  it("orders codes by their padded form, so they sort as numbers", async () => {
    for (let index = 1; index <= 10; index += 1) await createContact({ LastName: `Person ${index}` });
    const codes = (await rows("crm/Contacts?$select=Code&$orderby=Code desc&$top=3")).map((row) => String(row.Code).trim());
    expect(codes).toEqual(["10", "9", "8"]);
  });
});
