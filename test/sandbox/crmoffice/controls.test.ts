import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startCrmOfficeSandbox } from "#lib/sandbox/crmoffice/server";
import type { CrmOfficeSandbox } from "#lib/sandbox/crmoffice/server";
import { apiClient, getToken, startWebhookReceiver } from "./harness";
import type { Api } from "./harness";

let sandbox: CrmOfficeSandbox;
let api: Api;

const control = (method: string, path: string, body?: unknown) =>
  fetch(`${sandbox.url}/_sandbox/${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

beforeAll(async () => {
  sandbox = await startCrmOfficeSandbox({ port: 0, delivery: { retryDelayMs: 10 } });
  api = apiClient(sandbox.url, await getToken(sandbox.url));
});
afterAll(() => sandbox.stop());
beforeEach(async () => {
  await control("DELETE", "faults");
  await control("POST", "reset");
});

describe("injected faults", () => {
  it("answers 429 with Retry-After: 1 for the next N matching calls only", async () => {
    expect((await control("POST", "faults", { status: 429, times: 2, method: "GET", path: "/contacts" })).status).toBe(201);

    expect((await api("POST", "/contacts", { givenName: "Unaffected" })).status).toBe(201);
    for (let n = 0; n < 2; n += 1) {
      const limited = await api("GET", "/contacts?page=1");
      expect(limited.status).toBe(429);
      expect(limited.headers.get("retry-after")).toBe("1");
      expect(limited.body).toEqual({ error: "too_many_requests", message: expect.any(String) });
    }
    expect((await api("GET", "/contacts?page=1")).status).toBe(200);
  });

  it("fails any call with 500 when no method or path is given, the token endpoint included", async () => {
    await control("POST", "faults", { status: 500, times: 2 });
    const failed = await api("GET", "/companies");
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual({ error: "internal_error", message: expect.any(String) });
    await expect(getToken(sandbox.url)).rejects.toThrow("500");
    expect((await api("GET", "/companies")).status).toBe(200);
  });

  it("fails with 503 by path, and DELETE /_sandbox/faults clears armed faults", async () => {
    await control("POST", "faults", { status: 503, times: 1, path: "/companies" });
    await control("POST", "faults", { status: 500, times: 5, method: "PUT" });
    expect((await api("GET", "/contacts")).status).toBe(200);
    expect((await api("GET", "/companies")).status).toBe(503);
    expect((await control("DELETE", "faults")).status).toBe(204);
    const company = (await api("POST", "/companies", { name: "A" })).body;
    expect((await api("PUT", `/companies/${company.id}`, { name: "B" })).status).toBe(200);
  });

  it("refuses a malformed fault with CRMOffice's error body", async () => {
    const response = await control("POST", "faults", { status: 418, times: 1 });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "bad_request" });
  });
});

describe("stats", () => {
  it("counts each API call by method and path without query, faults included, control routes not", async () => {
    await control("POST", "faults", { status: 500, times: 1, path: "/contacts" });
    await api("GET", "/contacts?page=2");
    await api("GET", "/contacts");
    const created = (await api("POST", "/contacts", { givenName: "A" })).body;
    await api("GET", `/contacts/${created.id}`);

    const stats = await (await control("GET", "stats")).json();
    expect(stats).toEqual({
      calls: { "GET /contacts": 2, "POST /contacts": 1, [`GET /contacts/${created.id}`]: 1 },
      deliveries: { sent: 0, failed: 0 },
    });
    expect(sandbox.stats()).toEqual(stats);
  });
});

describe("reset", () => {
  it("empties records, faults and stats, and keeps tokens and webhook registrations", async () => {
    const receiver = await startWebhookReceiver();
    try {
      await api("POST", "/webhooks", { url: receiver.url, events: ["contact.created"], secret: "s" });
      await api("POST", "/companies", { name: "A" });
      await api("POST", "/contacts", { givenName: "A" });
      await control("POST", "faults", { status: 500, times: 1, path: "/nothing-yet" });

      expect((await control("POST", "reset")).status).toBe(204);
      expect(sandbox.stats().calls).toEqual({});
      expect((await api("GET", "/contacts")).body.totalCount).toBe(0);
      expect((await api("GET", "/companies")).body.totalCount).toBe(0);
      expect((await api("GET", "/nothing-yet")).status).toBe(404);

      await api("POST", "/contacts", { givenName: "After reset" });
      await sandbox.drainDeliveries();
      expect(receiver.received.map((delivery) => JSON.parse(delivery.rawBody).type)).toEqual(["contact.created", "contact.created"]);
      expect((await api("GET", "/webhooks")).body.items).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });
});

describe("demo seed", () => {
  it("holds the two demo companies and contacts, with the same ids on every start", async () => {
    const first = await startCrmOfficeSandbox({ port: 0, seed: "demo" });
    const second = await startCrmOfficeSandbox({ port: 0, seed: "demo" });
    try {
      const firstApi = apiClient(first.url, await getToken(first.url));
      const companies = (await firstApi("GET", "/companies")).body;
      const contacts = (await firstApi("GET", "/contacts")).body;
      expect(companies.totalCount).toBe(2);
      expect(contacts.totalCount).toBe(2);

      const linked = companies.items.find((company: { orgNr: string | null }) => company.orgNr === "NO-918273645");
      expect(linked).toBeDefined();
      expect(companies.items.filter((company: { orgNr: string | null }) => company.orgNr === null)).toHaveLength(1);
      const kari = (await firstApi("GET", "/contacts?email=kari.nordmann@example.com")).body.items;
      expect(kari).toHaveLength(1);
      expect(kari[0].company).toEqual({ id: linked.id });
      expect(contacts.items.map((contact: { email: string }) => contact.email).sort()).toEqual([
        "kari.nordmann@example.com",
        "ola.hansen@example.com",
      ]);

      const secondApi = apiClient(second.url, await getToken(second.url));
      const ids = (body: { items: { id: string }[] }) => body.items.map((item) => item.id);
      expect(ids((await secondApi("GET", "/companies")).body)).toEqual(ids(companies));
      expect(ids((await secondApi("GET", "/contacts")).body)).toEqual(ids(contacts));
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });

  it("starts empty without a seed", async () => {
    expect((await api("GET", "/contacts")).body.totalCount).toBe(0);
    expect((await api("GET", "/companies")).body.totalCount).toBe(0);
  });
});
