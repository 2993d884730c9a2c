/**
 * The error block: more than 10 answers of 400/401/403/404 per client, division and endpoint
 * within an hour block that endpoint for an hour.
 */
import { afterEach, describe, expect, it } from "vitest";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { authorize, control, errorText, startClient, testClock } from "./helpers";
import type { ExactTestClient } from "./helpers";

let client: ExactTestClient;
afterEach(async () => client.sandbox.stop());

const division = EXACT_SANDBOX.division;
const missing = (index: number) => `crm/Contacts(guid'00000000-0000-4000-8000-${String(index).padStart(12, "0")}')`;
const BLOCKED_TEXT =
  `Te veel fouten: GET /api/v1/${division}/crm/Contacts is geblokkeerd tot 2024-05-01T13:00:30+02:00 ` +
  "(meer dan 10 antwoorden 400/401/403/404 binnen een uur).";

interface Stats {
  clientErrors: Record<string, number>;
  blocked: string[];
}
const stats = async () => (await (await control(client.sandbox, "stats")).json()) as Stats;

/** `count` by-key reads of contacts that do not exist: 404 each. */
async function readMissing(count: number, from = 0): Promise<void> {
  for (let index = from; index < from + count; index += 1) expect((await client.api(missing(index))).status).toBe(404);
}

describe("Exact sandbox error block", () => {
  it("answers 10 by-key 404s and the 11th, then blocks the endpoint with 403 saying until when", async () => {
    client = await startClient({ now: testClock().read });
    await readMissing(11);
    const blocked = await client.api("crm/Contacts");
    expect(blocked.status).toBe(403);
    expect(await errorText(blocked)).toBe(BLOCKED_TEXT);
    expect((await client.api(missing(99))).status).toBe(403);
  });

  it("does not block after 10 errors", async () => {
    client = await startClient({ now: testClock().read });
    await readMissing(10);
    expect((await client.api("crm/Contacts")).status).toBe(200);
  });

  it("blocks only that endpoint: another resource, and another method on the same one, still answer", async () => {
    client = await startClient({ now: testClock().read });
    await readMissing(11);
    expect((await client.api("logistics/Items")).status).toBe(200);
    const post = await client.api("crm/Contacts", { method: "POST", json: { Account: EXACT_SANDBOX.defaultAccountId, LastName: "Still" } });
    expect(post.status).toBe(201);
  });

  it("lifts the block after an hour, and blocked answers do not count as new errors", async () => {
    const clock = testClock();
    client = await startClient({ now: clock.read, accessTokenTtlSeconds: 7200 });
    await readMissing(11);
    for (let attempt = 0; attempt < 20; attempt += 1) expect((await client.api("crm/Contacts")).status).toBe(403);
    clock.advance(60 * 60_000 - 1);
    expect((await client.api("crm/Contacts")).status).toBe(403);
    clock.advance(1);
    expect((await client.api("crm/Contacts")).status).toBe(200);
    await readMissing(10, 100);
    expect((await client.api("crm/Contacts")).status).toBe(200);
  });

  it("counts within a sliding hour: errors older than an hour no longer count", async () => {
    const clock = testClock();
    client = await startClient({ now: clock.read, accessTokenTtlSeconds: 7200 });
    await readMissing(10);
    clock.advance(60 * 60_000);
    await readMissing(1, 10);
    expect((await client.api("crm/Contacts")).status).toBe(200);
  });

  it("counts 401s of an expired token the sandbox issued towards its app's block", async () => {
    const clock = testClock();
    client = await startClient({ now: clock.read, accessTokenTtlSeconds: 60, refreshNotBeforeSeconds: 30 });
    clock.advance(61_000);
    for (let index = 0; index < 11; index += 1) expect((await client.api("crm/Contacts")).status).toBe(401);
    const fresh = await authorize(client.sandbox);
    const blocked = await fetch(`${client.base}/crm/Contacts`, {
      headers: { Authorization: `Bearer ${fresh.access_token}`, Accept: "application/json" },
    });
    expect(blocked.status).toBe(403);
  });

  it("cannot attribute a token it never issued: its 401s are counted in the stats but block nothing", async () => {
    client = await startClient({ now: testClock().read });
    for (let index = 0; index < 12; index += 1) {
      const response = await fetch(`${client.base}/crm/Contacts`, {
        headers: { Authorization: "Bearer garbage", Accept: "application/json" },
      });
      expect(response.status).toBe(401);
    }
    expect((await client.api("crm/Contacts")).status).toBe(200);
    expect((await stats()).clientErrors).toEqual({ [`GET /api/v1/${division}/crm/Contacts`]: 12 });
  });

  it("does not charge a blocked answer to the rate budget", async () => {
    client = await startClient({ now: testClock().read });
    await readMissing(11);
    const blocked = await client.api("crm/Contacts");
    expect(blocked.status).toBe(403);
    expect(blocked.headers.get("X-RateLimit-Minutely-Remaining")).toBeNull();
  });

  it("shows client errors per path with the key, and the blocked endpoints, in the stats; reset clears both", async () => {
    client = await startClient({ now: testClock().read });
    await readMissing(11);
    await client.api("crm/Contacts");
    const prefix = `/api/v1/${division}`;
    const before = await stats();
    expect(before.blocked).toEqual([`GET ${prefix}/crm/Contacts`]);
    expect(before.clientErrors[`GET ${prefix}/${missing(0)}`]).toBe(1);
    expect(before.clientErrors[`GET ${prefix}/${missing(10)}`]).toBe(1);
    expect(before.clientErrors[`GET ${prefix}/crm/Contacts`]).toBe(1);
    expect(Object.values(before.clientErrors).reduce((sum, count) => sum + count, 0)).toBe(12);
    expect((await control(client.sandbox, "reset", { method: "POST" })).status).toBe(204);
    expect(await stats()).toMatchObject({ clientErrors: {}, blocked: [] });
    expect((await client.api("crm/Contacts")).status).toBe(200);
  });
});
