/**
 * The Exact connector's behaviour on recorded wire responses (fixtures), through an
 * injected fetch: addressing, paging, the sync API, writes, and how failures are classified.
 */
import { describe, expect, it } from "vitest";
import { AuthorizationError, ClientRequestError, RateLimitedError, TransientError, UnexpectedResponseError } from "#lib/connectors/errors";
import { createExactConnector } from "#lib/connectors/exactonline/client";
import type { ExactConnectorConfig } from "#lib/connectors/exactonline/client";
import type { ExactTokenStore } from "#lib/connectors/exactonline/tokens";
import type { ExactResponseInfo } from "#lib/connectors/exactonline/transport";
import contactFixture from "#lib/connectors/exactonline/fixtures/contact.json";
import deletedPage from "#lib/connectors/exactonline/fixtures/deleted-page.json";
import error400 from "#lib/connectors/exactonline/fixtures/error-400.json";
import error404 from "#lib/connectors/exactonline/fixtures/error-404.json";
import meFixture from "#lib/connectors/exactonline/fixtures/me.json";
import rateLimitOkHeaders from "#lib/connectors/exactonline/fixtures/rate-limit-ok-headers.json";
import rateLimited from "#lib/connectors/exactonline/fixtures/rate-limited-429.json";
import syncPage1 from "#lib/connectors/exactonline/fixtures/sync-contacts-page-1.json";
import syncPage2 from "#lib/connectors/exactonline/fixtures/sync-contacts-page-2.json";
import subscriptionFixture from "#lib/connectors/exactonline/fixtures/webhook-subscription.json";
import { emptyResponse, jsonResponse, replayFetch } from "../support/replay-fetch";
import type { Responder } from "../support/replay-fetch";

const BASE = "https://start.exactonline.nl";
const DIVISION = 3183061;
const CONTACT_ID = "0c7b3e52-8f41-4a1d-9d3e-6a2f1b8c4d01";
/** The instant of the 429 fixture: its minutely window resets 30 s later. */
const NOW = 1709543730000;

/** Hands out "token-1"; a renewal after a 401 moves to the next token. */
function fakeTokens() {
  const issued = ["token-1", "token-2", "token-3"];
  let current = 0;
  const renewals: string[] = [];
  const store: ExactTokenStore = {
    authorizeUrl: () => `${BASE}/api/oauth2/auth`,
    requestInitialTokens: async () => {
      throw new Error("not used");
    },
    storeConnection: async () => undefined,
    connection: async () => null,
    accessToken: async () => issued[current] ?? "",
    renewAfterRejection: async (rejected) => {
      renewals.push(rejected);
      current += 1;
      return issued[current] ?? "";
    },
  };
  return { store, renewals };
}

function connectorWith(respond: Responder, extra: Partial<ExactConnectorConfig> = {}) {
  const replay = replayFetch(respond);
  const tokens = fakeTokens();
  const connector = createExactConnector({
    baseUrl: BASE,
    division: DIVISION,
    clientId: "client",
    clientSecret: "secret",
    redirectUri: "https://sync.example.com/callback",
    tableName: "unused",
    fetch: replay.fetch,
    tokens: tokens.store,
    now: () => NOW,
    ...extra,
  });
  return { connector, calls: replay.calls, renewals: tokens.renewals };
}

/** The fixture's contact as a one-row list answer, the way a filtered read gets it. */
const contactList = { d: { results: [contactFixture.d] } };
const exactRefusal = (text: string) => ({ error: { code: "", message: { lang: "", value: text } } });

/** A contact row like the fixture's, with its own ID. */
function contactRow(index: number) {
  return { ...contactFixture.d, ID: `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`, Email: `person${index}@example.com` };
}

describe("reading records", () => {
  it("reads a record with a filtered list query, $select, JSON and the bearer token, never by key", async () => {
    const { connector, calls } = connectorWith(() => jsonResponse(200, contactList));
    const record = await connector.get("contact", CONTACT_ID.toUpperCase());
    expect(record?.id).toBe(CONTACT_ID);
    expect(record?.fields.Email).toBe("kari.nordmann@example.com");
    const [call] = calls;
    // A by-key GET of a record deleted meanwhile is a 404, which counts towards Exact's error block.
    expect(call?.url.pathname).toBe(`/api/v1/${DIVISION}/crm/Contacts`);
    expect(call?.url.searchParams.get("$filter")).toBe(`ID eq guid'${CONTACT_ID}'`);
    expect(call?.url.searchParams.get("$select")).toBe(
      "ID,Account,AccountName,FirstName,LastName,FullName,Email,Phone,Mobile,JobTitleDescription,Modified",
    );
    expect(call?.headers.get("accept")).toBe("application/json");
    expect(call?.headers.get("authorization")).toBe("Bearer token-1");
  });

  it("answers null for a record Exact no longer has: an empty page, not a 404", async () => {
    const { connector, calls } = connectorWith((call) =>
      call.url.pathname.includes("(guid'") ? jsonResponse(404, error404) : jsonResponse(200, { d: { results: [] } }),
    );
    expect(await connector.get("item", CONTACT_ID)).toBeNull();
    expect(calls.map((call) => call.url.pathname)).toEqual([`/api/v1/${DIVISION}/logistics/Items`]);
  });

  it("reads many records in one call per 80 keys", async () => {
    const ids = Array.from({ length: 170 }, (_, index) => contactRow(index).ID);
    const { connector, calls } = connectorWith((call) => {
      const wanted = (call.url.searchParams.get("$filter") ?? "").match(/guid'([^']+)'/g)?.map((literal) => literal.slice(5, -1)) ?? [];
      return jsonResponse(200, {
        d: { results: wanted.filter((_, index) => index % 2 === 0).map((id) => ({ ...contactFixture.d, ID: id })) },
      });
    });
    const found = await connector.getMany("contact", ids);
    expect(calls).toHaveLength(3);
    expect(calls.map((call) => (call.url.searchParams.get("$filter") ?? "").split(" or ").length)).toEqual([80, 80, 10]);
    expect(found.size).toBe(85);
    expect(found.get(ids[0] as string)?.id).toBe(ids[0]);
  });

  it("refuses a key that is not a Guid without calling", async () => {
    const { connector, calls } = connectorWith(() => jsonResponse(200, contactFixture));
    await expect(connector.get("contact", "kari@example.com")).rejects.toThrow(ClientRequestError);
    expect(calls).toHaveLength(0);
  });

  it("finds by a field with an escaped literal, following __next over more than 60 rows", async () => {
    const rows = Array.from({ length: 75 }, (_, index) => contactRow(index));
    const { connector, calls } = connectorWith((call) => {
      const skip = Number(call.url.searchParams.get("$skiptoken") ?? 0);
      const page = rows.slice(skip, skip + 60);
      const next = skip + 60 < rows.length ? `${call.url.origin}${call.url.pathname}${call.url.search}&$skiptoken=${skip + 60}` : undefined;
      return jsonResponse(200, { d: { results: page, ...(next ? { __next: next } : {}) } });
    });
    const found = await connector.findBy("contact", "Email", "o'brien@example.com");
    expect(found).toHaveLength(75);
    expect(found[74]?.fields.Email).toBe("person74@example.com");
    expect(calls).toHaveLength(2);
    expect(calls[0]?.url.searchParams.get("$filter")).toBe("Email eq 'o''brien@example.com'");
    expect(calls[0]?.url.pathname).toBe(`/api/v1/${DIVISION}/crm/Contacts`);
  });

  it("finds by a Guid field with a guid literal", async () => {
    const { connector, calls } = connectorWith(() => jsonResponse(200, { d: { results: [] } }));
    await connector.findBy("contact", "Account", "5b1a7c2e-0d3f-4e8a-9c61-2f7b8d4e1a90");
    expect(calls[0]?.url.searchParams.get("$filter")).toBe("Account eq guid'5b1a7c2e-0d3f-4e8a-9c61-2f7b8d4e1a90'");
  });

  it("refuses to find by a field it cannot filter on, or an unknown type, without calling", async () => {
    const { connector, calls } = connectorWith(() => jsonResponse(200, { d: { results: [] } }));
    await expect(connector.findBy("employee", "IsActive", "true")).rejects.toThrow(ClientRequestError);
    await expect(connector.findBy("invoice", "Code", "1")).rejects.toThrow(/unknown record type invoice/);
    expect(calls).toHaveLength(0);
  });

  it("never sends the token to another origin named by __next", async () => {
    const { connector, calls } = connectorWith(() =>
      jsonResponse(200, { d: { results: [contactRow(1)], __next: "https://evil.example.com/steal" } }),
    );
    await expect(connector.findBy("contact", "Email", "a@example.com")).rejects.toThrow(UnexpectedResponseError);
    expect(calls.map((call) => call.url.host)).toEqual(["start.exactonline.nl"]);
  });
});

describe("writing records", () => {
  it("creates with a POST of the writable fields and maps the 201 answer", async () => {
    const { connector, calls } = connectorWith(() => jsonResponse(201, contactFixture));
    const created = await connector.create("contact", {
      Account: "5b1a7c2e-0d3f-4e8a-9c61-2f7b8d4e1a90",
      FirstName: "Kari",
      FullName: "ignored: read-only",
    });
    expect(created.id).toBe(CONTACT_ID);
    expect(calls[0]?.method).toBe("POST");
    expect(calls[0]?.headers.get("content-type")).toBe("application/json");
    expect(calls[0]?.headers.get("prefer")).toBe("return=representation");
    expect(JSON.parse(calls[0]?.body ?? "")).toEqual({ Account: "5b1a7c2e-0d3f-4e8a-9c61-2f7b8d4e1a90", FirstName: "Kari" });
  });

  it("reads the record once when the POST's answer is thin (every property null but ID), never failing the create", async () => {
    const thin = {
      d: {
        __metadata: { uri: `${BASE}/api/v1/${DIVISION}/crm/Contacts(guid'${CONTACT_ID}')` },
        ...Object.fromEntries(
          Object.keys(contactFixture.d)
            .filter((key) => key !== "__metadata")
            .map((key) => [key, null]),
        ),
        ID: CONTACT_ID,
      },
    };
    const { connector, calls } = connectorWith((call) =>
      call.method === "POST" ? jsonResponse(201, thin) : jsonResponse(200, contactList),
    );
    const created = await connector.create("contact", { Account: "5b1a7c2e-0d3f-4e8a-9c61-2f7b8d4e1a90", FirstName: "Kari" });
    expect(created).toMatchObject({
      id: CONTACT_ID,
      modifiedAt: "2024-03-04T08:15:30.000Z",
      fields: { Email: "kari.nordmann@example.com" },
    });
    expect(calls.map((call) => `${call.method} ${call.url.pathname}`)).toEqual([
      `POST /api/v1/${DIVISION}/crm/Contacts`,
      `GET /api/v1/${DIVISION}/crm/Contacts`,
    ]);
    expect(calls[1]?.url.searchParams.get("$filter")).toBe(`ID eq guid'${CONTACT_ID}'`);
  });

  it("updates with one PUT asking for the stored record back", async () => {
    const stored = { d: { ...contactFixture.d, Phone: "+31 20 000 0009", Modified: "/Date(1709550000000)/" } };
    const { connector, calls } = connectorWith(() => jsonResponse(200, stored));
    const updated = await connector.update("contact", CONTACT_ID, { Phone: "+31 20 000 0009" });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.method).toBe("PUT");
    expect(calls[0]?.url.pathname).toBe(`/api/v1/${DIVISION}/crm/Contacts(guid'${CONTACT_ID}')`);
    expect(calls[0]?.headers.get("prefer")).toBe("return=representation");
    expect(JSON.parse(calls[0]?.body ?? "")).toEqual({ Phone: "+31 20 000 0009" });
    expect(updated.fields.Phone).toBe("+31 20 000 0009");
    // 11:00 on Amsterdam's clocks in March (UTC+1).
    expect(updated.modifiedAt).toBe("2024-03-04T10:00:00.000Z");
  });

  it("reads the record after a PUT that answers 204 regardless", async () => {
    const { connector, calls } = connectorWith((call) => (call.method === "PUT" ? emptyResponse(204) : jsonResponse(200, contactList)));
    const updated = await connector.update("contact", CONTACT_ID, { FirstName: "Kari" });
    expect(calls.map((call) => call.method)).toEqual(["PUT", "GET"]);
    expect(updated.id).toBe(CONTACT_ID);
  });

  it("refuses writes to employees and accounts without calling", async () => {
    const { connector, calls } = connectorWith(() => emptyResponse(204));
    await expect(connector.create("employee", { FirstName: "Ola" })).rejects.toThrow(ClientRequestError);
    await expect(connector.update("employee", CONTACT_ID, { FirstName: "Ola" })).rejects.toThrow(/cannot be written/);
    await expect(connector.delete("account", CONTACT_ID)).rejects.toThrow(ClientRequestError);
    expect(calls).toHaveLength(0);
  });

  it("treats deleting a record that is already gone as done", async () => {
    const { connector, calls } = connectorWith(() => jsonResponse(404, error404));
    await expect(connector.delete("item", CONTACT_ID)).resolves.toBeUndefined();
    expect(calls[0]?.method).toBe("DELETE");
  });
});

describe("failures", () => {
  it("turns Exact's error body into the message, without personal data or the query", async () => {
    const { connector } = connectorWith(() => jsonResponse(400, error400));
    const error = await connector.findBy("item", "Code", "secret-query-value").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ClientRequestError);
    const { message, status, system } = error as ClientRequestError;
    expect({ status, system }).toEqual({ status: 400, system: "exactonline" });
    expect(message).toContain(`GET /api/v1/${DIVISION}/logistics/Items answered 400`);
    // Long digit runs are masked like phone numbers: a Code may lose its digits, a phone never leaks.
    expect(message).toContain("Item code 'NO-<number>' already exists");
    expect(message).toContain("<email>");
    expect(message).not.toContain("kari.nordmann@example.com");
    expect(message).not.toContain("secret-query-value");
  });

  it("turns a 429 into RateLimitedError waiting until the minutely reset", async () => {
    const { connector } = connectorWith(() => jsonResponse(429, rateLimited.body, rateLimited.headers));
    const error = await connector.get("contact", CONTACT_ID).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(30_000);
    expect(connector.rateLimit().minutely).toEqual({ limit: 60, remaining: 0, resetAt: 1709543760000 });
  });

  it("reads a ten-digit reset as epoch seconds, as one of Exact's recordings sends the daily one", async () => {
    const headers = {
      "X-RateLimit-Limit": "5000",
      "X-RateLimit-Remaining": "0",
      "X-RateLimit-Reset": String(Math.floor((NOW + 3_600_000) / 1000)),
    };
    const { connector } = connectorWith(() => jsonResponse(429, rateLimited.body, headers));
    const error = await connector.get("contact", CONTACT_ID).catch((caught: unknown) => caught);
    expect((error as RateLimitedError).retryAfterMs).toBe(3_600_000);
    expect(connector.rateLimit().daily).toEqual({ limit: 5000, remaining: 0, resetAt: NOW + 3_600_000 });
  });

  it("waits until the daily reset when the day's budget is spent", async () => {
    const headers = {
      "X-RateLimit-Limit": "5000",
      "X-RateLimit-Remaining": "0",
      "X-RateLimit-Reset": String(NOW + 3_600_000),
      "X-RateLimit-Minutely-Limit": "60",
      "X-RateLimit-Minutely-Remaining": "41",
      "X-RateLimit-Minutely-Reset": String(NOW + 20_000),
    };
    const { connector } = connectorWith(() => jsonResponse(429, rateLimited.body, headers));
    const error = await connector.get("contact", CONTACT_ID).catch((caught: unknown) => caught);
    expect((error as RateLimitedError).retryAfterMs).toBe(3_600_000);
  });

  it("takes a 500 with Exact's error body for a refusal: a known one at once, one call", async () => {
    const { connector, calls } = connectorWith(() => jsonResponse(500, exactRefusal("Gegeven bestaat reeds: Code")));
    const error = await connector.create("item", { Code: "X1", Description: "X" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ClientRequestError);
    expect(error).toMatchObject({ status: 500, message: expect.stringContaining("Gegeven bestaat reeds") });
    expect(calls).toHaveLength(1);
  });

  it("tries an unknown Exact-bodied 500 once more: the same refusal twice is the answer, two calls", async () => {
    const { connector, calls } = connectorWith(() => jsonResponse(500, exactRefusal("Er is een fout opgetreden")));
    await expect(connector.update("item", CONTACT_ID, { Description: "X" })).rejects.toMatchObject({
      name: "ClientRequestError",
      status: 500,
    });
    expect(calls).toHaveLength(2);
  });

  it("takes the second answer when an unknown Exact-bodied 500 was passing", async () => {
    let answers = 0;
    const { connector, calls } = connectorWith(() =>
      answers++ === 0 ? jsonResponse(500, exactRefusal("Tijdelijk niet beschikbaar")) : jsonResponse(200, contactList),
    );
    expect((await connector.get("contact", CONTACT_ID))?.id).toBe(CONTACT_ID);
    expect(calls).toHaveLength(2);
  });

  it("takes a 500 without Exact's error body (an outage page) for a TransientError, one call", async () => {
    const outage = () =>
      new Response("<html><body><h1>500 Internal Server Error</h1></body></html>", {
        status: 500,
        headers: { "content-type": "text/html" },
      });
    const { connector, calls } = connectorWith(outage);
    await expect(connector.get("contact", CONTACT_ID)).rejects.toMatchObject({ name: "TransientError", status: 500 });
    expect(calls).toHaveLength(1);
  });

  it("turns 5xx, network failures and timeouts into TransientError", async () => {
    const unavailable = connectorWith(() =>
      jsonResponse(503, { error: { code: "", message: { lang: "", value: "Service unavailable" } } }),
    );
    await expect(unavailable.connector.get("contact", CONTACT_ID)).rejects.toMatchObject({ name: "TransientError", status: 503 });

    const unreachable = connectorWith(() => Promise.reject(new TypeError("fetch failed")));
    await expect(unreachable.connector.get("contact", CONTACT_ID)).rejects.toMatchObject({ name: "TransientError", status: null });

    const hanging = connectorWith(
      (_call, signal) =>
        new Promise<Response>((_resolve, reject) => signal?.addEventListener("abort", () => reject(signal.reason as Error))),
      { timeoutMs: 50 },
    );
    const error = await hanging.connector.get("contact", CONTACT_ID).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toContain("timed out after 50 ms");
  });

  it("renews the token once on 401 and repeats the call with the new one", async () => {
    const { connector, calls, renewals } = connectorWith((call) =>
      call.headers.get("authorization") === "Bearer token-1" ? jsonResponse(401, error404) : jsonResponse(200, contactList),
    );
    expect((await connector.get("contact", CONTACT_ID))?.id).toBe(CONTACT_ID);
    expect(renewals).toEqual(["token-1"]);
    expect(calls.map((call) => call.headers.get("authorization"))).toEqual(["Bearer token-1", "Bearer token-2"]);
  });

  it("gives up with AuthorizationError when the renewed token is refused too", async () => {
    const { connector, calls, renewals } = connectorWith(() => jsonResponse(401, error404));
    await expect(connector.get("contact", CONTACT_ID)).rejects.toThrow(AuthorizationError);
    expect(renewals).toHaveLength(1);
    expect(calls).toHaveLength(2);
  });
});

describe("rate-limit state", () => {
  it("keeps the latest windows of every answer and tells onResponse", async () => {
    const seen: ExactResponseInfo[] = [];
    const { connector } = connectorWith(
      (call) =>
        call.method === "GET" && seen.length === 0
          ? jsonResponse(200, contactList, rateLimitOkHeaders)
          : jsonResponse(429, rateLimited.body, rateLimited.headers),
      { onResponse: (info) => seen.push(info) },
    );
    await connector.get("contact", CONTACT_ID);
    expect(connector.rateLimit()).toEqual({
      daily: { limit: 5000, remaining: 4987, resetAt: 1709596800000 },
      minutely: { limit: 60, remaining: 57, resetAt: 1709543760000 },
    });
    await connector.get("contact", CONTACT_ID).catch(() => undefined);
    // A minutely 429 carries only the minutely headers: the daily window stays as last seen.
    expect(connector.rateLimit().daily?.remaining).toBe(4987);
    expect(connector.rateLimit().minutely?.remaining).toBe(0);
    expect(seen.map((info) => info.status)).toEqual([200, 429]);
    expect(seen[0]?.operation).toBe(`GET /api/v1/${DIVISION}/crm/Contacts`);
  });
});

describe("sync API", () => {
  it("pages through changes from a Timestamp and reports the largest one seen", async () => {
    const { connector, calls } = connectorWith((call) =>
      call.url.searchParams.has("$skiptoken") ? jsonResponse(200, syncPage2) : jsonResponse(200, syncPage1),
    );
    const pages = [];
    for await (const page of connector.syncPages("contact", 1)) pages.push(page);
    expect(pages.map((page) => page.rows.map((row) => row.timestamp))).toEqual([[40384993, 40385120], [40391004]]);
    expect(pages.map((page) => page.lastTimestamp)).toEqual([40385120, 40391004]);
    expect(pages[1]?.rows[0]?.record).toMatchObject({ id: "9a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", fields: { LastName: "Jansen" } });
    expect(calls[0]?.url.pathname).toBe(`/api/v1/${DIVISION}/sync/CRM/Contacts`);
    // The Int64 literal, as Exact's own sync sample writes it.
    expect(calls[0]?.url.searchParams.get("$filter")).toBe("Timestamp gt 1L");
    expect(calls[0]?.url.searchParams.get("$select")?.split(",")).toContain("Timestamp");
  });

  it("continues from the largest Timestamp and keeps it when nothing new came", async () => {
    const { connector, calls } = connectorWith(() => jsonResponse(200, { d: { results: [] } }));
    const pages = [];
    for await (const page of connector.syncPages("employee", 40391004)) pages.push(page);
    expect(calls[0]?.url.pathname).toBe(`/api/v1/${DIVISION}/sync/Payroll/Employees`);
    expect(calls[0]?.url.searchParams.get("$filter")).toBe("Timestamp gt 40391004L");
    expect(pages).toEqual([{ rows: [], lastTimestamp: 40391004 }]);
  });

  it("lists deletions of the followed types, past the ones it skips", async () => {
    const { connector, calls } = connectorWith(() => jsonResponse(200, deletedPage));
    const pages = [];
    for await (const page of connector.deletedPages(40391004)) pages.push(page);
    expect(calls[0]?.url.pathname).toBe(`/api/v1/${DIVISION}/sync/Deleted`);
    expect(calls[0]?.url.searchParams.get("$select")).toBe("Timestamp,EntityKey,EntityType,DeletedDate");
    expect(pages).toEqual([
      {
        rows: [
          // DeletedDate is Amsterdam wall-clock time too: 00:53:20 on 5 March there.
          { timestamp: 40392001, type: "contact", id: "3e9f1a27-6c4b-4d8e-a0f2-7b5c9d1e3f42", deletedAt: "2024-03-04T23:53:20.000Z" },
          { timestamp: 40392010, type: "item", id: "7d2e9a41-3b6c-4f08-8e15-c4a9d0b2e6f3", deletedAt: null },
        ],
        lastTimestamp: 40392010,
      },
    ]);
  });
});

describe("division and webhook subscriptions", () => {
  it("reads the current division from Me", async () => {
    const { connector, calls } = connectorWith(() => jsonResponse(200, meFixture));
    expect((await connector.currentUser()).division).toBe(3183061);
    expect(calls[0]?.url.pathname).toBe("/api/v1/current/Me");
  });

  it("creates, lists and deletes subscriptions", async () => {
    const { connector, calls } = connectorWith((call) => {
      if (call.method === "POST") return jsonResponse(201, subscriptionFixture);
      if (call.method === "DELETE") return emptyResponse(204);
      return jsonResponse(200, { d: { results: [subscriptionFixture.d] } });
    });
    const created = await connector.webhookSubscriptions.create({
      callbackUrl: "https://sync.example.com/webhooks/exactonline",
      topic: "Contacts",
    });
    expect(created).toEqual({
      id: "c0ffee00-1234-4abc-8def-0123456789ab",
      callbackUrl: "https://sync.example.com/webhooks/exactonline",
      topic: "Contacts",
    });
    expect(JSON.parse(calls[0]?.body ?? "")).toEqual({ CallbackURL: "https://sync.example.com/webhooks/exactonline", Topic: "Contacts" });
    expect(await connector.webhookSubscriptions.list()).toEqual([created]);
    await connector.webhookSubscriptions.delete(created.id);
    expect(calls[2]?.url.pathname).toBe(`/api/v1/${DIVISION}/webhooks/WebhookSubscriptions(guid'${created.id}')`);
  });
});
