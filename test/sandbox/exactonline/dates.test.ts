/**
 * Exact's dates are Amsterdam wall-clock time written as if UTC. Every vector below was worked
 * out by hand from the instant and Amsterdam's offset then (UTC+1 in winter, UTC+2 in summer;
 * the 2026 changes are 29 March 01:00 UTC and 25 October 01:00 UTC).
 */
import { afterEach, describe, expect, it } from "vitest";
import { sendEmpty, startHttpServer } from "#lib/sandbox/common/http";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { errorText, REPRESENTATION, startClient, testClock } from "./helpers";
import type { ExactTestClient } from "./helpers";

type Single = { d: Record<string, unknown> };
type List = { d: { results: Array<Record<string, unknown>> } };

let client: ExactTestClient;
afterEach(async () => client.sandbox.stop());

async function createItem(code: string, fields: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const response = await client.api("logistics/Items", {
    method: "POST",
    json: { Code: code, Description: `Item ${code}`, ...fields },
    headers: REPRESENTATION,
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as Single).d;
}

async function itemCodes(filter: string): Promise<unknown[]> {
  const response = await client.api(`logistics/Items?$select=Code&$filter=${encodeURIComponent(filter)}`);
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as List).d.results.map((row) => row.Code);
}

async function me(select = ""): Promise<Response> {
  return client.api(`${client.sandbox.url}/api/v1/current/Me${select}`);
}

describe("Exact sandbox dates: Amsterdam wall-clock time", () => {
  it("writes a summer instant two hours ahead: 14:14:12.403 UTC on 25 June 2026 is /Date(1782404052403)/", async () => {
    client = await startClient({ now: testClock(1782396852403).read });
    const item = await createItem("SUMMER");
    expect(item.Created).toBe("/Date(1782404052403)/");
    expect(item.Modified).toBe("/Date(1782404052403)/");
  });

  it("writes a winter instant one hour ahead: 10:00 UTC on 15 January 2026 is /Date(1768474800000)/", async () => {
    client = await startClient({ now: testClock(1768471200000).read });
    const item = await createItem("WINTER");
    expect(item.Created).toBe("/Date(1768474800000)/");
  });

  it("jumps an hour at the end of March: 00:59:59 UTC is 01:59:59 there, one second later it is 03:00:00", async () => {
    const clock = testClock(1774745999000);
    client = await startClient({ now: clock.read });
    expect((await createItem("BEFORE")).Created).toBe("/Date(1774749599000)/");
    clock.advance(1000);
    expect((await createItem("AFTER")).Created).toBe("/Date(1774753200000)/");
  });

  it("repeats an hour at the end of October: 00:30 UTC and 01:30 UTC are both 02:30 there", async () => {
    const clock = testClock(1792888200000);
    client = await startClient({ now: clock.read, accessTokenTtlSeconds: 7200 });
    expect((await createItem("FIRST")).Created).toBe("/Date(1792895400000)/");
    clock.advance(3_600_000);
    expect((await createItem("SECOND")).Created).toBe("/Date(1792895400000)/");
  });

  it("reads a zone-less write as Amsterdam time on both sides of the March change, and sends it back as written", async () => {
    client = await startClient();
    // 01:30 in Amsterdam on 29 March is still winter time (00:30 UTC); 03:30 is summer time (01:30 UTC).
    const winter = await createItem("W-SIDE", { StartDate: "2026-03-29T01:30:00" });
    const summer = await createItem("S-SIDE", { StartDate: "2026-03-29T03:30:00" });
    expect(winter.StartDate).toBe("/Date(1774747800000)/");
    expect(summer.StartDate).toBe("/Date(1774755000000)/");
    const read = (await (await client.api(`logistics/Items(guid'${String(summer.ID)}')?$select=StartDate`)).json()) as Single;
    expect(read.d.StartDate).toBe("/Date(1774755000000)/");
    expect(await itemCodes("StartDate eq datetime'2026-03-29T00:30:00Z'")).toEqual(["W-SIDE"]);
    expect(await itemCodes("StartDate eq datetime'2026-03-29T01:30:00Z'")).toEqual(["S-SIDE"]);
    expect(await itemCodes("StartDate eq datetime'2026-03-29T03:30:00'")).toEqual(["S-SIDE"]);
  });

  it("takes a write with Z or an offset as that instant, whatever the season", async () => {
    client = await startClient();
    const utc = await createItem("UTC", { StartDate: "2026-10-25T01:30:00Z" });
    const offset = await createItem("OFFSET", { StartDate: "2026-10-25T02:30:00+01:00" });
    expect(utc.StartDate).toBe("/Date(1792895400000)/");
    expect(offset.StartDate).toBe("/Date(1792895400000)/");
  });

  it("reads the repeated October hour, written without a zone, as winter time (the later instant)", async () => {
    client = await startClient();
    await createItem("AMBIGUOUS", { StartDate: "2026-10-25T02:30:00" });
    expect(await itemCodes("StartDate eq datetime'2026-10-25T01:30:00Z'")).toEqual(["AMBIGUOUS"]);
  });

  it("reads a date alone as Amsterdam midnight, in summer and in winter", async () => {
    client = await startClient();
    const summer = await createItem("JUNE", { StartDate: "2026-06-25", EndDate: "2026-12-24" });
    expect(summer.StartDate).toBe("/Date(1782345600000)/");
    expect(summer.EndDate).toBe("/Date(1798070400000)/");
    expect(await itemCodes("StartDate eq datetime'2026-06-24T22:00:00Z'")).toEqual(["JUNE"]);
    expect(await itemCodes("EndDate eq datetime'2026-12-23T23:00:00Z'")).toEqual(["JUNE"]);
  });

  it("current/Me reports ServerUtcOffset in seconds and ServerTime in Amsterdam time: 7200 in summer", async () => {
    client = await startClient({ now: testClock(1782396852403).read });
    const response = await me();
    expect(response.status).toBe(200);
    const [row] = ((await response.json()) as List).d.results;
    expect(row).toMatchObject({ ServerUtcOffset: 7200, ServerTime: "/Date(1782404052403)/" });
  });

  it("current/Me reports 3600 in winter", async () => {
    client = await startClient({ now: testClock(1768471200000).read });
    const [row] = ((await (await me("?$select=ServerUtcOffset,ServerTime")).json()) as List).d.results;
    expect(row).toEqual({
      __metadata: expect.objectContaining({ type: "Exact.Web.Api.System.Me" }) as unknown,
      ServerUtcOffset: 3600,
      ServerTime: "/Date(1768474800000)/",
    });
  });

  it("current/Me honours $select and refuses a name that is no field of Me", async () => {
    client = await startClient();
    const [row] = ((await (await me("?$select=CurrentDivision")).json()) as List).d.results;
    expect(Object.keys(row ?? {}).sort()).toEqual(["CurrentDivision", "__metadata"]);
    expect(row?.CurrentDivision).toBe(EXACT_SANDBOX.division);
    const unknown = await me("?$select=CurrentDivision,Shoe");
    expect(unknown.status).toBe(400);
    expect(await errorText(unknown)).toContain("Shoe");
  });

  it("sends sync/Deleted's DeletedDate in Amsterdam time", async () => {
    client = await startClient({ now: testClock(1768471200000).read });
    const item = await createItem("GONE");
    expect((await client.api(`logistics/Items(guid'${String(item.ID)}')`, { method: "DELETE" })).status).toBe(204);
    const rows = ((await (await client.api("sync/Deleted?$filter=Timestamp gt 1&$select=EntityKey,DeletedDate")).json()) as List).d.results;
    expect(rows).toEqual([expect.objectContaining({ EntityKey: item.ID, DeletedDate: "/Date(1768474800000)/" })]);
  });

  it("sends a webhook subscription's Created in Amsterdam time", async () => {
    client = await startClient({ now: testClock(1782396852403).read });
    const receiver = await startHttpServer((_req, res) => sendEmpty(res, 200), { port: 0, host: "127.0.0.1" });
    try {
      const created = await client.api("webhooks/WebhookSubscriptions", {
        method: "POST",
        json: { CallbackURL: `${receiver.url}/hook`, Topic: "Items" },
        headers: REPRESENTATION,
      });
      expect(((await created.json()) as Single).d.Created).toBe("/Date(1782404052403)/");
    } finally {
      await receiver.close();
    }
  });
});
