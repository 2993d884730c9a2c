import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRMOFFICE_SANDBOX } from "#lib/sandbox/dev-credentials";
import { startCrmOfficeSandbox } from "#lib/sandbox/crmoffice/server";
import type { CrmOfficeSandbox } from "#lib/sandbox/crmoffice/server";
import { jsonOf } from "./harness";

const FORM = { "Content-Type": "application/x-www-form-urlencoded" };

let clockMs = Date.parse("2025-03-01T12:00:00Z");
let sandbox: CrmOfficeSandbox;

beforeAll(async () => {
  sandbox = await startCrmOfficeSandbox({ port: 0, accessTokenTtlSeconds: 60, now: () => clockMs });
});
afterAll(() => sandbox.stop());

function requestToken(params: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(`${sandbox.url}/connect/token`, {
    method: "POST",
    headers: { ...FORM, ...headers },
    body: new URLSearchParams(params),
  });
}

const clientCredentials = {
  grant_type: "client_credentials",
  client_id: CRMOFFICE_SANDBOX.clientId,
  client_secret: CRMOFFICE_SANDBOX.clientSecret,
};

const basicAuth = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

const listContacts = (authorization?: string) =>
  fetch(`${sandbox.url}/contacts`, { headers: authorization ? { Authorization: authorization } : {} });

describe("POST /connect/token", () => {
  it("grants client_credentials from the form body, with a refresh token and no caching", async () => {
    const response = await requestToken(clientCredentials);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = await jsonOf(response);
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: "Bearer",
      expires_in: 60,
      scope: "crmoffice offline_access",
      refresh_token: expect.any(String),
    });
    expect((await listContacts(`Bearer ${body.access_token}`)).status).toBe(200);
  });

  it("grants client_credentials with HTTP Basic client authentication", async () => {
    const response = await requestToken(
      { grant_type: "client_credentials" },
      { Authorization: basicAuth(CRMOFFICE_SANDBOX.clientId, CRMOFFICE_SANDBOX.clientSecret) },
    );
    expect(response.status).toBe(200);
    expect((await jsonOf(response)).token_type).toBe("Bearer");
  });

  it("refuses a wrong secret: 400 in the body, 401 with a challenge over Basic", async () => {
    const inBody = await requestToken({ ...clientCredentials, client_secret: "wrong" });
    expect(inBody.status).toBe(400);
    expect(await jsonOf(inBody)).toMatchObject({ error: "invalid_client" });

    const overBasic = await requestToken(
      { grant_type: "client_credentials" },
      { Authorization: basicAuth(CRMOFFICE_SANDBOX.clientId, "wrong") },
    );
    expect(overBasic.status).toBe(401);
    expect(overBasic.headers.get("www-authenticate")).toMatch(/^Basic/);
    expect(await jsonOf(overBasic)).toMatchObject({ error: "invalid_client" });
  });

  it("refuses a missing client, a missing or unknown grant type, a bad scope and a non-form body", async () => {
    const noClient = await requestToken({ grant_type: "client_credentials" });
    expect(noClient.status).toBe(400);
    expect(await jsonOf(noClient)).toMatchObject({ error: "invalid_client" });

    const { grant_type: _grantType, ...withoutGrant } = clientCredentials;
    expect(await jsonOf(await requestToken(withoutGrant))).toMatchObject({ error: "invalid_request" });
    expect(await jsonOf(await requestToken({ ...clientCredentials, grant_type: "password" }))).toMatchObject({
      error: "unsupported_grant_type",
    });
    expect(await jsonOf(await requestToken({ ...clientCredentials, scope: "crmoffice admin" }))).toMatchObject({
      error: "invalid_scope",
    });

    const json = await fetch(`${sandbox.url}/connect/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(clientCredentials),
    });
    expect(json.status).toBe(400);
    expect(await jsonOf(json)).toMatchObject({ error: "invalid_request" });
  });

  it("issues no refresh token when offline_access is not asked for", async () => {
    const body = await jsonOf(await requestToken({ ...clientCredentials, scope: "crmoffice" }));
    expect(body.scope).toBe("crmoffice");
    expect(body).not.toHaveProperty("refresh_token");
  });

  it("refreshes once per refresh token: each refresh rotates it", async () => {
    const first = await jsonOf(await requestToken(clientCredentials));
    const refresh = (refreshToken: string) =>
      requestToken({
        grant_type: "refresh_token",
        refresh_token: refreshToken,
        client_id: CRMOFFICE_SANDBOX.clientId,
        client_secret: CRMOFFICE_SANDBOX.clientSecret,
      });

    const refreshed = await refresh(first.refresh_token);
    expect(refreshed.status).toBe(200);
    const second = await jsonOf(refreshed);
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await listContacts(`Bearer ${second.access_token}`)).status).toBe(200);

    const reused = await refresh(first.refresh_token);
    expect(reused.status).toBe(400);
    expect(await jsonOf(reused)).toMatchObject({ error: "invalid_grant" });
    expect((await refresh("never-issued")).status).toBe(400);
  });
});

describe("Bearer tokens on the API", () => {
  it("answers 401 with the error body without a token or with an unknown one", async () => {
    const missing = await listContacts();
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await jsonOf(missing)).toEqual({ error: "unauthorized", message: expect.any(String) });

    const unknown = await listContacts("Bearer not-a-token");
    expect(unknown.status).toBe(401);
    expect(await jsonOf(unknown)).toEqual({ error: "invalid_token", message: expect.any(String) });

    expect((await fetch(`${sandbox.url}/webhooks`)).status).toBe(401);
    expect((await fetch(`${sandbox.url}/companies/x`, { method: "DELETE" })).status).toBe(401);
  });

  it("refuses a token once it has expired", async () => {
    const { access_token: token } = await jsonOf(await requestToken(clientCredentials));
    clockMs += 59_000;
    expect((await listContacts(`Bearer ${token}`)).status).toBe(200);
    clockMs += 1_000;
    const expired = await listContacts(`Bearer ${token}`);
    expect(expired.status).toBe(401);
    expect(await jsonOf(expired)).toMatchObject({ error: "invalid_token" });
  });
});
