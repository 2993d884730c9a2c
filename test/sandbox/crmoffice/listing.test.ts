import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCrmOfficeSandbox } from "#lib/sandbox/crmoffice/server";
import type { CrmOfficeSandbox } from "#lib/sandbox/crmoffice/server";
import { apiClient, getToken } from "./harness";
import type { Api } from "./harness";

let sandbox: CrmOfficeSandbox;
let api: Api;
/** The 250 contacts, in creation order (which is modifiedAt order). */
let createdIds: string[];

beforeAll(async () => {
  sandbox = await startCrmOfficeSandbox({ port: 0 });
  api = apiClient(sandbox.url, await getToken(sandbox.url));
  createdIds = [];
  for (let n = 1; n <= 250; n += 1) {
    const response = await api("POST", "/contacts", { givenName: `Person ${n}`, email: `person${n}@example.com` });
    createdIds.push(response.body.id);
  }
});
afterAll(() => sandbox.stop());

describe("GET /contacts paging", () => {
  it("walks every record once, in modifiedAt order, with totalCount on each page", async () => {
    const seen: { id: string; modifiedAt: string }[] = [];
    const pageSizes: number[] = [];
    for (let page = 1; ; page += 1) {
      const { status, body } = await api("GET", `/contacts?page=${page}&pageSize=100`);
      expect(status).toBe(200);
      expect(body).toMatchObject({ page, pageSize: 100, totalCount: 250 });
      if (body.items.length === 0) break;
      pageSizes.push(body.items.length);
      seen.push(...body.items);
    }
    expect(pageSizes).toEqual([100, 100, 50]);
    expect(seen.map((item) => item.id)).toEqual(createdIds);
    const times = seen.map((item) => item.modifiedAt);
    expect([...times].sort()).toEqual(times);
  });

  it("defaults to page 1 of 50 and caps pageSize at 200, saying which size it used", async () => {
    const first = (await api("GET", "/contacts")).body;
    expect(first).toMatchObject({ page: 1, pageSize: 50, totalCount: 250 });
    expect(first.items).toHaveLength(50);

    const capped = (await api("GET", "/contacts?pageSize=500")).body;
    expect(capped.pageSize).toBe(200);
    expect(capped.items).toHaveLength(200);

    const pastTheEnd = (await api("GET", "/contacts?page=99")).body;
    expect(pastTheEnd).toEqual({ items: [], page: 99, pageSize: 50, totalCount: 250 });
  });

  it("refuses bad query values with 400", async () => {
    for (const query of [
      "page=0",
      "page=-1",
      "page=abc",
      "page=1.5",
      "pageSize=0",
      "pageSize=ten",
      "modifiedSince=yesterday",
      "modifiedSince=2025-01-01",
      "email=",
      "orgNr=NO-1",
      "page=1&page=2",
      "sort=name",
    ]) {
      const response = await api("GET", `/contacts?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body).toEqual({ error: "invalid_query", message: expect.any(String) });
    }
    expect((await api("GET", "/companies?email=a@example.com")).status).toBe(400);
  });
});

describe("GET /contacts?modifiedSince", () => {
  it("keeps records modified at or after the time, including a record just updated", async () => {
    const all = (await api("GET", "/contacts?pageSize=200&page=1")).body.items;
    const pivot = all[150];
    const since = (await api("GET", `/contacts?pageSize=200&modifiedSince=${encodeURIComponent(pivot.modifiedAt)}`)).body;
    expect(since.totalCount).toBe(100);
    expect(since.items[0].id).toBe(pivot.id);

    const updated = (await api("PUT", `/contacts/${createdIds[0]}`, { givenName: "Person 1", email: "person1@example.com" })).body;
    const afterUpdate = (await api("GET", `/contacts?modifiedSince=${encodeURIComponent(updated.modifiedAt)}`)).body;
    expect(afterUpdate.totalCount).toBe(1);
    expect(afterUpdate.items[0]).toEqual(updated);

    // An offset is the same instant: 1 hour ahead of UTC.
    const asOslo = new Date(Date.parse(updated.modifiedAt) + 3_600_000).toISOString().replace("Z", "+01:00");
    expect((await api("GET", `/contacts?modifiedSince=${encodeURIComponent(asOslo)}`)).body.totalCount).toBe(1);
  });
});

describe("matching filters", () => {
  it("finds contacts by email, case-insensitively and exactly", async () => {
    const found = (await api("GET", `/contacts?email=${encodeURIComponent("PERSON7@Example.COM")}`)).body;
    expect(found.totalCount).toBe(1);
    expect(found.items[0]).toMatchObject({ id: createdIds[6], email: "person7@example.com" });
    expect((await api("GET", "/contacts?email=person7@example")).body.totalCount).toBe(0);
  });

  it("finds companies by exact orgNr", async () => {
    await api("POST", "/companies", { name: "One", orgNr: "NO-918273645" });
    await api("POST", "/companies", { name: "Two", orgNr: "NO-918273646" });
    await api("POST", "/companies", { name: "Three" });
    const found = (await api("GET", "/companies?orgNr=NO-918273645")).body;
    expect(found.totalCount).toBe(1);
    expect(found.items[0]).toMatchObject({ name: "One", orgNr: "NO-918273645" });
    expect((await api("GET", "/companies?orgNr=no-918273645")).body.totalCount).toBe(0);
    expect((await api("GET", "/companies")).body.totalCount).toBe(3);
  });
});
