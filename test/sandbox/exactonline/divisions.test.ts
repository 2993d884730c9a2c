/** hrm/Divisions, system/Divisions and a division moved to another database. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { control, errorText, startClient, testClock } from "./helpers";
import type { ExactTestClient } from "./helpers";

type List = { d: { results: Array<Record<string, unknown>> } };

let client: ExactTestClient;
const clock = testClock();
beforeEach(async () => {
  clock.now = Date.UTC(2024, 4, 1, 10, 0, 30);
  client = await startClient({ now: clock.read });
});
afterEach(async () => client.sandbox.stop());

async function rows(path: string): Promise<Array<Record<string, unknown>>> {
  const response = await client.api(path);
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as List).d.results;
}

/** Every row version in the division, by endpoint and key, in Timestamp order. */
async function rowVersions(): Promise<Array<[string, number]>> {
  const feeds = [
    ["sync/CRM/Contacts", "ID"],
    ["sync/Logistics/Items", "ID"],
    ["sync/Payroll/Employees", "ID"],
    ["sync/Deleted", "EntityKey"],
  ] as const;
  const all: Array<[string, number]> = [];
  for (const [feed, key] of feeds) {
    for (const row of await rows(`${feed}?$filter=Timestamp gt 0&$select=${key},Timestamp`)) {
      all.push([`${feed}:${String(row[key])}`, Number(row.Timestamp)]);
    }
  }
  return all.sort((a, b) => a[1] - b[1]);
}

const post = (path: string, json: unknown) => client.api(path, { method: "POST", json });

describe("Exact sandbox divisions", () => {
  it("lists the current user's divisions under hrm/Divisions with Code and Description", async () => {
    const divisions = await rows("hrm/Divisions?$select=Code,Description");
    expect(divisions).toEqual([
      {
        __metadata: { uri: `${client.base}/hrm/Divisions(${EXACT_SANDBOX.division})`, type: "Exact.Web.Api.Models.HRM.Division" },
        Code: EXACT_SANDBOX.division,
        Description: "Demo Holding BV",
      },
    ]);
  });

  it("lists system/Divisions with the real fields, DivisionMoveDate null before any move", async () => {
    const [division] = await rows("system/Divisions?$select=Code,Description,DivisionMoveDate,Country,Currency,Customer,Hid,Current");
    expect(division).toMatchObject({
      Code: EXACT_SANDBOX.division,
      Description: "Demo Holding BV",
      DivisionMoveDate: null,
      Country: "NL ",
      Currency: "EUR",
      Customer: EXACT_SANDBOX.defaultAccountId,
      Hid: 1,
      Current: true,
    });
  });

  it("filters divisions like any list and refuses an unknown field", async () => {
    expect(await rows(`system/Divisions?$select=Code&$filter=Code eq ${EXACT_SANDBOX.division}`)).toHaveLength(1);
    expect(await rows("system/Divisions?$select=Code&$filter=Code eq 1")).toEqual([]);
    const unknown = await client.api("system/Divisions?$select=Code,Shoe");
    expect(unknown.status).toBe(400);
    expect(await errorText(unknown)).toContain("Shoe");
  });

  it("moves the division: every Timestamp renumbered from a restarted counter in the old order, DivisionMoveDate now", async () => {
    const contact = await post("crm/Contacts", { Account: EXACT_SANDBOX.defaultAccountId, LastName: "Moved" });
    const contactId = String(((await contact.json()) as { d: { ID: string } }).d.ID);
    await post("logistics/Items", { Code: "MOVE-1", Description: "Moved item" });
    const doomed = await post("logistics/Items", { Code: "MOVE-2", Description: "Deleted item" });
    await client.api(`logistics/Items(guid'${String(((await doomed.json()) as { d: { ID: string } }).d.ID)}')`, { method: "DELETE" });
    await client.api(`crm/Contacts(guid'${contactId}')`, { method: "PUT", json: { FirstName: "Again" } });
    const before = await rowVersions();
    const oldCursor = Math.max(...before.map(([, timestamp]) => timestamp));
    expect(oldCursor).toBeGreaterThan(1000);

    clock.advance(5_000);
    expect((await control(client.sandbox, "move-division", { method: "POST" })).status).toBe(204);

    const after = await rowVersions();
    expect(after.map(([row]) => row)).toEqual(before.map(([row]) => row));
    // The counter restarts at 1: the default Account (the oldest row, which has no sync feed) gets 2.
    expect(after.map(([, timestamp]) => timestamp)).toEqual([3, 4, 5]);
    // 10:00:35 UTC on 1 May is 12:00:35 in Amsterdam (CEST).
    const [division] = await rows("system/Divisions?$select=DivisionMoveDate");
    expect(division?.DivisionMoveDate).toBe(`/Date(${Date.UTC(2024, 4, 1, 12, 0, 35)})/`);
    expect(await rows(`sync/CRM/Contacts?$filter=Timestamp gt ${oldCursor}&$select=ID`)).toEqual([]);

    await post("logistics/Items", { Code: "MOVE-3", Description: "After the move" });
    const [latest] = await rows("sync/Logistics/Items?$filter=Timestamp gt 5&$select=Code,Timestamp");
    expect(latest).toMatchObject({ Code: "MOVE-3", Timestamp: 6 });
  });
});
