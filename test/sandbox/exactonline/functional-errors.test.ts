/** Exact answers refusals about the data with HTTP 500 and its own error body, in Dutch. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { startClient } from "./helpers";
import type { ExactTestClient } from "./helpers";

let client: ExactTestClient;
beforeEach(async () => {
  client = await startClient();
});
afterEach(async () => client.sandbox.stop());

/** Status, content type and the whole body of an answer. */
async function answer(response: Response) {
  return { status: response.status, type: response.headers.get("Content-Type"), body: (await response.json()) as unknown };
}

const exactError = (value: string) => ({ error: { code: "", message: { lang: "", value } } });

describe("Exact sandbox functional refusals", () => {
  it("refuses a second item with the same Code (any case) with 500 'Gegeven bestaat reeds'", async () => {
    expect((await client.api("logistics/Items", { method: "POST", json: { Code: "DUP-1", Description: "First" } })).status).toBe(201);
    const second = await client.api("logistics/Items", { method: "POST", json: { Code: "dup-1", Description: "Second" } });
    expect(await answer(second)).toEqual({
      status: 500,
      type: "application/json; charset=utf-8",
      body: exactError("Gegeven bestaat reeds: Code"),
    });
  });

  it("refuses a PUT that gives an item another item's Code the same way", async () => {
    await client.api("logistics/Items", { method: "POST", json: { Code: "KEEP", Description: "Kept" } });
    const other = await client.api("logistics/Items", { method: "POST", json: { Code: "OTHER", Description: "Other" } });
    const id = String(((await other.json()) as { d: { ID: string } }).d.ID);
    const clash = await client.api(`logistics/Items(guid'${id}')`, { method: "PUT", json: { Code: "KEEP" } });
    expect(await answer(clash)).toMatchObject({ status: 500, body: exactError("Gegeven bestaat reeds: Code") });
  });

  it("refuses an item without Code or Description with 500 'Verplicht: <field>'", async () => {
    const noCode = await client.api("logistics/Items", { method: "POST", json: { Description: "No code" } });
    expect(await answer(noCode)).toMatchObject({ status: 500, body: exactError("Verplicht: Code") });
    const noDescription = await client.api("logistics/Items", { method: "POST", json: { Code: "NO-DESC" } });
    expect(await answer(noDescription)).toMatchObject({ status: 500, body: exactError("Verplicht: Description") });
  });

  it("refuses a contact without Account, or without a first and a last name, with 500 'Verplicht: …'", async () => {
    const noAccount = await client.api("crm/Contacts", { method: "POST", json: { LastName: "Alone" } });
    expect(await answer(noAccount)).toMatchObject({ status: 500, body: exactError("Verplicht: Account") });
    const noName = await client.api("crm/Contacts", { method: "POST", json: { Account: EXACT_SANDBOX.defaultAccountId } });
    expect(await answer(noName)).toMatchObject({ status: 500, body: exactError("Verplicht: FirstName of LastName") });
  });

  it("keeps what is malformed (not about the data) a 400: an unknown property", async () => {
    const response = await client.api("logistics/Items", { method: "POST", json: { Code: "X", Description: "Y", Shoe: 1 } });
    expect(response.status).toBe(400);
  });
});
