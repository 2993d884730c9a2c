import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { errorText, GUID, REPRESENTATION, startClient, testClock } from "./helpers";
import type { ExactTestClient } from "./helpers";

let client: ExactTestClient;
const clock = testClock();
beforeEach(async () => {
  client = await startClient({ now: clock.read });
});
afterEach(async () => client.sandbox.stop());

type Single = { d: Record<string, unknown> };
type List = { d: { results: Array<Record<string, unknown>>; __next?: string } };

const account = EXACT_SANDBOX.defaultAccountId;
/** The test clock runs in May: Amsterdam is on summer time, two hours ahead of UTC. */
const CEST = 2 * 3_600_000;

async function createContact(fields: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await client.api("crm/Contacts", { method: "POST", json: { Account: account, ...fields }, headers: REPRESENTATION });
  expect(response.status).toBe(201);
  return ((await response.json()) as Single).d;
}

describe("Exact sandbox resources", () => {
  it("always holds the default Account, also when started empty", async () => {
    const response = await client.api(`crm/Accounts(guid'${account}')`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as Single).d).toMatchObject({ ID: account, Name: "Demo Holding BV" });
    const list = (await (await client.api("crm/Accounts")).json()) as List;
    expect(list.d.results.map((row) => row.ID)).toEqual([account]);
  });

  it("creates a contact (201 with the record when asked), derives FullName and AccountName, dates in Amsterdam time", async () => {
    const created = await createContact({ FirstName: "Ola", LastName: "Nordmann", Email: "ola@example.com" });
    expect(created.ID).toMatch(GUID);
    expect(created).toMatchObject({
      FirstName: "Ola",
      LastName: "Nordmann",
      FullName: "Ola Nordmann",
      AccountName: "Demo Holding BV",
      Email: "ola@example.com",
      BusinessEmail: "ola@example.com",
      Division: client.sandbox.division,
      Created: `/Date(${clock.now + CEST})/`,
      Modified: `/Date(${clock.now + CEST})/`,
    });
    const fetched = await client.api(`crm/Contacts(guid'${String(created.ID)}')`);
    expect(((await fetched.json()) as Single).d).toMatchObject({ ID: created.ID, FullName: "Ola Nordmann" });
  });

  it("mirrors Email/BusinessEmail, Phone/BusinessPhone and Mobile/BusinessMobile both ways", async () => {
    const created = await createContact({ LastName: "Berg", BusinessPhone: "+47 1", Mobile: "+47 2", BusinessEmail: "b@example.com" });
    expect(created).toMatchObject({ Phone: "+47 1", BusinessPhone: "+47 1", Mobile: "+47 2", BusinessMobile: "+47 2" });
    expect(created).toMatchObject({ Email: "b@example.com", BusinessEmail: "b@example.com" });
    const update = await client.api(`crm/Contacts(guid'${String(created.ID)}')`, {
      method: "PUT",
      json: { Email: "new@example.com", BusinessMobile: "+47 3" },
      headers: { Prefer: "return=representation" },
    });
    expect(update.status).toBe(200);
    expect(((await update.json()) as Single).d).toMatchObject({
      Email: "new@example.com",
      BusinessEmail: "new@example.com",
      Mobile: "+47 3",
      BusinessMobile: "+47 3",
      Phone: "+47 1",
    });
  });

  it("PUT changes only the fields sent and answers 204; Modified moves, FullName follows", async () => {
    const created = await createContact({ FirstName: "Ola", LastName: "Nordmann", JobTitleDescription: "CEO" });
    clock.advance(5_000);
    const put = await client.api(`crm/Contacts(guid'${String(created.ID)}')`, { method: "PUT", json: { FirstName: "Kari" } });
    expect(put.status).toBe(204);
    expect(await put.text()).toBe("");
    const after = ((await (await client.api(`crm/Contacts(guid'${String(created.ID)}')`)).json()) as Single).d;
    expect(after).toMatchObject({ FirstName: "Kari", LastName: "Nordmann", FullName: "Kari Nordmann", JobTitleDescription: "CEO" });
    expect(after.Modified).toBe(`/Date(${clock.now + CEST})/`);
    expect(after.Created).toBe(created.Created);
  });

  it("ignores read-only fields on write and refuses unknown properties with 400", async () => {
    const created = await createContact({ LastName: "Hansen", FullName: "Ignored Name", ID: "11111111-1111-1111-1111-111111111111" });
    expect(created.FullName).toBe("Hansen");
    expect(created.ID).not.toBe("11111111-1111-1111-1111-111111111111");
    const unknown = await client.api("crm/Contacts", { method: "POST", json: { Account: account, LastName: "X", Shoe: 42 } });
    expect(unknown.status).toBe(400);
    expect(await errorText(unknown)).toContain("'Shoe'");
  });

  it("requires an existing Account and a first or last name for contacts", async () => {
    const noAccount = await client.api("crm/Contacts", { method: "POST", json: { LastName: "X" } });
    expect(noAccount.status).toBe(500);
    expect(await errorText(noAccount)).toBe("Verplicht: Account");
    const missingAccount = await client.api("crm/Contacts", {
      method: "POST",
      json: { Account: "22222222-2222-2222-2222-222222222222", LastName: "X" },
    });
    expect(missingAccount.status).toBe(400);
    expect(await errorText(missingAccount)).toContain("does not exist");
    const noName = await client.api("crm/Contacts", { method: "POST", json: { Account: account, Email: "a@example.com" } });
    expect(noName.status).toBe(500);
    expect(await errorText(noName)).toBe("Verplicht: FirstName of LastName");
  });

  it("items need Code and Description, respect length limits and keep Code unique in the division", async () => {
    const ok = await client.api("logistics/Items", {
      method: "POST",
      json: { Code: "A-1", Description: "x".repeat(60) },
      headers: REPRESENTATION,
    });
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as Single).d).toMatchObject({ Code: "A-1", Unit: "pc", IsSalesItem: true });
    const tooLong = await client.api("logistics/Items", { method: "POST", json: { Code: "A-2", Description: "x".repeat(61) } });
    expect(tooLong.status).toBe(400);
    const extraTooLong = await client.api("logistics/Items", {
      method: "POST",
      json: { Code: "A-3", Description: "ok", ExtraDescription: "y".repeat(256) },
    });
    expect(extraTooLong.status).toBe(400);
    expect((await client.api("logistics/Items", { method: "POST", json: { Description: "no code" } })).status).toBe(500);
    expect((await client.api("logistics/Items", { method: "POST", json: { Code: "A-4" } })).status).toBe(500);
    const duplicate = await client.api("logistics/Items", { method: "POST", json: { Code: "a-1", Description: "dup" } });
    expect(duplicate.status).toBe(500);
    expect(await errorText(duplicate)).toContain("Gegeven bestaat reeds");
  });

  it("accepts ISO 8601 dates, answers them as /Date(n)/ in Amsterdam time, and refuses /Date(n)/ on write", async () => {
    const created = await client.api("logistics/Items", {
      method: "POST",
      json: { Code: "D-1", Description: "dated", StartDate: "2024-03-01T12:30:00Z", EndDate: "2024-12-31" },
      headers: REPRESENTATION,
    });
    expect(created.status).toBe(201);
    const item = ((await created.json()) as Single).d;
    // 12:30 UTC on 1 March is 13:30 in Amsterdam (CET); a date alone is Amsterdam midnight.
    expect(item.StartDate).toBe(`/Date(${Date.UTC(2024, 2, 1, 13, 30)})/`);
    expect(item.EndDate).toBe(`/Date(${Date.UTC(2024, 11, 31)})/`);
    const wcf = await client.api(`logistics/Items(guid'${String(item.ID)}')`, {
      method: "PUT",
      json: { StartDate: item.StartDate },
    });
    expect(wcf.status).toBe(400);
    expect(await errorText(wcf)).toContain("ISO 8601");
  });

  it("deletes with 204, then the key is 404 with Exact's error body", async () => {
    const created = await createContact({ LastName: "Gone" });
    const path = `crm/Contacts(guid'${String(created.ID)}')`;
    expect((await client.api(path, { method: "DELETE" })).status).toBe(204);
    const missing = await client.api(path);
    expect(missing.status).toBe(404);
    const body = (await missing.json()) as { error: { code: string; message: { lang: string; value: string } } };
    expect(body.error.code).toBe("");
    expect(body.error.message.lang).toBe("");
    expect(body.error.message.value).toMatch(/not found/i);
    expect((await client.api(path, { method: "PUT", json: { LastName: "x" } })).status).toBe(404);
    expect((await client.api(path, { method: "DELETE" })).status).toBe(404);
  });

  it("serves employees read-only: POST, PUT and DELETE are 405 with Exact's error body", async () => {
    const list = await client.api("payroll/Employees");
    expect(list.status).toBe(200);
    const post = await client.api("payroll/Employees", { method: "POST", json: { FirstName: "No" } });
    expect(post.status).toBe(405);
    expect(await errorText(post)).toContain("read-only");
    const key = "payroll/Employees(guid'33333333-3333-3333-3333-333333333333')";
    expect((await client.api(key, { method: "PUT", json: { FirstName: "No" } })).status).toBe(405);
    expect((await client.api(key, { method: "DELETE" })).status).toBe(405);
  });

  it("refuses another division with 403 and a malformed key with 400", async () => {
    const other = await client.api(`${client.sandbox.url}/api/v1/999/crm/Contacts`);
    expect(other.status).toBe(403);
    expect(await errorText(other)).toContain("999");
    expect((await client.api("crm/Contacts(guid'not-a-guid')")).status).toBe(400);
  });

  it("demands Accept: application/json on reads (Exact answers XML otherwise)", async () => {
    const response = await client.api("crm/Contacts", { headers: { Accept: "*/*" } });
    expect(response.status).toBe(406);
  });
});
