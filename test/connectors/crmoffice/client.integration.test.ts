/**
 * The CRMOffice connector against the CRMOffice sandbox (real HTTP, tokens, paging,
 * full-replacement PUT): what the sync engine relies on, end to end.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AuthorizationError, ClientRequestError, RateLimitedError, TransientError } from "#lib/connectors/errors";
import { createCrmOfficeConnector } from "#lib/connectors/crmoffice/client";
import type { CrmOfficeConnector } from "#lib/connectors/crmoffice/client";
import { WEBHOOK_EVENTS } from "#lib/connectors/crmoffice/record-types";
import type { SystemRecord } from "#lib/connectors/types";
import { CRMOFFICE_SANDBOX } from "#lib/sandbox/dev-credentials";
import { startCrmOfficeSandbox } from "#lib/sandbox/crmoffice/server";
import type { CrmOfficeSandbox } from "#lib/sandbox/crmoffice/server";

const clock = { now: Date.UTC(2024, 2, 4, 9, 0, 0) };
let sandbox: CrmOfficeSandbox;
let connector: CrmOfficeConnector;

const callsTo = (key: string) => sandbox.stats().calls[key] ?? 0;

async function injectFault(fault: { status: 429 | 500 | 503; times: number; method?: string; path?: string }) {
  const response = await fetch(`${sandbox.url}/_sandbox/faults`, { method: "POST", body: JSON.stringify(fault) });
  expect(response.status).toBe(201);
}

beforeAll(async () => {
  sandbox = await startCrmOfficeSandbox({ port: 0, now: () => clock.now });
  connector = createCrmOfficeConnector({
    baseUrl: sandbox.url,
    clientId: CRMOFFICE_SANDBOX.clientId,
    clientSecret: CRMOFFICE_SANDBOX.clientSecret,
    now: () => clock.now,
  });
});

beforeEach(() => {
  sandbox.reset();
  clock.now += 1000;
});

afterAll(async () => {
  await sandbox?.stop();
});

describe("CRMOffice connector against the sandbox", () => {
  it("creates, reads, finds and deletes contacts and companies", async () => {
    const company = await connector.create("company", {
      name: "Fjordkraft Consulting AS",
      orgNr: "NO-918273645",
      "postAddress.postalArea": "Oslo",
    });
    expect(company.fields).toMatchObject({
      name: "Fjordkraft Consulting AS",
      "postAddress.postalArea": "Oslo",
      "visitAddress.streetAddress": null,
    });
    const contact = await connector.create("contact", { givenName: "Kari", email: "kari.nordmann@example.com", "company.id": company.id });
    expect(contact.fields).toMatchObject({ givenName: "Kari", familyName: null, "company.id": company.id });

    expect(await connector.get("contact", contact.id)).toEqual(contact);
    expect((await connector.findBy("contact", "email", "Kari.Nordmann@EXAMPLE.com")).map((record) => record.id)).toEqual([contact.id]);
    expect((await connector.findBy("company", "orgNr", "NO-918273645")).map((record) => record.id)).toEqual([company.id]);
    expect(await connector.findBy("company", "orgNr", "NO-000")).toEqual([]);

    await connector.delete("contact", contact.id);
    expect(await connector.get("contact", contact.id)).toBeNull();
    await expect(connector.delete("contact", contact.id)).resolves.toBeUndefined();
  });

  it("updates with a full-replacement PUT that keeps every field it was not asked to change", async () => {
    const company = await connector.create("company", {
      name: "Nordlys AS",
      orgNr: "NO-111",
      "postAddress.streetAddress": "Storgata 1",
      "postAddress.postCode": "0155",
      "visitAddress.postalArea": "Bergen",
    });
    clock.now += 1000;
    const puts = callsTo(`PUT /companies/${company.id}`);
    const updated = await connector.update("company", company.id, { name: "Nordlys Holding AS" }, company);
    expect(callsTo(`PUT /companies/${company.id}`)).toBe(puts + 1);
    expect(updated.fields).toEqual({ ...company.fields, name: "Nordlys Holding AS" });
    expect(Date.parse(updated.modifiedAt)).toBeGreaterThan(Date.parse(company.modifiedAt));

    // Without `current`, the record is read first, so nothing is wiped either.
    const gets = callsTo(`GET /companies/${company.id}`);
    const again = await connector.update("company", company.id, { "visitAddress.postalArea": null });
    expect(callsTo(`GET /companies/${company.id}`)).toBe(gets + 1);
    expect(again.fields).toEqual({ ...updated.fields, "visitAddress.postalArea": null });
    expect((await connector.get("company", company.id))?.fields).toEqual(again.fields);
  });

  it("lists everything modified since an instant, paging 200 at a time until totalCount", async () => {
    const since = new Date(clock.now).toISOString();
    const created: SystemRecord[] = [];
    for (let index = 0; index < 250; index += 1) {
      created.push(await connector.create("contact", { givenName: `Person ${index}`, email: `same@example.com` }));
    }
    const pages: SystemRecord[][] = [];
    for await (const page of connector.listModifiedSince("contact", since)) pages.push(page);
    expect(pages.map((page) => page.length)).toEqual([200, 50]);
    expect(new Set(pages.flat().map((record) => record.id))).toEqual(new Set(created.map((record) => record.id)));
    expect(await connector.findBy("contact", "email", "same@example.com")).toHaveLength(250);
  });

  it("passes CRMOffice's validation text on in a ClientRequestError", async () => {
    const error = await connector.create("contact", { email: "nameless@example.com" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ClientRequestError);
    expect(error).toMatchObject({ status: 422, system: "crmoffice" });
    expect((error as Error).message).toMatch(/^crmoffice POST \/contacts answered 422: /);
    expect((error as Error).message).not.toContain("nameless@example.com");
  });

  it("turns injected 429s and 5xx into RateLimitedError (Retry-After) and TransientError", async () => {
    await injectFault({ status: 429, times: 1, path: "/contacts" });
    const limited = await connector.findBy("contact", "email", "x@example.com").catch((caught: unknown) => caught);
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).retryAfterMs).toBe(1000);

    await injectFault({ status: 500, times: 1, method: "POST" });
    await expect(connector.create("company", { name: "X" })).rejects.toThrow(TransientError);
  });

  it("fetches a new token when the sandbox no longer accepts the cached one", async () => {
    const shortLived = await startCrmOfficeSandbox({ port: 0, accessTokenTtlSeconds: 60, now: () => clock.now });
    try {
      const tokens = () => shortLived.stats().calls["POST /connect/token"] ?? 0;
      const client = createCrmOfficeConnector({
        baseUrl: shortLived.url,
        clientId: CRMOFFICE_SANDBOX.clientId,
        clientSecret: CRMOFFICE_SANDBOX.clientSecret,
        now: () => clock.now,
      });
      await client.findBy("company", "orgNr", "NO-1");
      await client.findBy("company", "orgNr", "NO-1");
      expect(tokens()).toBe(1);
      clock.now += 61_000;
      await client.findBy("company", "orgNr", "NO-1");
      expect(tokens()).toBe(2);
    } finally {
      await shortLived.stop();
    }
  });

  it("reports wrong client credentials as AuthorizationError", async () => {
    const wrong = createCrmOfficeConnector({ baseUrl: sandbox.url, clientId: CRMOFFICE_SANDBOX.clientId, clientSecret: "not-the-secret" });
    const error = await wrong.get("contact", "x").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as Error).message).not.toContain("not-the-secret");
  });

  it("registers, lists and removes webhooks", async () => {
    const webhook = await connector.webhooks.create({
      url: "http://127.0.0.1:9/webhooks/crmoffice",
      events: WEBHOOK_EVENTS,
      secret: "test-secret",
    });
    expect(webhook).toMatchObject({ url: "http://127.0.0.1:9/webhooks/crmoffice", events: [...WEBHOOK_EVENTS] });
    expect(await connector.webhooks.list()).toContainEqual(webhook);
    await connector.webhooks.delete(webhook.id);
    expect(await connector.webhooks.list()).not.toContainEqual(webhook);
  });
});
