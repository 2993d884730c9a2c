import { afterEach, describe, expect, it } from "vitest";
import { startExactSandbox } from "#lib/sandbox/exactonline/server";
import type { ExactSandbox } from "#lib/sandbox/exactonline/server";
import { authorize, errorText, requestCode, testClock, tokenRequest } from "./helpers";

let sandbox: ExactSandbox;
afterEach(async () => sandbox.stop());

const me = (token: string) =>
  fetch(`${sandbox.url}/api/v1/current/Me`, { headers: { Authorization: `Bearer ${token}`, Accept: "application/json" } });

describe("Exact sandbox OAuth2 code flow", () => {
  it("auto-approves with a redirect carrying code and state, and the code buys a token pair once", async () => {
    sandbox = await startExactSandbox({ port: 0 });
    const redirect = await requestCode(sandbox, "state-42");
    expect(redirect.status).toBe(302);
    const location = new URL(redirect.headers.get("location") ?? "");
    expect(`${location.origin}${location.pathname}`).toBe(sandbox.redirectUri);
    expect(location.searchParams.get("state")).toBe("state-42");
    const code = location.searchParams.get("code") ?? "";
    expect(code).toContain("!");

    const exchange = await tokenRequest(sandbox, { grant_type: "authorization_code", code, redirect_uri: sandbox.redirectUri });
    expect(exchange.status).toBe(200);
    const tokens = (await exchange.json()) as Record<string, unknown>;
    expect(tokens).toMatchObject({ token_type: "bearer", expires_in: "600" });
    expect(typeof tokens.access_token).toBe("string");
    expect(typeof tokens.refresh_token).toBe("string");

    const again = await tokenRequest(sandbox, { grant_type: "authorization_code", code, redirect_uri: sandbox.redirectUri });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error: "invalid_grant" });

    const current = await me(String(tokens.access_token));
    expect(current.status).toBe(200);
    const body = (await current.json()) as { d: { results: Array<Record<string, unknown>> } };
    expect(body.d.results).toHaveLength(1);
    expect(body.d.results[0]).toMatchObject({ CurrentDivision: sandbox.division, FullName: "Sandbox User" });
  });

  it("refuses an unknown client or a different redirect URI at the auth endpoint", async () => {
    sandbox = await startExactSandbox({ port: 0 });
    const wrongClient = new URL("/api/oauth2/auth", sandbox.url);
    wrongClient.search = new URLSearchParams({
      client_id: "00000000-0000-0000-0000-000000000000",
      redirect_uri: sandbox.redirectUri,
      response_type: "code",
    }).toString();
    expect((await fetch(wrongClient, { redirect: "manual" })).status).toBe(400);
    const wrongRedirect = new URL("/api/oauth2/auth", sandbox.url);
    wrongRedirect.search = new URLSearchParams({
      client_id: sandbox.clientId,
      redirect_uri: "https://evil.example.com/callback",
      response_type: "code",
    }).toString();
    expect((await fetch(wrongRedirect, { redirect: "manual" })).status).toBe(400);
  });

  it("checks the client secret on the token endpoint", async () => {
    sandbox = await startExactSandbox({ port: 0 });
    const code = new URL((await requestCode(sandbox)).headers.get("location") ?? "").searchParams.get("code") ?? "";
    const response = await tokenRequest(sandbox, {
      grant_type: "authorization_code",
      code,
      redirect_uri: sandbox.redirectUri,
      client_secret: "wrong",
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "invalid_client" });
  });

  it("refuses a refresh before refreshNotBeforeSeconds, then rotates: the used refresh token is dead", async () => {
    const clock = testClock();
    sandbox = await startExactSandbox({ port: 0, now: clock.read });
    const first = await authorize(sandbox);

    clock.advance(569_000);
    const early = await tokenRequest(sandbox, { grant_type: "refresh_token", refresh_token: first.refresh_token });
    expect(early.status).toBe(400);
    expect(early.headers.get("Reason")).toBe("TooEarlyToRefreshTokens");
    const earlyText = await early.text();
    expect(JSON.parse(earlyText)).toEqual({ error: "access_denied", error_description: "Rate limit exceeded: access_token not expired" });
    expect(earlyText).not.toContain("TooEarlyToRefreshTokens");

    clock.advance(1_000);
    const refreshed = await tokenRequest(sandbox, { grant_type: "refresh_token", refresh_token: first.refresh_token });
    expect(refreshed.status).toBe(200);
    const second = (await refreshed.json()) as { access_token: string; refresh_token: string };
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await me(second.access_token)).status).toBe(200);

    const reused = await tokenRequest(sandbox, { grant_type: "refresh_token", refresh_token: first.refresh_token });
    expect(reused.status).toBe(400);
    expect(await reused.json()).toEqual({ error: "invalid_grant" });
    expect((await tokenRequest(sandbox, { grant_type: "refresh_token", refresh_token: "Refresh!nope" })).status).toBe(400);
  });

  it("answers an unused refresh token after 30 days with invalid_request and the time it expired", async () => {
    const clock = testClock(Date.UTC(2024, 0, 10, 8, 0, 0));
    sandbox = await startExactSandbox({ port: 0, now: clock.read });
    const tokens = await authorize(sandbox);
    clock.advance(30 * 24 * 3_600_000);
    const expired = await tokenRequest(sandbox, { grant_type: "refresh_token", refresh_token: tokens.refresh_token });
    expect(expired.status).toBe(400);
    // Issued 10 January 08:00 UTC, so it expired 9 February 08:00 UTC: 09:00 in Amsterdam (CET).
    expect(await expired.json()).toEqual({
      error: "invalid_request",
      error_description: "The refresh token expired at 2024-02-09T09:00:00+01:00",
    });
  });

  it("counts token-endpoint calls per client id in the stats", async () => {
    const clock = testClock();
    sandbox = await startExactSandbox({ port: 0, now: clock.read });
    const tokens = await authorize(sandbox);
    await tokenRequest(sandbox, { grant_type: "refresh_token", refresh_token: tokens.refresh_token });
    await tokenRequest(sandbox, { grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: "someone-else" });
    const stats = (await (await fetch(`${sandbox.url}/_sandbox/stats`)).json()) as {
      tokenCalls: Record<string, number>;
      calls: Record<string, number>;
    };
    expect(stats.tokenCalls).toEqual({ [sandbox.clientId]: 2, unknown: 1 });
    expect(stats.calls["POST /api/oauth2/token"]).toBe(3);
  });

  it("expires access tokens after accessTokenTtlSeconds with Exact's 401 body", async () => {
    const clock = testClock();
    sandbox = await startExactSandbox({ port: 0, now: clock.read, accessTokenTtlSeconds: 30, refreshNotBeforeSeconds: 20 });
    const tokens = await authorize(sandbox);
    expect(tokens.expires_in).toBe("30");
    clock.advance(29_000);
    expect((await me(tokens.access_token)).status).toBe(200);
    clock.advance(1_000);
    const expired = await me(tokens.access_token);
    expect(expired.status).toBe(401);
    expect(await errorText(expired)).toBe("Unauthorized");

    const refreshed = await tokenRequest(sandbox, { grant_type: "refresh_token", refresh_token: tokens.refresh_token });
    expect(refreshed.status).toBe(200);
  });

  it("answers 401 without a bearer token", async () => {
    sandbox = await startExactSandbox({ port: 0 });
    const response = await fetch(`${sandbox.url}/api/v1/${sandbox.division}/crm/Contacts`, {
      headers: { Accept: "application/json" },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: "", message: { lang: "", value: "Unauthorized" } } });
  });
});
