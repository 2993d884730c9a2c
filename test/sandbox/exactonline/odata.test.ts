import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { errorText, startClient, testClock } from "./helpers";
import type { ExactTestClient } from "./helpers";

type List = { d: { results: Array<Record<string, unknown>>; __next?: string } };

let client: ExactTestClient;
const clock = testClock();
const ids: Record<string, string> = {};

async function createItem(fields: Record<string, unknown>): Promise<string> {
  const response = await client.api("logistics/Items", { method: "POST", json: fields });
  expect(response.status).toBe(201);
  return String(((await response.json()) as { d: { ID: string } }).d.ID);
}

async function list(query: string): Promise<List> {
  const response = await client.api(`logistics/Items?${query}`);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as List;
}

const codes = async (query: string) => (await list(query)).d.results.map((row) => row.Code);

beforeAll(async () => {
  client = await startClient({ now: clock.read });
  ids.alpha = await createItem({ Code: "ALPHA", Description: "Alpha AS", IsStockItem: true, StartDate: "2024-01-01" });
  clock.advance(1000);
  ids.beta = await createItem({ Code: "BETA", Description: "O'Brien Beta", Notes: "note" });
  clock.advance(1000);
  ids.gamma = await createItem({ Code: "GAMMA", Description: "gamma bv", StartDate: "2024-06-01T00:00:00Z" });
});
afterAll(async () => client.sandbox.stop());

describe("Exact sandbox OData query options", () => {
  it("wraps lists in d.results and single records in d, with __metadata", async () => {
    const body = await list("");
    expect(body.d.results).toHaveLength(3);
    expect(body.d.__next).toBeUndefined();
    const single = (await (await client.api(`logistics/Items(guid'${ids.alpha}')`)).json()) as { d: Record<string, unknown> };
    expect(single.d.Code).toBe("ALPHA");
    expect(single.d.__metadata).toMatchObject({ uri: `${client.base}/logistics/Items(guid'${ids.alpha}')` });
  });

  it("filters with eq (case-insensitive on strings), ne, gt, ge, lt, le", async () => {
    expect(await codes("$filter=Code eq 'alpha'")).toEqual(["ALPHA"]);
    expect((await codes("$filter=Code ne 'ALPHA'")).sort()).toEqual(["BETA", "GAMMA"]);
    expect(await codes("$filter=Code gt 'BETA'")).toEqual(["GAMMA"]);
    expect((await codes("$filter=Code ge 'BETA'")).sort()).toEqual(["BETA", "GAMMA"]);
    expect(await codes("$filter=Code lt 'BETA'")).toEqual(["ALPHA"]);
    expect((await codes("$filter=Code le 'beta'")).sort()).toEqual(["ALPHA", "BETA"]);
  });

  it("filters on guid, datetime, booleans and null, with and/or and parentheses", async () => {
    expect(await codes(`$filter=ID eq guid'${ids.beta?.toUpperCase()}'`)).toEqual(["BETA"]);
    expect(await codes("$filter=StartDate ge datetime'2024-03-01T00:00:00'")).toEqual(["GAMMA"]);
    // ALPHA was created at 10:00:30 UTC, BETA and GAMMA one and two seconds later. A zone-less
    // literal is Amsterdam time (12:00:30 in May); one with Z is that instant.
    expect((await codes("$filter=Modified gt datetime'2024-05-01T12:00:30'")).sort()).toEqual(["BETA", "GAMMA"]);
    expect(await codes("$filter=Modified le datetime'2024-05-01T10:00:30Z'")).toEqual(["ALPHA"]);
    expect((await codes("$filter=Modified gt datetime'2024-05-01T10:00:31'")).sort()).toEqual(["ALPHA", "BETA", "GAMMA"]);
    expect(await codes("$filter=IsStockItem eq true")).toEqual(["ALPHA"]);
    expect((await codes("$filter=StartDate eq null")).sort()).toEqual(["BETA"]);
    expect((await codes("$filter=Notes ne null or (Code eq 'GAMMA' and IsSalesItem eq true)")).sort()).toEqual(["BETA", "GAMMA"]);
    expect(await codes("$filter=(Code eq 'ALPHA' or Code eq 'BETA') and Notes eq null")).toEqual(["ALPHA"]);
    expect(await codes("$filter=Description eq 'O''Brien Beta'")).toEqual(["BETA"]);
    expect(await codes("$filter=Division eq 3183061 and Code eq 'GAMMA'")).toEqual(["GAMMA"]);
  });

  it("refuses bad filters with 400: unknown property, type mismatch, syntax, field-to-field", async () => {
    for (const filter of ["Shoe eq 1", "ID eq 'abc'", "Code eq", "Code eq Description", "substringof('a', Code)"]) {
      const response = await client.api(`logistics/Items?$filter=${encodeURIComponent(filter)}`);
      expect(response.status, filter).toBe(400);
      expect(await errorText(response)).toMatch(/filter|property/i);
    }
  });

  it("$select limits fields and refuses an unknown one; $top, $skip and $orderby asc/desc", async () => {
    const selected = await list("$select=Code,Description");
    expect(Object.keys(selected.d.results[0] ?? {}).sort()).toEqual(["Code", "Description", "__metadata"]);
    const unknown = await client.api("logistics/Items?$select=Code,Shoe");
    expect(unknown.status).toBe(400);
    expect(await errorText(unknown)).toContain("Shoe");
    expect(await codes("$orderby=Code desc")).toEqual(["GAMMA", "BETA", "ALPHA"]);
    expect(await codes("$orderby=Description asc")).toEqual(["ALPHA", "GAMMA", "BETA"]);
    expect(await codes("$orderby=Code desc&$top=2")).toEqual(["GAMMA", "BETA"]);
    expect(await codes("$orderby=Code&$skip=1&$top=1")).toEqual(["BETA"]);
    expect((await client.api("logistics/Items?$top=-1")).status).toBe(400);
  });

  it("$select on a single record", async () => {
    const response = await client.api(`logistics/Items(guid'${ids.gamma}')?$select=Code`);
    const body = (await response.json()) as { d: Record<string, unknown> };
    expect(body.d.Code).toBe("GAMMA");
    expect(body.d.Description).toBeUndefined();
  });
});

describe("Exact sandbox paging", () => {
  it("pages 60 rows with an absolute __next ($skiptoken=guid'…') that keeps the other options", async () => {
    const account = EXACT_SANDBOX.defaultAccountId;
    for (let index = 0; index < 130; index += 1) {
      const response = await client.api("crm/Contacts", {
        method: "POST",
        json: { Account: account, LastName: `Person ${index}`, JobTitleDescription: index % 2 === 0 ? "even" : "odd" },
      });
      expect(response.status).toBe(201);
    }
    const seen: string[] = [];
    let next: string | undefined = `${client.base}/crm/Contacts?$select=ID,LastName&$filter=JobTitleDescription eq 'even'`;
    const pageSizes: number[] = [];
    while (next) {
      const page = (await (await client.api(next)).json()) as List;
      pageSizes.push(page.d.results.length);
      for (const row of page.d.results) {
        expect(Object.keys(row).sort()).toEqual(["ID", "LastName", "__metadata"]);
        seen.push(String(row.ID));
      }
      next = page.d.__next;
      if (next) {
        expect(next.startsWith(`${client.base}/crm/Contacts?`)).toBe(true);
        expect(next).toContain("$skiptoken=guid'");
        expect(decodeURIComponent(next)).toContain("$filter=JobTitleDescription eq 'even'");
      }
    }
    expect(pageSizes).toEqual([60, 5]);
    expect(new Set(seen).size).toBe(65);

    const limited = (await (await client.api("crm/Contacts?$top=70")).json()) as List;
    expect(limited.d.results).toHaveLength(60);
    const rest = (await (await client.api(String(limited.d.__next))).json()) as List;
    expect(rest.d.results).toHaveLength(10);
    expect(rest.d.__next).toBeUndefined();

    const ordered: string[] = [];
    let orderedNext: string | undefined = `${client.base}/crm/Contacts?$orderby=LastName desc`;
    while (orderedNext) {
      const page = (await (await client.api(orderedNext)).json()) as List;
      ordered.push(...page.d.results.map((row) => String(row.LastName)));
      orderedNext = page.d.__next;
    }
    expect(ordered).toHaveLength(130);
    expect(ordered).toEqual([...ordered].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)));
  });
});
