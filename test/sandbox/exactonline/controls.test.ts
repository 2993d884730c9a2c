import { afterEach, describe, expect, it } from "vitest";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { errorText, startClient, testClock, tokenRequest } from "./helpers";
import type { ExactTestClient } from "./helpers";

let client: ExactTestClient;
afterEach(async () => client.sandbox.stop());

const minutelyRemaining = (response: Response) => response.headers.get("X-RateLimit-Minutely-Remaining");
const control = (path: string, init: RequestInit = {}) =>
  fetch(`${client.sandbox.url}/_sandbox/${path}`, {
    ...init,
    headers: init.body ? { "Content-Type": "application/json" } : {},
  });

describe("Exact sandbox rate limits", () => {
  it("sends both header sets, answers 429 with only the minutely ones past the limit, and frees up next minute", async () => {
    const clock = testClock();
    client = await startClient({ now: clock.read, rateLimit: { perMinute: 3, perDay: 100 } });
    const nextMinute = Date.UTC(2024, 4, 1, 10, 1, 0);
    const nextDay = Date.UTC(2024, 4, 2);

    const first = await client.api("crm/Contacts");
    expect(first.headers.get("X-RateLimit-Limit")).toBe("100");
    expect(first.headers.get("X-RateLimit-Remaining")).toBe("99");
    expect(first.headers.get("X-RateLimit-Reset")).toBe(String(nextDay));
    expect(first.headers.get("X-RateLimit-Minutely-Limit")).toBe("3");
    expect(minutelyRemaining(first)).toBe("2");
    expect(first.headers.get("X-RateLimit-Minutely-Reset")).toBe(String(nextMinute));

    const notFound = await client.api("crm/Contacts(guid'55555555-5555-5555-5555-555555555555')");
    expect(notFound.status).toBe(404);
    expect(minutelyRemaining(notFound)).toBe("1");
    // OAuth and sandbox controls are not charged.
    await tokenRequest(client.sandbox, { grant_type: "refresh_token", refresh_token: "Refresh!unknown" });
    await control("stats");
    expect(minutelyRemaining(await client.api("crm/Contacts"))).toBe("0");

    const limited = await client.api("crm/Contacts");
    expect(limited.status).toBe(429);
    expect(minutelyRemaining(limited)).toBe("0");
    expect(limited.headers.get("X-RateLimit-Minutely-Reset")).toBe(String(nextMinute));
    expect(limited.headers.get("X-RateLimit-Limit")).toBeNull();
    expect(limited.headers.get("X-RateLimit-Remaining")).toBeNull();
    expect(await errorText(limited)).toMatch(/rate limit/i);

    clock.now = nextMinute;
    const fresh = await client.api("crm/Contacts");
    expect(fresh.status).toBe(200);
    expect(minutelyRemaining(fresh)).toBe("2");
    expect(fresh.headers.get("X-RateLimit-Remaining")).toBe("96");
  });

  it("sends both resets in epoch milliseconds by default", async () => {
    client = await startClient({ now: testClock(Date.UTC(2024, 4, 1, 10, 0, 30, 250)).read });
    const response = await client.api("crm/Contacts");
    expect(response.headers.get("X-RateLimit-Reset")).toBe("1714608000000");
    expect(response.headers.get("X-RateLimit-Minutely-Reset")).toBe("1714557660000");
  });

  it("sends each reset header in the unit the options choose", async () => {
    client = await startClient({
      now: testClock(Date.UTC(2024, 4, 1, 10, 0, 30, 250)).read,
      rateLimit: { perMinute: 100, perDay: 1000, minutelyResetUnit: "s", dailyResetUnit: "s" },
    });
    const response = await client.api("crm/Contacts");
    expect(response.headers.get("X-RateLimit-Reset")).toBe("1714608000");
    expect(response.headers.get("X-RateLimit-Minutely-Reset")).toBe("1714557660");
  });

  it("answers 429 once the daily budget is spent", async () => {
    const clock = testClock();
    client = await startClient({ now: clock.read, rateLimit: { perMinute: 100, perDay: 2 } });
    expect((await client.api("crm/Contacts")).status).toBe(200);
    expect((await client.api("crm/Contacts")).status).toBe(200);
    const limited = await client.api("crm/Contacts");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("X-RateLimit-Remaining")).toBe("0");
    clock.advance(60_000);
    expect((await client.api("crm/Contacts")).status).toBe(429);
  });
});

describe("Exact sandbox faults, stats and reset", () => {
  it("fails the next N matching calls (method and path) as an outage does: a short HTML page, not Exact's body", async () => {
    client = await startClient();
    const armed = await control("faults", {
      method: "POST",
      body: JSON.stringify({ status: 503, times: 2, method: "PUT", path: "/crm/Contacts" }),
    });
    expect(armed.status).toBe(201);
    const created = await client.api("crm/Contacts", { method: "POST", json: { Account: EXACT_SANDBOX.defaultAccountId, LastName: "F" } });
    expect(created.status).toBe(201);
    const id = String(((await created.json()) as { d: { ID: string } }).d.ID);
    const path = `crm/Contacts(guid'${id}')`;
    expect((await client.api(path)).status).toBe(200);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const failed = await client.api(path, { method: "PUT", json: { FirstName: "X" } });
      expect(failed.status).toBe(503);
      expect(failed.headers.get("Content-Type")).toMatch(/^text\/html/);
      const page = await failed.text();
      expect(page).toMatch(/^<!DOCTYPE html>/);
      expect(page).toContain("Service Unavailable");
      expect(page).not.toContain('"error"');
    }
    expect((await client.api(path, { method: "PUT", json: { FirstName: "X" } })).status).toBe(204);
  });

  it("answers an injected 429 with Retry-After and zero minutely headers, without charging the budget", async () => {
    const clock = testClock();
    client = await startClient({ now: clock.read, rateLimit: { perMinute: 10, perDay: 100 } });
    await control("faults", { method: "POST", body: JSON.stringify({ status: 429, times: 1 }) });
    const limited = await client.api("crm/Contacts");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("Retry-After")).toBe("1");
    expect(minutelyRemaining(limited)).toBe("0");
    expect(limited.headers.get("X-RateLimit-Minutely-Reset")).toBe(String(clock.now + 1000));
    const next = await client.api("crm/Contacts");
    expect(next.status).toBe(200);
    expect(minutelyRemaining(next)).toBe("9");
  });

  it("validates fault bodies and clears faults on DELETE", async () => {
    client = await startClient();
    for (const body of [{ status: 418, times: 1 }, { status: 500, times: 0 }, { status: 500 }, { status: 500, times: 1, extra: true }]) {
      expect((await control("faults", { method: "POST", body: JSON.stringify(body) })).status, JSON.stringify(body)).toBe(400);
    }
    await control("faults", { method: "POST", body: JSON.stringify({ status: 500, times: 5 }) });
    const outage = await client.api("crm/Contacts");
    expect(outage.status).toBe(500);
    expect(outage.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(await outage.text()).toContain("Internal server error");
    expect((await control("faults", { method: "DELETE" })).status).toBe(204);
    expect((await client.api("crm/Contacts")).status).toBe(200);
  });

  it("counts API calls by method and path (faulted ones too, sandbox routes not)", async () => {
    client = await startClient();
    await control("faults", { method: "POST", body: JSON.stringify({ status: 500, times: 1, path: "Accounts" }) });
    await client.api("crm/Contacts?$top=1");
    await client.api("crm/Contacts");
    await client.api("crm/Accounts");
    const stats = (await (await control("stats")).json()) as { calls: Record<string, number>; deliveries: unknown };
    const prefix = `/api/v1/${client.sandbox.division}`;
    expect(stats.calls[`GET ${prefix}/crm/Contacts`]).toBe(2);
    expect(stats.calls[`GET ${prefix}/crm/Accounts`]).toBe(1);
    expect(stats.calls["POST /api/oauth2/token"]).toBe(1);
    expect(Object.keys(stats.calls).some((key) => key.includes("_sandbox"))).toBe(false);
    expect(stats.deliveries).toEqual({ sent: 0, failed: 0 });
  });

  it("reset empties the records but keeps the default Account and the caller's token", async () => {
    client = await startClient({ seed: "demo" });
    const before = (await (await client.api("crm/Contacts")).json()) as { d: { results: unknown[] } };
    expect(before.d.results.length).toBeGreaterThan(0);
    expect((await control("reset", { method: "POST" })).status).toBe(204);
    for (const path of ["crm/Contacts", "logistics/Items", "payroll/Employees"]) {
      const after = (await (await client.api(path)).json()) as { d: { results: unknown[] } };
      expect(after.d.results, path).toEqual([]);
    }
    const accounts = (await (await client.api("crm/Accounts")).json()) as { d: { results: Array<{ ID: string }> } };
    expect(accounts.d.results.map((row) => row.ID)).toEqual([EXACT_SANDBOX.defaultAccountId]);
    expect(client.sandbox.stats().calls).not.toHaveProperty("POST /api/oauth2/token");
  });

  it("answers an unknown path with 404 in Exact's error body", async () => {
    client = await startClient();
    const response = await client.api("crm/Nothing");
    expect(response.status).toBe(404);
    expect(await errorText(response)).toMatch(/not found/i);
  });
});
