import { afterEach, describe, expect, it } from "vitest";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { DEMO_IDS } from "#lib/sandbox/exactonline/seed";
import { startClient } from "./helpers";
import type { ExactTestClient } from "./helpers";

type List = { d: { results: Array<Record<string, unknown>> } };

const clients: ExactTestClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.sandbox.stop()));
});

async function rows(client: ExactTestClient, path: string) {
  return ((await (await client.api(path)).json()) as List).d.results;
}

describe("Exact sandbox demo seed", () => {
  it("holds the demo contacts, employees and items CRMOffice's demo is built to meet", async () => {
    const client = await startClient({ seed: "demo" });
    clients.push(client);
    const contacts = await rows(client, "crm/Contacts");
    expect(contacts).toHaveLength(3);
    const kari = contacts.filter((row) => row.Email === "kari.nordmann@example.com");
    expect(kari).toHaveLength(1);
    expect(kari[0]).toMatchObject({
      ID: DEMO_IDS.contacts.kariNordmann,
      Account: EXACT_SANDBOX.defaultAccountId,
      FullName: "Kari Nordmann",
    });
    expect(new Set(contacts.map((row) => row.Email)).size).toBe(3);

    const employees = await rows(client, "payroll/Employees");
    expect(employees).toHaveLength(2);
    const employeeEmails = employees.map((row) => row.BusinessEmail);
    expect(new Set(employeeEmails).size).toBe(2);
    expect(employeeEmails.some((email) => contacts.some((contact) => contact.Email === email))).toBe(false);

    const items = await rows(client, "logistics/Items");
    expect(items.map((row) => row.Code).sort()).toEqual(["NL-TULIP-01", "NL-WIND-02", "NO-918273645"]);
    const accounts = await rows(client, "crm/Accounts");
    expect(accounts).toEqual([expect.objectContaining({ Name: "Demo Holding BV" })]);
  });

  it("is deterministic across starts, and seed none starts empty", async () => {
    const first = await startClient({ seed: "demo" });
    const second = await startClient({ seed: "demo" });
    const empty = await startClient({ seed: "none" });
    clients.push(first, second, empty);
    const ids = async (client: ExactTestClient) =>
      (await rows(client, "sync/CRM/Contacts?$filter=Timestamp gt 1&$select=ID,Timestamp,Email")).map((row) => [
        row.ID,
        row.Timestamp,
        row.Email,
      ]);
    expect(await ids(first)).toEqual(await ids(second));
    expect(await rows(empty, "crm/Contacts")).toEqual([]);
    expect(await rows(empty, "logistics/Items")).toEqual([]);
    expect(await rows(empty, "payroll/Employees")).toEqual([]);
  });
});
