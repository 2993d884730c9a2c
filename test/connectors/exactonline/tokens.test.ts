/**
 * The token store against the Exact sandbox's OAuth server and DynamoDB Local: rotation,
 * refreshes avoided while Exact would refuse them, and refreshes serialised across workers.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { documentClient } from "#lib/aws/dynamodb";
import { AuthorizationError, RateLimitedError, TransientError } from "#lib/connectors/errors";
import { createExactConnector } from "#lib/connectors/exactonline/client";
import { createExactTokenStore } from "#lib/connectors/exactonline/tokens";
import { keys } from "#lib/store/keys";
import type { ExactTokenStore } from "#lib/connectors/exactonline/tokens";
import { authorise, startAuthorisedExact } from "../support/exact-sandbox";
import type { AuthorisedExact } from "../support/exact-sandbox";

let exact: AuthorisedExact;
const refreshes: string[] = [];

/** Counts refresh-token grants sent to the token endpoint, each slowed a little so races overlap. */
const countingFetch: typeof fetch = async (input, init) => {
  if (String(input).endsWith("/api/oauth2/token") && String(init?.body).includes("grant_type=refresh_token")) {
    refreshes.push(new URLSearchParams(String(init?.body)).get("refresh_token") ?? "");
    await sleep(100);
  }
  return fetch(input, init);
};

/** The stored item with its sealed tokens opened (they are never stored in clear). */
async function storedItem() {
  const { Item } = await documentClient().send(
    new GetCommand({ TableName: exact.config().tableName, Key: keys.token(exact.sandbox.division) }),
  );
  const item = Item as { accessTokenSealed: string; refreshTokenSealed: string; version: number; issuedAt: number; leaseOwner?: string };
  const { cipher } = exact.config();
  return { ...item, accessToken: await cipher.open(item.accessTokenSealed), refreshToken: await cipher.open(item.refreshTokenSealed) };
}

/** Puts a token of the test's choosing into the stored item, sealed as the store seals them. */
async function storeToken(attribute: "accessTokenSealed" | "refreshTokenSealed", value: string, extra: Record<string, number> = {}) {
  const sets = Object.keys(extra).map((name) => `${name} = :${name}`);
  await documentClient().send(
    new UpdateCommand({
      TableName: exact.config().tableName,
      Key: keys.token(exact.sandbox.division),
      UpdateExpression: `SET ${[`${attribute} = :value`, ...sets].join(", ")}`,
      ExpressionAttributeValues: {
        ":value": await exact.config().cipher.seal(value),
        ...Object.fromEntries(Object.entries(extra).map(([name, v]) => [`:${name}`, v])),
      },
    }),
  );
}

/** POSTs a refresh grant straight to the sandbox, as any client would. */
async function refreshDirectly(refreshToken: string): Promise<Response> {
  return fetch(`${exact.sandbox.url}/api/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: refreshToken,
      client_id: exact.sandbox.clientId,
      client_secret: exact.sandbox.clientSecret,
    }),
  });
}

const store = (): ExactTokenStore => createExactTokenStore(exact.config({ fetch: countingFetch }));

beforeEach(async () => {
  exact ??= await startAuthorisedExact();
  // Every test starts from a freshly authorised pair.
  await authorise(exact.tokens);
  refreshes.length = 0;
});

afterAll(async () => {
  await exact?.stop();
});

describe("Exact token store", () => {
  it("stores the authorised pair and uses the access token while it is young", async () => {
    const tokens = store();
    const first = await tokens.accessToken();
    exact.clock.now += 300_000;
    expect(await tokens.accessToken()).toBe(first);
    expect(first).toBe((await storedItem()).accessToken);
    expect(refreshes).toEqual([]);
  });

  it("does not ask for a refresh Exact would refuse as too early, even after a 401", async () => {
    const tokens = store();
    const token = await tokens.accessToken();
    exact.clock.now += 569_000;
    expect(await tokens.accessToken()).toBe(token);
    await expect(tokens.renewAfterRejection(token)).rejects.toThrow(TransientError);
    expect(refreshes).toEqual([]);
  });

  it("rotates the pair once the token is old enough: the old refresh token is refused, the stored new one works", async () => {
    const tokens = store();
    const before = await storedItem();
    exact.clock.now += 571_000;
    const renewed = await tokens.accessToken();
    const after = await storedItem();
    expect(refreshes).toEqual([before.refreshToken]);
    expect(renewed).not.toBe(before.accessToken);
    expect(after).toMatchObject({ accessToken: renewed, version: before.version + 1 });
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.leaseOwner).toBeUndefined();

    // The sandbox, like Exact, refuses the rotated-out refresh token.
    const reused = await refreshDirectly(before.refreshToken);
    expect(reused.status).toBe(400);
    expect(await reused.json()).toMatchObject({ error: "invalid_grant" });

    // The stored one is the live one: the next due refresh through the store succeeds.
    exact.clock.now += 571_000;
    const again = await tokens.accessToken();
    expect(again).not.toBe(renewed);
    expect(refreshes).toEqual([before.refreshToken, after.refreshToken]);
  });

  it("waits for a slow refresh's answer even when API calls give up sooner: the rotated pair it brings is the only one that works", async () => {
    // API calls give up after 200 ms; Exact takes 700 ms to answer this refresh, and rotates the pair all the same.
    const tokens = createExactTokenStore(exact.config({ fetch: countingFetch, timeoutMs: 200 }));
    const before = await storedItem();
    const armed = await fetch(`${exact.sandbox.url}/_sandbox/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ delayMs: 700, times: 1, method: "POST", path: "/api/oauth2/token" }),
    });
    expect(armed.status).toBe(201);
    exact.clock.now += 571_000;
    const renewed = await tokens.accessToken();
    expect(renewed).not.toBe(before.accessToken);
    expect((await storedItem()).accessToken).toBe(renewed);
    // And the next refresh, with the stored refresh token, still works.
    exact.clock.now += 571_000;
    expect(await tokens.accessToken()).not.toBe(renewed);
  });

  it("keeps the rotated pair when storing it fails for a moment after Exact answered: the old refresh token is already dead", async () => {
    const { cipher } = exact.config();
    // Sealing (KMS) or the write (DynamoDB) fails twice right after the refresh, then works again.
    let failures = 2;
    const flaky = {
      ...cipher,
      seal: async (value: string) => {
        if (failures > 0) {
          failures -= 1;
          throw new Error("connect ECONNREFUSED (the store is briefly unreachable)");
        }
        return cipher.seal(value);
      },
    };
    const tokens = createExactTokenStore({ ...exact.config({ fetch: countingFetch }), cipher: flaky });
    const before = await storedItem();
    exact.clock.now += 571_000;
    const renewed = await tokens.accessToken();
    expect(renewed).not.toBe(before.accessToken);
    expect(failures).toBe(0);
    expect((await storedItem()).accessToken).toBe(renewed);
    // The stored refresh token is the rotated one: the next refresh works.
    exact.clock.now += 571_000;
    expect(await tokens.accessToken()).not.toBe(renewed);
  });

  it("lets exactly one of several concurrent workers refresh; all use the pair it stored", async () => {
    const workers = [store(), store(), store()];
    exact.clock.now += 571_000;
    const tokens = await Promise.all(workers.map((worker) => worker.accessToken()));
    expect(refreshes).toHaveLength(1);
    expect(new Set(tokens)).toEqual(new Set([(await storedItem()).accessToken]));
  });

  it("renews a token Exact refused (401) and the connector's call then succeeds", async () => {
    // A token the store believes good for another hour, but that Exact no longer accepts (revoked).
    await storeToken("accessTokenSealed", "revoked-token", { accessTokenExpiresAt: exact.clock.now + 3_600_000 });
    exact.clock.now += 580_000;
    const connector = createExactConnector(exact.config({ fetch: countingFetch }));
    expect((await connector.currentUser()).division).toBe(exact.sandbox.division);
    expect(refreshes).toHaveLength(1);
    expect((await storedItem()).accessToken).not.toBe("revoked-token");
  });

  it("reports a refused refresh grant as AuthorizationError and frees the lease", async () => {
    await storeToken("refreshTokenSealed", "never-issued");
    exact.clock.now += 600_000;
    const error = await store()
      .accessToken()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as Error).message).toContain("invalid_grant");
    expect((error as Error).message).not.toContain("never-issued");
    expect((await storedItem()).leaseOwner).toBeUndefined();
  });

  it("waits out a refresh Exact calls too early (its Reason header), never taking it for a refused grant", async () => {
    // A store that believes refreshes are allowed sooner than Exact does.
    const eager = createExactTokenStore(exact.config({ fetch: countingFetch, refreshNotBeforeMs: 100_000 }));
    const before = await storedItem();
    exact.clock.now += 300_000;
    // As after a 401: the store asks for a new pair at once, at 300 s, where Exact wants 570.
    const error = await eager.renewAfterRejection(before.accessToken).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).not.toBeInstanceOf(AuthorizationError);
    expect((error as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
    // Nothing was consumed: the same refresh token works once Exact allows it.
    expect(await storedItem()).toMatchObject({ refreshToken: before.refreshToken, version: before.version });
    expect((await storedItem()).leaseOwner).toBeUndefined();
    exact.clock.now += 300_000;
    expect(await eager.renewAfterRejection(before.accessToken)).not.toBe(before.accessToken);
    expect(refreshes).toEqual([before.refreshToken, before.refreshToken]);
  });

  it("says the app needs authorising when no tokens are stored", async () => {
    const other = createExactTokenStore(exact.config({ division: 1 }));
    await expect(other.accessToken()).rejects.toThrow(/authorise the app first/);
  });
});
