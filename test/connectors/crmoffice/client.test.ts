/**
 * The CRMOffice connector on recorded wire responses through an injected fetch: token
 * caching, paging, the full-replacement PUT, and failure classification.
 */
import { describe, expect, it } from "vitest";
import { AuthorizationError, ClientRequestError, RateLimitedError, TransientError } from "#lib/connectors/errors";
import { createCrmOfficeConnector } from "#lib/connectors/crmoffice/client";
import { toSystemRecord } from "#lib/connectors/crmoffice/mappers";
import { CRMOFFICE_RESOURCES } from "#lib/connectors/crmoffice/resources";
import { contactSchema } from "#lib/connectors/crmoffice/schemas";
import type { SystemRecord } from "#lib/connectors/types";
import companyFixture from "#lib/connectors/crmoffice/fixtures/company.json";
import contactFixture from "#lib/connectors/crmoffice/fixtures/contact.json";
import contactsPage from "#lib/connectors/crmoffice/fixtures/contacts-page.json";
import error422 from "#lib/connectors/crmoffice/fixtures/error-422.json";
import error429 from "#lib/connectors/crmoffice/fixtures/error-429.json";
import tokenFixture from "#lib/connectors/crmoffice/fixtures/token-response.json";
import webhookFixture from "#lib/connectors/crmoffice/fixtures/webhook.json";
import { emptyResponse, jsonResponse, replayFetch } from "../support/replay-fetch";
import type { RecordedCall, Responder } from "../support/replay-fetch";

const BASE = "https://api.crmoffice.no";

/** Answers /connect/token with numbered tokens; other calls go to `api`. */
function connectorWith(api: Responder, clock = { now: 1_700_000_000_000 }) {
  let issued = 0;
  const replay = replayFetch((call, signal) => {
    if (call.url.pathname === "/connect/token") {
      issued += 1;
      return jsonResponse(200, { ...tokenFixture, access_token: `token-${issued}` });
    }
    return api(call, signal);
  });
  const connector = createCrmOfficeConnector({
    baseUrl: BASE,
    clientId: "client",
    clientSecret: "secret",
    fetch: replay.fetch,
    now: () => clock.now,
  });
  const apiCalls = () => replay.calls.filter((call) => call.url.pathname !== "/connect/token");
  const tokenCalls = () => replay.calls.filter((call) => call.url.pathname === "/connect/token");
  return { connector, apiCalls, tokenCalls, clock };
}

const bodyOf = (call: RecordedCall | undefined) => JSON.parse(call?.body ?? "null") as unknown;

describe("client-credentials token", () => {
  it("fetches one token for many calls and sends it as a bearer", async () => {
    const { connector, apiCalls, tokenCalls } = connectorWith(() => jsonResponse(200, contactFixture));
    await Promise.all([connector.get("contact", "c-0001"), connector.get("contact", "c-0001")]);
    await connector.get("contact", "c-0001");
    expect(tokenCalls()).toHaveLength(1);
    const form = new URLSearchParams(tokenCalls()[0]?.body);
    expect(Object.fromEntries(form)).toEqual({
      grant_type: "client_credentials",
      scope: "crmoffice",
      client_id: "client",
      client_secret: "secret",
    });
    expect(apiCalls().map((call) => call.headers.get("authorization"))).toEqual(Array(3).fill("Bearer token-1"));
  });

  it("fetches a new token shortly before the cached one expires", async () => {
    const { connector, tokenCalls, clock } = connectorWith(() => jsonResponse(200, contactFixture));
    await connector.get("contact", "c-0001");
    clock.now += 3_500_000; // 58 min 20 s into a 60 min token: still cached
    await connector.get("contact", "c-0001");
    expect(tokenCalls()).toHaveLength(1);
    clock.now += 50_000; // 59 min 10 s: inside the last minute
    await connector.get("contact", "c-0001");
    expect(tokenCalls()).toHaveLength(2);
  });

  it("fetches a new token once on 401 and repeats the call", async () => {
    const { connector, apiCalls, tokenCalls } = connectorWith((call) =>
      call.headers.get("authorization") === "Bearer token-1"
        ? jsonResponse(401, { error: "invalid_token", message: "expired" })
        : jsonResponse(200, contactFixture),
    );
    expect((await connector.get("contact", "c-0001"))?.id).toBe("c-0001");
    expect(tokenCalls()).toHaveLength(2);
    expect(apiCalls().map((call) => call.headers.get("authorization"))).toEqual(["Bearer token-1", "Bearer token-2"]);
  });

  it("gives up with AuthorizationError when the new token is refused too, or the credentials are", async () => {
    const refused = connectorWith(() => jsonResponse(401, { error: "invalid_token", message: "no" }));
    await expect(refused.connector.get("contact", "c-0001")).rejects.toThrow(AuthorizationError);
    expect(refused.apiCalls()).toHaveLength(2);

    const badClient = replayFetch(() => jsonResponse(400, { error: "invalid_client" }));
    const connector = createCrmOfficeConnector({ baseUrl: BASE, clientId: "x", clientSecret: "wrong", fetch: badClient.fetch });
    const error = await connector.get("contact", "c-0001").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as Error).message).toContain("invalid_client");
    expect((error as Error).message).not.toContain("wrong");
  });
});

describe("records", () => {
  it("gets a record, and null when CRMOffice no longer has it", async () => {
    const { connector, apiCalls } = connectorWith((call) =>
      call.url.pathname === "/contacts/c-gone"
        ? jsonResponse(404, { error: "not_found", message: "no such contact" })
        : jsonResponse(200, contactFixture),
    );
    expect((await connector.get("contact", "c-0001"))?.fields["company.id"]).toBe("co-0001");
    expect(await connector.get("contact", "c-gone")).toBeNull();
    expect(apiCalls()[0]?.headers.get("accept")).toBe("application/json");
  });

  it("refuses an id that could walk the URL path before any call, without echoing it", async () => {
    const { connector, apiCalls } = connectorWith(() => jsonResponse(200, contactFixture));
    for (const id of ["c/1", "..", "../companies", "a?b", "%2e%2e"]) {
      const error = await connector.get("contact", id).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ClientRequestError);
      expect((error as Error).message).not.toContain(id);
    }
    expect(apiCalls()).toHaveLength(0);
  });

  it("finds contacts by email through the list filter, paging until totalCount is seen", async () => {
    const total = 450;
    const { connector, apiCalls } = connectorWith((call) => {
      const page = Number(call.url.searchParams.get("page"));
      const size = Number(call.url.searchParams.get("pageSize"));
      const count = Math.max(0, Math.min(size, total - (page - 1) * size));
      const items = Array.from({ length: count }, (_, index) => ({ ...contactFixture, id: `c-${(page - 1) * size + index}` }));
      return jsonResponse(200, { items, page, pageSize: size, totalCount: total });
    });
    const found = await connector.findBy("contact", "email", "Kari.Nordmann+crm@example.com");
    expect(found).toHaveLength(total);
    expect(new Set(found.map((record) => record.id)).size).toBe(total);
    expect(apiCalls().map((call) => call.url.searchParams.get("page"))).toEqual(["1", "2", "3"]);
    expect(apiCalls()[0]?.url.pathname).toBe("/contacts");
    expect(apiCalls()[0]?.url.searchParams.get("email")).toBe("Kari.Nordmann+crm@example.com");
    expect(apiCalls()[0]?.url.searchParams.get("pageSize")).toBe("200");
  });

  it("finds companies by orgNr, and refuses other fields without calling", async () => {
    const { connector, apiCalls } = connectorWith(() =>
      jsonResponse(200, { items: [companyFixture], page: 1, pageSize: 200, totalCount: 1 }),
    );
    expect((await connector.findBy("company", "orgNr", "NO-918273645")).map((record) => record.id)).toEqual(["co-0001"]);
    expect(apiCalls()[0]?.url.searchParams.get("orgNr")).toBe("NO-918273645");
    await expect(connector.findBy("company", "name", "Fjordkraft")).rejects.toThrow(ClientRequestError);
    await expect(connector.findBy("contact", "orgNr", "1")).rejects.toThrow(ClientRequestError);
    expect(apiCalls()).toHaveLength(1);
  });

  it("creates with the nested body and maps the 201 answer", async () => {
    const { connector, apiCalls } = connectorWith(() => jsonResponse(201, contactFixture));
    const created = await connector.create("contact", { givenName: "Kari", "company.id": "co-0001" });
    expect(created.id).toBe("c-0001");
    expect(apiCalls()[0]?.method).toBe("POST");
    expect(bodyOf(apiCalls()[0])).toEqual({ givenName: "Kari", company: { id: "co-0001" } });
  });

  it("updates with a full-replacement PUT that keeps every untouched field of `current`", async () => {
    const { connector, apiCalls } = connectorWith((call) => jsonResponse(200, { ...contactFixture, ...(bodyOf(call) as object) }));
    // The record as the connector reads it (the mapper's own test pins this shape).
    const current: SystemRecord = toSystemRecord(CRMOFFICE_RESOURCES.contact, contactSchema.parse(contactFixture));
    const updated = await connector.update("contact", "c-0001", { mobilePhone: "+47 00 00 00 09" }, current);
    expect(apiCalls().map((call) => `${call.method} ${call.url.pathname}`)).toEqual(["PUT /contacts/c-0001"]);
    expect(bodyOf(apiCalls()[0])).toEqual({
      givenName: "Kari",
      familyName: "Nordmann",
      email: "kari.nordmann@example.com",
      directPhone: "+47 00 00 00 01",
      mobilePhone: "+47 00 00 00 09",
      company: { id: "co-0001" },
    });
    expect(updated.fields.mobilePhone).toBe("+47 00 00 00 09");
  });

  it("reads the record first when no `current` is given", async () => {
    const { connector, apiCalls } = connectorWith((call) =>
      call.method === "GET" ? jsonResponse(200, companyFixture) : jsonResponse(200, { ...companyFixture, ...(bodyOf(call) as object) }),
    );
    await connector.update("company", "co-0001", { name: "Fjordkraft AS" });
    expect(apiCalls().map((call) => call.method)).toEqual(["GET", "PUT"]);
    expect(bodyOf(apiCalls()[1])).toEqual({
      name: "Fjordkraft AS",
      orgNr: "NO-918273645",
      postAddress: companyFixture.postAddress,
      visitAddress: null,
    });
  });

  it("treats a delete of a record already gone as done", async () => {
    const { connector } = connectorWith(() => jsonResponse(404, { error: "not_found", message: "gone" }));
    await expect(connector.delete("company", "co-9")).resolves.toBeUndefined();
  });

  it("lists records modified since an instant, page by page", async () => {
    const { connector, apiCalls } = connectorWith(() => jsonResponse(200, contactsPage));
    const pages: SystemRecord[][] = [];
    for await (const page of connector.listModifiedSince("contact", "2024-03-01T00:00:00.000Z")) pages.push(page);
    expect(pages.map((page) => page.map((record) => record.id))).toEqual([["c-0001", "c-0002"]]);
    expect(apiCalls()[0]?.url.searchParams.get("modifiedSince")).toBe("2024-03-01T00:00:00.000Z");
  });
});

describe("failures", () => {
  it("turns a 429 into RateLimitedError with the Retry-After wait", async () => {
    const { connector } = connectorWith(() => jsonResponse(429, error429.body, error429.headers));
    const error = await connector.get("contact", "c-0001").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(7000);
  });

  it("turns 5xx into TransientError", async () => {
    const { connector } = connectorWith(() => jsonResponse(500, { error: "internal_error", message: "boom" }));
    await expect(connector.get("contact", "c-0001")).rejects.toMatchObject({ name: "TransientError", status: 500 });
    await expect(connector.get("contact", "c-0001")).rejects.toBeInstanceOf(TransientError);
  });

  it("turns 422 into ClientRequestError with CRMOffice's text, personal data masked", async () => {
    const { connector } = connectorWith(() => jsonResponse(422, error422));
    const error = await connector.create("contact", { email: "ola.hansen@example.com" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ClientRequestError);
    expect((error as Error).message).toBe(
      "crmoffice POST /contacts answered 422: validation_failed: a contact needs givenName or familyName (email <email>)",
    );
  });
});

describe("webhooks", () => {
  it("registers, lists and removes webhooks", async () => {
    const { connector, apiCalls } = connectorWith((call) => {
      if (call.method === "POST") return jsonResponse(201, webhookFixture);
      if (call.method === "DELETE") return emptyResponse(204);
      return jsonResponse(200, { items: [webhookFixture] });
    });
    const events = ["contact.created", "contact.updated", "contact.deleted"] as const;
    const created = await connector.webhooks.create({ url: webhookFixture.url, events, secret: "shh" });
    expect(created).toEqual(webhookFixture);
    expect(bodyOf(apiCalls()[0])).toEqual({ url: webhookFixture.url, events, secret: "shh" });
    expect(await connector.webhooks.list()).toEqual([webhookFixture]);
    await connector.webhooks.delete("wh-0001");
    expect(apiCalls()[2]?.url.pathname).toBe("/webhooks/wh-0001");
  });
});
