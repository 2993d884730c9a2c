/**
 * The Exact connector against the Exact sandbox (real HTTP, OData, OAuth, rate limits) with
 * its tokens in DynamoDB Local: what the sync engine relies on, end to end.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientRequestError, RateLimitedError, TransientError } from "#lib/connectors/errors";
import { createExactConnector } from "#lib/connectors/exactonline/client";
import type { ExactConnector, ExactSyncPage } from "#lib/connectors/exactonline/client";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { startAuthorisedExact } from "../support/exact-sandbox";
import type { AuthorisedExact } from "../support/exact-sandbox";

let exact: AuthorisedExact;
let connector: ExactConnector;

const totalCalls = () => Object.values(exact.sandbox.stats().calls).reduce((sum, count) => sum + count, 0);

async function injectFault(fault: { status: 429 | 500 | 503; times: number; method?: string; path?: string }) {
  const response = await fetch(`${exact.sandbox.url}/_sandbox/faults`, { method: "POST", body: JSON.stringify(fault) });
  expect(response.status).toBe(201);
}

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(page);
  return all;
}

beforeAll(async () => {
  exact = await startAuthorisedExact({ rateLimit: { perMinute: 10_000, perDay: 100_000 } });
  connector = createExactConnector(exact.config());
});

afterAll(async () => {
  await exact?.stop();
});

describe("Exact connector against the sandbox", () => {
  it("creates, reads, finds, updates and deletes a contact", async () => {
    const created = await connector.create("contact", {
      Account: EXACT_SANDBOX.defaultAccountId,
      FirstName: "Kari",
      LastName: "Nordmann",
      Email: "kari.nordmann@example.com",
    });
    expect(created.fields).toMatchObject({ FullName: "Kari Nordmann", Email: "kari.nordmann@example.com", Mobile: null });
    expect(await connector.get("contact", created.id)).toEqual(created);

    // Exact compares strings case-insensitively.
    const found = await connector.findBy("contact", "Email", "KARI.NORDMANN@example.com");
    expect(found.map((record) => record.id)).toEqual([created.id]);

    exact.clock.now += 1000;
    const before = totalCalls();
    const updated = await connector.update("contact", created.id, { Mobile: "+31 6 0000 0001", LastName: "O'Neill" }, created);
    expect(totalCalls() - before).toBe(1);
    expect(updated.fields).toMatchObject({ Mobile: "+31 6 0000 0001", LastName: "O'Neill", FullName: "Kari O'Neill", FirstName: "Kari" });
    expect(Date.parse(updated.modifiedAt)).toBeGreaterThan(Date.parse(created.modifiedAt));
    expect(await connector.get("contact", created.id)).toEqual(updated);
    expect((await connector.findBy("contact", "LastName", "O'Neill")).map((record) => record.id)).toEqual([created.id]);

    await connector.delete("contact", created.id);
    expect(await connector.get("contact", created.id)).toBeNull();
    await expect(connector.delete("contact", created.id)).resolves.toBeUndefined();
  });

  it("follows __next past 60 rows and reads changes through the sync API from the last Timestamp", async () => {
    const start = await collect(connector.syncPages("item", 1));
    const cursor = start.at(-1)?.lastTimestamp ?? 1;

    const items = [];
    for (let index = 0; index < 65; index += 1) {
      items.push(await connector.create("item", { Code: `PAGE-${index}`, Description: "Paging widget", StartDate: "2024-01-01" }));
    }
    // A calendar date is Amsterdam's midnight: 23:00 UTC the day before, in winter.
    expect(items[0]?.fields.StartDate).toBe("2023-12-31T23:00:00.000Z");
    const before = totalCalls();
    const found = await connector.findBy("item", "Description", "Paging widget");
    expect(totalCalls() - before).toBe(2); // 60 rows, then 5 behind __next
    expect(found).toHaveLength(65);
    expect(new Set(found.map((record) => record.id))).toEqual(new Set(items.map((record) => record.id)));

    const changes: ExactSyncPage[] = await collect(connector.syncPages("item", cursor));
    const rows = changes.flatMap((page) => page.rows);
    expect(rows.map((row) => row.record.id)).toEqual(items.map((record) => record.id));
    const last = changes.at(-1)?.lastTimestamp ?? 0;
    expect(last).toBe(Math.max(...rows.map((row) => row.timestamp)));

    // Continuing from the largest Timestamp yields only what changed since.
    const edited = items[7];
    if (!edited) throw new Error("no item");
    await connector.update("item", edited.id, { Description: "Paging widget, edited" });
    const next = (await collect(connector.syncPages("item", last))).flatMap((page) => page.rows);
    expect(next.map((row) => row.record.fields.Description)).toEqual(["Paging widget, edited"]);
    expect(next[0]?.timestamp).toBeGreaterThan(last);

    await connector.delete("item", edited.id);
    const deletions = (await collect(connector.deletedPages(last))).flatMap((page) => page.rows);
    expect(deletions).toEqual([expect.objectContaining({ type: "item", id: edited.id })]);
  });

  it("reads employees (from the sync API too) and refuses to write them without calling", async () => {
    const id = "a4f6c8e0-2b4d-4f6a-8c0e-1a3c5e7a9b2d";
    const edit = await fetch(`${exact.sandbox.url}/_sandbox/employees/${id}`, {
      method: "PUT",
      body: JSON.stringify({
        FirstName: "Ola",
        LastName: "Berg",
        BusinessEmail: "ola.berg@example.com",
        BusinessMobile: "+31 6 0000 0100",
      }),
    });
    expect(edit.ok).toBe(true);
    expect((await connector.get("employee", id))?.fields).toMatchObject({ FullName: "Ola Berg", BusinessEmail: "ola.berg@example.com" });
    expect((await connector.findBy("employee", "BusinessEmail", "ola.berg@example.com")).map((record) => record.id)).toEqual([id]);
    const rows = (await collect(connector.syncPages("employee", 1))).flatMap((page) => page.rows);
    expect(rows.map((row) => row.record.id)).toContain(id);

    const before = totalCalls();
    await expect(connector.update("employee", id, { FirstName: "Olav" })).rejects.toThrow(ClientRequestError);
    expect(totalCalls()).toBe(before);
  });

  it("reads the default account", async () => {
    const account = await connector.get("account", EXACT_SANDBOX.defaultAccountId);
    expect(account?.fields.Name).toEqual(expect.any(String));
  });

  it("answers null for a key Exact does not have", async () => {
    expect(await connector.get("item", "00000000-0000-4000-8000-000000000000")).toBeNull();
  });

  it("takes Exact's functional 500 (a duplicate Code) for a refusal with Exact's text, after one call", async () => {
    await connector.create("item", { Code: "DUPLICATE-1", Description: "First" });
    const posts = () => exact.sandbox.stats().calls[`POST /api/v1/${exact.sandbox.division}/logistics/Items`] ?? 0;
    const before = posts();
    const error = await connector.create("item", { Code: "DUPLICATE-1", Description: "Second" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ClientRequestError);
    expect(error).toMatchObject({ status: 500 });
    expect((error as Error).message).toMatch(/Gegeven bestaat reeds/);
    expect(posts() - before).toBe(1);
  });

  it("takes an injected 500 (an outage page, not Exact's error body) for a TransientError", async () => {
    await injectFault({ status: 500, times: 1, method: "POST", path: "/logistics/Items" });
    await expect(connector.create("item", { Code: "OUTAGE-1", Description: "Outage" })).rejects.toThrow(TransientError);
  });

  it("turns injected 429s and 5xx into RateLimitedError (with the reset wait) and TransientError", async () => {
    await injectFault({ status: 429, times: 1 });
    const limited = await connector.get("contact", EXACT_SANDBOX.defaultAccountId).catch((caught: unknown) => caught);
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).retryAfterMs).toBe(1000);
    expect(connector.rateLimit().minutely?.remaining).toBe(0);

    await injectFault({ status: 503, times: 1, method: "GET", path: "/crm/Contacts" });
    await expect(connector.findBy("contact", "Email", "x@example.com")).rejects.toThrow(TransientError);
  });

  it("reports the rate-limit windows of every answer", async () => {
    const seen: number[] = [];
    const watched = createExactConnector({ ...exact.config(), onResponse: (info) => seen.push(info.rateLimit.minutely?.remaining ?? -1) });
    await watched.get("account", EXACT_SANDBOX.defaultAccountId);
    await watched.get("account", EXACT_SANDBOX.defaultAccountId);
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe((seen[0] ?? 0) - 1);
    expect(watched.rateLimit()).toMatchObject({ minutely: { limit: 10_000 }, daily: { limit: 100_000 } });
  });

  it("reads the current division", async () => {
    expect((await connector.currentUser()).division).toBe(exact.sandbox.division);
  });

  it("creates, lists and deletes webhook subscriptions", async () => {
    const callback = createServer((req, res) => {
      req.resume();
      res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => callback.listen(0, "127.0.0.1", resolve));
    try {
      const callbackUrl = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/webhooks/exactonline`;
      const subscription = await connector.webhookSubscriptions.create({ callbackUrl, topic: "Items" });
      expect(subscription).toMatchObject({ callbackUrl, topic: "Items" });
      expect(await connector.webhookSubscriptions.list()).toContainEqual(subscription);
      await connector.webhookSubscriptions.delete(subscription.id);
      expect(await connector.webhookSubscriptions.list()).not.toContainEqual(subscription);
    } finally {
      callback.closeAllConnections();
      await new Promise<void>((resolve) => callback.close(() => resolve()));
    }
  });
});

describe("Exact's own rate limit", () => {
  it("answers a call over the minute's budget with RateLimitedError waiting until the window resets", async () => {
    const tight = await startAuthorisedExact({ rateLimit: { perMinute: 2, perDay: 100 } });
    try {
      const limited = createExactConnector(tight.config());
      tight.clock.now += 15_000;
      await limited.currentUser();
      await limited.currentUser();
      const error = await limited.currentUser().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RateLimitedError);
      const minutely = limited.rateLimit().minutely;
      expect(minutely?.remaining).toBe(0);
      expect((error as RateLimitedError).retryAfterMs).toBe((minutely?.resetAt ?? 0) - tight.clock.now);
      expect((error as RateLimitedError).retryAfterMs).toBe(45_000);
    } finally {
      await tight.stop();
    }
  });
});
