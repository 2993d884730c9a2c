import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "#lib/local/stack";
import { CRMOFFICE_SANDBOX, EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { eventually, type CrmUser, type ExactUser } from "../support/sandbox-users";
import { startTestStack, type TestStack, itCausedNoExactErrorBlock } from "../support/stack";

/*
 * The whole path for flow 3, through real parts only: a change made through one sandbox's API
 * → its signed webhook → the webhook Lambda → SQS → the worker Lambda → DynamoDB → the other
 * sandbox's API.
 */
let stack: LocalStack;
let exact: ExactUser;
let crm: CrmUser;
let settled: TestStack["settled"];
let history: TestStack["history"];

beforeAll(async () => {
  ({ stack, exact, crm, settled, history } = await startTestStack());
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const crmContactByEmail = async (email: string) => (await crm.list(`/contacts?email=${encodeURIComponent(email)}`))[0];
const exactContactByEmail = async (email: string) =>
  (await exact.list(`crm/Contacts?$filter=Email eq '${email}'&$select=ID,FirstName,LastName,Email,Phone,Mobile,Account`))[0];

describe("Exact Contacts ⇄ CRMOffice Contacts, end to end", () => {
  it("creates a contact made in Exact in CRMOffice with mapped fields, and the reverse", async () => {
    const started = Date.now();
    await exact.post("crm/Contacts", {
      Account: EXACT_SANDBOX.defaultAccountId,
      FirstName: "Ingrid",
      LastName: "Berg",
      Email: "ingrid.berg@example.com",
      Phone: "+47 22 11 00 11",
      Mobile: "+47 911 00 111",
    });
    const inCrm = await eventually(() => crmContactByEmail("ingrid.berg@example.com"), 10_000, "the contact in CRMOffice");
    expect(inCrm).toMatchObject({ givenName: "Ingrid", familyName: "Berg", directPhone: "+47 22 11 00 11", mobilePhone: "+47 911 00 111" });
    const exactToCrmMs = Date.now() - started;

    const reverseStarted = Date.now();
    await crm.post("/contacts", { givenName: "Lars", familyName: "Dahl", email: "lars.dahl@example.com", directPhone: "+47 22 33 44 55" });
    const inExact = await eventually(() => exactContactByEmail("lars.dahl@example.com"), 10_000, "the contact in Exact");
    expect(inExact).toMatchObject({
      FirstName: "Lars",
      LastName: "Dahl",
      Phone: "+47 22 33 44 55",
      Account: EXACT_SANDBOX.defaultAccountId,
    });
    console.info(`propagation: Exact → CRMOffice ${exactToCrmMs} ms, CRMOffice → Exact ${Date.now() - reverseStarted} ms`);
  });

  it("carries edits made on either side to the other, then goes quiet with no duplicates", async () => {
    const ingridInExact = (await exactContactByEmail("ingrid.berg@example.com")) as { ID: string };
    await exact.put(`crm/Contacts(guid'${ingridInExact.ID}')`, { LastName: "Berg-Olsen" });
    await eventually(
      async () => (await crmContactByEmail("ingrid.berg@example.com"))?.familyName === "Berg-Olsen",
      10_000,
      "Exact's edit in CRMOffice",
    );

    const larsInCrm = (await crmContactByEmail("lars.dahl@example.com")) as {
      id: string;
      givenName: string;
      familyName: string;
      email: string;
    };
    await crm.put(`/contacts/${larsInCrm.id}`, {
      givenName: larsInCrm.givenName,
      familyName: larsInCrm.familyName,
      email: larsInCrm.email,
      mobilePhone: "+47 977 77 777",
    });
    await eventually(
      async () => (await exactContactByEmail("lars.dahl@example.com"))?.Mobile === "+47 977 77 777",
      10_000,
      "CRMOffice's edit in Exact",
    );

    await settled();
    const before = [stack.exactSandbox.stats(), stack.crmofficeSandbox.stats()];
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect([stack.exactSandbox.stats(), stack.crmofficeSandbox.stats()]).toEqual(before);

    expect(await crm.list("/contacts")).toHaveLength(2);
    expect((await exact.list("crm/Contacts?$select=ID")).length).toBe(2);
  });

  it("refuses bad webhook input with a clear 4xx, enqueues nothing, and stays healthy", async () => {
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${stack.urls.api}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    const key = "7d0c7a9e-1111-4a4a-9b9b-000000000001";
    const content = JSON.stringify({ Topic: "Contacts", ClientId: EXACT_SANDBOX.clientId, Division: 999, Action: "Update", Key: key });
    const signed = createHmac("sha256", EXACT_SANDBOX.webhookSecret).update(content).digest("hex").toUpperCase();

    expect((await post("/webhooks/exactonline", `{"Content":${content},"HashCode":"${"0".repeat(64)}"}`)).status).toBe(401);
    expect((await post("/webhooks/exactonline", `{"Content":${content},"HashCode":"${signed}"}`)).status).toBe(400);
    expect((await post("/webhooks/exactonline", "{not json")).status).toBe(401);
    expect((await post("/webhooks/exactonline", "x".repeat(1024 * 1024 + 1))).status).toBe(413);
    expect((await post("/webhooks/crmoffice", '{"id":"e1"}')).status).toBe(401);
    const t = Math.floor(Date.now() / 1000);
    const crmBody = '{"id":"e2","type":"contact.exploded","occurredAt":"2026-01-01T00:00:00Z","data":{"id":"c-1"}}';
    const v1 = createHmac("sha256", CRMOFFICE_SANDBOX.webhookSecret).update(`${t}.${crmBody}`).digest("hex");
    const refused = await post("/webhooks/crmoffice", crmBody, { "crmoffice-signature": `t=${t},v1=${v1}` });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: "invalid_notification" });

    // Nothing reached the worker: no decision was ever logged about the refused records.
    expect(await history({ side: "exactonline", type: "contact", id: key })).toEqual([]);
    expect(await history({ side: "crmoffice", type: "contact", id: "c-1" })).toEqual([]);

    expect((await fetch(`${stack.urls.api}/health`)).status).toBe(200);
    await exact.post("crm/Contacts", {
      Account: EXACT_SANDBOX.defaultAccountId,
      FirstName: "Still",
      LastName: "Working",
      Email: "still.working@example.com",
    });
    await eventually(() => crmContactByEmail("still.working@example.com"), 10_000, "a valid change after the bad ones");
  });
});

describe("deletes and lost webhooks, Contacts flow", () => {
  it("unlinks and keeps the other record when a contact is deleted (the default), and does not bring it back on a later edit", async () => {
    const lars = (await crmContactByEmail("lars.dahl@example.com")) as { id: string; givenName: string; familyName: string; email: string };
    const larsInExact = (await exactContactByEmail("lars.dahl@example.com")) as { ID: string };
    await exact.delete(`crm/Contacts(guid'${larsInExact.ID}')`);
    await eventually(
      async () => (await history({ side: "exactonline", type: "contact", id: larsInExact.ID })).some((entry) => entry.kind === "unlinked"),
      10_000,
      "the unlink",
    );
    await crm.put(`/contacts/${lars.id}`, { givenName: lars.givenName, familyName: "Dahl-Kept", email: lars.email });
    await settled();
    expect(await crm.get(`/contacts/${lars.id}`)).toMatchObject({ familyName: "Dahl-Kept" });
    expect(await exactContactByEmail("lars.dahl@example.com")).toBeUndefined();
  });

  it("links a contact made again in Exact with the deleted one's email to the kept CRMOffice contact: no duplicate, nothing unsyncable", async () => {
    const kept = (await crmContactByEmail("lars.dahl@example.com")) as { id: string };
    const again = await exact.post("crm/Contacts", {
      Account: EXACT_SANDBOX.defaultAccountId,
      FirstName: "Lars",
      LastName: "Dahl",
      Email: "lars.dahl@example.com",
      Phone: "+47 22 98 76 54",
    });
    await eventually(
      async () => (await crm.get(`/contacts/${kept.id}`))?.directPhone === "+47 22 98 76 54",
      10_000,
      "the new Exact contact's phone on the kept CRMOffice contact",
    );
    await settled();
    expect(await crm.list("/contacts?email=lars.dahl%40example.com")).toHaveLength(1);
    expect(await exact.list("crm/Contacts?$filter=Email eq 'lars.dahl@example.com'&$select=ID")).toHaveLength(1);
    const decisions = await history({ side: "exactonline", type: "contact", id: String(again.ID) });
    expect(decisions.map((entry) => entry.kind)).toContain("linked");
    expect(decisions.map((entry) => entry.kind)).not.toContain("unsyncable");
  });
});

itCausedNoExactErrorBlock(() => stack);
