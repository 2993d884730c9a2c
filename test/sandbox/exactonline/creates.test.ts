/** POST answers nulls but the key unless the client asks for the representation; PUT 204 unless asked. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { GUID, REPRESENTATION, startClient } from "./helpers";
import type { ExactTestClient } from "./helpers";

type Single = { d: Record<string, unknown> };

let client: ExactTestClient;
beforeEach(async () => {
  client = await startClient();
});
afterEach(async () => client.sandbox.stop());

const contact = { Account: EXACT_SANDBOX.defaultAccountId, FirstName: "Ola", LastName: "Nordmann", Email: "ola@example.com" };

/** Every property of `d` but `__metadata` and the key. */
function otherValues(d: Record<string, unknown>, key = "ID"): unknown[] {
  return Object.entries(d)
    .filter(([name]) => name !== "__metadata" && name !== key)
    .map(([, value]) => value);
}

describe("Exact sandbox creates", () => {
  it("answers a contact POST without Prefer with 201 and every property null except ID and __metadata", async () => {
    const response = await client.api("crm/Contacts", { method: "POST", json: contact });
    expect(response.status).toBe(201);
    const { d } = (await response.json()) as Single;
    expect(d.ID).toMatch(GUID);
    expect(d.__metadata).toEqual({
      uri: `${client.base}/crm/Contacts(guid'${String(d.ID)}')`,
      type: "Exact.Web.Api.Models.Contact",
    });
    expect(response.headers.get("Location")).toBe(`${client.base}/crm/Contacts(guid'${String(d.ID)}')`);
    // Real fields, sent or not, are there and null: no FirstName, no Modified, no Code.
    expect(d).toMatchObject({ FirstName: null, Email: null, Modified: null, Code: null, Division: null, IsMainContact: null });
    expect(new Set(otherValues(d))).toEqual(new Set([null]));
  });

  it("has stored the record all the same: a read by key gives what was sent", async () => {
    const { d } = (await (await client.api("crm/Contacts", { method: "POST", json: contact })).json()) as Single;
    const read = (await (await client.api(`crm/Contacts(guid'${String(d.ID)}')`)).json()) as Single;
    expect(read.d).toMatchObject({ FirstName: "Ola", LastName: "Nordmann", Email: "ola@example.com", FullName: "Ola Nordmann" });
  });

  it("answers an item POST without Prefer with nulls but the ID", async () => {
    const response = await client.api("logistics/Items", { method: "POST", json: { Code: "THIN-1", Description: "Thin" } });
    expect(response.status).toBe(201);
    const { d } = (await response.json()) as Single;
    expect(d.ID).toMatch(GUID);
    expect(d).toMatchObject({ Code: null, Description: null, IsSalesItem: null, CostPriceStandard: null });
    expect(new Set(otherValues(d))).toEqual(new Set([null]));
  });

  it("answers a POST with Prefer: return=representation with the stored record", async () => {
    const response = await client.api("logistics/Items", {
      method: "POST",
      json: { Code: "FULL-1", Description: "Full" },
      headers: REPRESENTATION,
    });
    expect(response.status).toBe(201);
    const { d } = (await response.json()) as Single;
    expect(d).toMatchObject({ Code: "FULL-1", Description: "Full", Unit: "pc", IsSalesItem: true, Division: client.sandbox.division });
    expect(String(d.Modified)).toMatch(/^\/Date\(\d+\)\/$/);
  });

  it("answers a PUT with 204 and no body, or with 200 and the record under Prefer: return=representation", async () => {
    const { d } = (await (await client.api("crm/Contacts", { method: "POST", json: contact })).json()) as Single;
    const path = `crm/Contacts(guid'${String(d.ID)}')`;
    const plain = await client.api(path, { method: "PUT", json: { FirstName: "Kari" } });
    expect(plain.status).toBe(204);
    expect(await plain.text()).toBe("");
    const represented = await client.api(path, { method: "PUT", json: { JobTitleDescription: "CEO" }, headers: REPRESENTATION });
    expect(represented.status).toBe(200);
    expect(((await represented.json()) as Single).d).toMatchObject({ FirstName: "Kari", JobTitleDescription: "CEO" });
  });
});
