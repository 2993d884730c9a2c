/**
 * The call governor against DynamoDB Local: conditional counters shared by any number of
 * workers (separate governor instances stand for separate Lambda containers), the injected
 * clock moving between minutes and days, Exact's headers lowering the budget, and the buckets'
 * TTL. Then the connector with a governor against the Exact sandbox: a spent budget never
 * reaches Exact, and the token endpoint is not charged.
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { documentClient } from "#lib/aws/dynamodb";
import { RateLimitedError } from "#lib/connectors/errors";
import { createExactConnector } from "#lib/connectors/exactonline/client";
import { budgetKey, createExactGovernor, type ExactBudgetUsage, type ExactGovernorConfig } from "#lib/connectors/exactonline/governor";
import { TTL_ATTRIBUTE } from "#lib/store/table";
import { createTestTable } from "../../support/aws";
import { startAuthorisedExact } from "../support/exact-sandbox";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

let tableName: string;
let nextDivision = 7000;

/*
 * The clock starts 15 s into a minute a few days ahead of the real one, so no bucket's TTL
 * has passed (DynamoDB may remove expired items) and the wait to the next minute is 45 s.
 */
function testClock() {
  const start = Math.floor(Date.now() / DAY) * DAY + 3 * DAY + 10 * 60 * MINUTE + 15_000;
  const clock = { now: start, read: () => clock.now };
  return clock;
}

function governorFor(overrides: Partial<ExactGovernorConfig> & { now: () => number }) {
  return createExactGovernor({ tableName, division: overrides.division ?? 0, ...overrides });
}

/** Settles every promise; returns how many succeeded and the errors of the rest. */
async function settle(attempts: Promise<unknown>[]) {
  const results = await Promise.allSettled(attempts);
  return {
    succeeded: results.filter((result) => result.status === "fulfilled").length,
    errors: results.flatMap((result) => (result.status === "rejected" ? [result.reason as unknown] : [])),
  };
}

const storedBucket = async (key: { pk: string; sk: string }) =>
  (await documentClient().send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;

beforeAll(async () => {
  tableName = await createTestTable();
});

describe("Exact call governor (DynamoDB)", () => {
  it("hands out exactly the minute's limit to concurrent acquirers across workers, then opens the next minute", async () => {
    const clock = testClock();
    const division = nextDivision++;
    const workers = Array.from({ length: 5 }, () => governorFor({ division, perMinute: 12, perDay: 1000, now: clock.read }));
    const { succeeded, errors } = await settle(workers.flatMap((worker) => Array.from({ length: 6 }, () => worker.acquire())));

    expect(succeeded).toBe(12);
    expect(errors).toHaveLength(18);
    for (const error of errors) {
      expect(error).toBeInstanceOf(RateLimitedError);
      expect((error as RateLimitedError).retryAfterMs).toBe(45_000);
      expect((error as RateLimitedError).message).toMatch(/minute's call budget .* is spent/);
    }
    const usage = await workers[0]!.usage();
    expect(usage.minute).toMatchObject({ used: 12, limit: 12, remaining: 0, resetAt: clock.now + 45_000 });
    // Refused calls took nothing from the day.
    expect(usage.day).toMatchObject({ used: 12, limit: 1000, remaining: 988 });

    clock.now += 45_000;
    await workers[3]!.acquire();
    expect((await workers[1]!.usage()).minute).toMatchObject({ used: 1, remaining: 11 });
    expect((await workers[1]!.usage()).day.used).toBe(13);
  });

  it("stops at the day's limit with the wait until midnight UTC, giving the minute's call back", async () => {
    const clock = testClock();
    const division = nextDivision++;
    const governor = governorFor({ division, perMinute: 10, perDay: 3, now: clock.read });
    await governor.acquire();
    await governor.acquire();
    clock.now += MINUTE;
    await governor.acquire();
    const refused = await governor.acquire().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RateLimitedError);
    const midnight = Math.ceil(clock.now / DAY) * DAY;
    expect((refused as RateLimitedError).retryAfterMs).toBe(midnight - clock.now);
    expect((refused as RateLimitedError).message).toMatch(/today's call budget/);
    expect(await governor.usage()).toMatchObject({ minute: { used: 1 }, day: { used: 3, remaining: 0, resetAt: midnight } });

    clock.now = midnight + 1_000;
    await governor.acquire();
    expect(await governor.usage()).toMatchObject({ minute: { used: 1 }, day: { used: 1 } });
  });

  it("lowers the budget for every worker when Exact says fewer calls remain, and ignores figures of other windows", async () => {
    const clock = testClock();
    const division = nextDivision++;
    const minuteEnd = Math.ceil(clock.now / MINUTE) * MINUTE;
    const midnight = Math.ceil(clock.now / DAY) * DAY;
    const seen: ExactBudgetUsage[] = [];
    const one = governorFor({ division, perMinute: 10, perDay: 1000, now: clock.read, onUsage: (usage) => seen.push(usage) });
    const other = governorFor({ division, perMinute: 10, perDay: 1000, now: clock.read });
    await one.acquire();
    await one.acquire();
    expect(seen.map((usage) => usage.minute.remaining)).toEqual([9, 8]);

    // Headers of the previous minute, and an injected 429's one-second window, say nothing about this minute.
    await one.observe({ minutely: { limit: 10, remaining: 0, resetAt: minuteEnd - MINUTE }, daily: null });
    await one.observe({ minutely: { limit: 10, remaining: 0, resetAt: clock.now + 1_000 }, daily: null });
    // More left at Exact than we think (our calls still in flight): our count stands.
    await one.observe({ minutely: { limit: 10, remaining: 9, resetAt: minuteEnd }, daily: null });
    expect((await other.usage()).minute.used).toBe(2);

    // Another app spent 5 of this minute's calls: Exact has 3 left, so the other worker gets 3.
    await one.observe({
      minutely: { limit: 10, remaining: 3, resetAt: minuteEnd },
      daily: { limit: 1000, remaining: 990, resetAt: midnight },
    });
    expect(seen.at(-1)).toMatchObject({ minute: { used: 7, remaining: 3 }, day: { used: 10, remaining: 990 } });
    const { succeeded, errors } = await settle(Array.from({ length: 5 }, () => other.acquire()));
    expect(succeeded).toBe(3);
    expect(errors.every((error) => error instanceof RateLimitedError)).toBe(true);

    // A contract below the configured limit still binds: Exact's remaining counts against ours.
    await other.observe({ minutely: null, daily: { limit: 500, remaining: 100, resetAt: midnight } });
    expect((await one.usage()).day).toMatchObject({ used: 900, remaining: 100 });
  });

  it("keeps a safety margin of each window unspent", async () => {
    const clock = testClock();
    const governor = governorFor({ division: nextDivision++, perMinute: 5, perDay: 1000, safetyMargin: 2, now: clock.read });
    const { succeeded } = await settle(Array.from({ length: 5 }, () => governor.acquire()));
    expect(succeeded).toBe(3);
    expect((await governor.usage()).minute).toMatchObject({ used: 3, limit: 5, remaining: 0 });
  });

  it("stores minute and day buckets under the documented keys with a TTL after their window", async () => {
    const clock = testClock();
    const division = nextDivision++;
    await governorFor({ division, now: clock.read }).acquire();
    const iso = new Date(clock.now).toISOString();
    const minuteKey = budgetKey(division, "minute", clock.now);
    const dayKey = budgetKey(division, "day", clock.now);
    expect(minuteKey).toEqual({ pk: `BUDGET#exactonline#${division}#minute#${iso.slice(0, 16)}`, sk: "BUDGET" });
    expect(dayKey).toEqual({ pk: `BUDGET#exactonline#${division}#day#${iso.slice(0, 10)}`, sk: "BUDGET" });

    const minute = await storedBucket(minuteKey);
    const day = await storedBucket(dayKey);
    expect(minute).toMatchObject({ calls: 1 });
    expect(day).toMatchObject({ calls: 1 });
    const minuteEndSeconds = Math.ceil(clock.now / MINUTE) * 60;
    const midnightSeconds = Math.ceil(clock.now / DAY) * 86_400;
    expect(minute?.[TTL_ATTRIBUTE]).toBeGreaterThan(minuteEndSeconds);
    expect(minute?.[TTL_ATTRIBUTE]).toBeLessThanOrEqual(minuteEndSeconds + 86_400);
    expect(day?.[TTL_ATTRIBUTE]).toBeGreaterThan(midnightSeconds);
    expect(day?.[TTL_ATTRIBUTE]).toBeLessThanOrEqual(midnightSeconds + 40 * 86_400);
  });

  it("refuses nonsense limits", () => {
    const now = () => 0;
    expect(() => governorFor({ perMinute: 0, now })).toThrow(RangeError);
    expect(() => governorFor({ perDay: 1.5, now })).toThrow(RangeError);
    expect(() => governorFor({ safetyMargin: -1, now })).toThrow(RangeError);
    expect(() => governorFor({ perMinute: 5, safetyMargin: 5, now })).toThrow(RangeError);
  });
});

describe("Exact connector with a governor (sandbox)", () => {
  it("calls Exact only with budget in hand, charges no token request, and learns from Exact's headers", async () => {
    const exact = await startAuthorisedExact({ rateLimit: { perMinute: 3, perDay: 1000 } });
    try {
      // The sandbox's clock: 2024-03-04 09:00; start 15 s into the minute, after the token's refresh is due.
      exact.clock.now += 10 * MINUTE + 15_000;
      const governor = createExactGovernor({
        tableName: exact.config().tableName,
        division: exact.sandbox.division,
        perMinute: 3,
        perDay: 1000,
        now: () => exact.clock.now,
      });
      const connector = createExactConnector({ ...exact.config(), governor });
      const apiCalls = () =>
        Object.entries(exact.sandbox.stats().calls)
          .filter(([key]) => key.includes("/api/v1/"))
          .reduce((sum, [, count]) => sum + count, 0);

      await connector.currentUser();
      expect(exact.sandbox.stats().calls["POST /api/oauth2/token"]).toBe(2);
      expect((await governor.usage()).minute.used).toBe(1);

      // A call the governor did not see (another app with the same key): Exact's headers tell it.
      const me = await fetch(`${exact.sandbox.url}/api/v1/current/Me`, {
        headers: { Authorization: `Bearer ${await exact.tokens.accessToken()}`, Accept: "application/json" },
      });
      expect(me.status).toBe(200);
      await connector.currentUser();
      expect((await governor.usage()).minute.used).toBe(3);

      const before = apiCalls();
      const refused = await connector.currentUser().catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(RateLimitedError);
      expect((refused as RateLimitedError).retryAfterMs).toBe(45_000);
      expect(apiCalls()).toBe(before);
      expect(exact.sandbox.stats().rateLimited).toBe(0);

      // The sandbox counts the 429s its own budget answers (not injected ones), on /_sandbox/stats too.
      const bearer = { Authorization: `Bearer ${await exact.tokens.accessToken()}`, Accept: "application/json" };
      expect((await fetch(`${exact.sandbox.url}/api/v1/current/Me`, { headers: bearer })).status).toBe(429);
      await fetch(`${exact.sandbox.url}/_sandbox/faults`, { method: "POST", body: JSON.stringify({ status: 429, times: 1 }) });
      expect((await fetch(`${exact.sandbox.url}/api/v1/current/Me`, { headers: bearer })).status).toBe(429);
      expect(exact.sandbox.stats().rateLimited).toBe(1);
      expect(await (await fetch(`${exact.sandbox.url}/_sandbox/stats`)).json()).toMatchObject({
        calls: {},
        deliveries: { sent: 0, failed: 0 },
        rateLimited: 1,
      });

      exact.clock.now += 45_000;
      expect((await connector.currentUser()).division).toBe(exact.sandbox.division);
    } finally {
      await exact.stop();
    }
  });
});
