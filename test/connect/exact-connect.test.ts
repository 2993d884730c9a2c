/**
 * Connecting Exact is the operator's act: through the local stack's webhook API (the deployed
 * handlers), its Exact sandbox and DynamoDB Local. The stack itself connected at start the way
 * an operator does (a one-time link followed like a browser); these tests try everything else.
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentClient } from "#lib/aws/dynamodb";
import { exactConfig } from "#lib/config/connectors";
import { loadSecrets } from "#lib/config/secrets";
import { parseSettings } from "#lib/config/settings";
import { completeExactConnect, fixedAccessToken } from "#lib/connect/exact-connect";
import { ConnectTickets, connectLink } from "#lib/connect/tickets";
import { createExactConnector } from "#lib/connectors/exactonline/client";
import { createExactTokenStore, readExactConnection } from "#lib/connectors/exactonline/tokens";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { keys } from "#lib/store/keys";
import { syncctl } from "../cli/support";
import { startTestStack, type TestStack } from "../support/stack";

let t: TestStack;

beforeAll(async () => {
  t = await startTestStack();
}, 60_000);

afterAll(async () => {
  await t?.stack.stop();
});

const tickets = () => new ConnectTickets(documentClient(), t.stack.tableName);
const tokenItem = async () =>
  (
    await documentClient().send(
      new GetCommand({ TableName: t.stack.tableName, Key: keys.token(EXACT_SANDBOX.division), ConsistentRead: true }),
    )
  ).Item ?? {};
/** What a stranger or a failed connect must never change: the stored pair (sealed) and its version. */
const storedPair = async () => {
  const item = await tokenItem();
  return { access: item.accessTokenSealed, refresh: item.refreshTokenSealed, version: item.version, connectedAt: item.connectedAt };
};
const exactCalls = () => Object.values(t.stack.exactSandbox.stats().calls).reduce((sum, count) => sum + count, 0);
const tokenCalls = () => t.stack.exactSandbox.stats().calls["POST /api/oauth2/token"] ?? 0;

/** Follows a connect link as a browser does, up to Exact's redirect back (not yet followed). */
async function startConnect(link: string): Promise<{ cookie: string; callback: URL }> {
  const start = await fetch(link, { redirect: "manual" });
  expect(start.status).toBe(302);
  const cookie = start.headers.get("set-cookie") ?? "";
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/Secure/);
  expect(cookie).toMatch(/SameSite=Lax/);
  const consent = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
  const back = new URL(consent.headers.get("location") ?? "");
  return { cookie: cookie.split(";")[0] ?? "", callback: new URL(`${back.pathname}${back.search}`, t.stack.urls.api) };
}

describe("connecting Exact", () => {
  it("refuses /start without a valid, unused ticket with 403, and calls nothing at Exact", async () => {
    const before = { calls: exactCalls(), pair: await storedPair() };
    for (const link of [
      `${t.stack.urls.api}/oauth/exactonline/start`,
      `${t.stack.urls.api}/oauth/exactonline/start?ticket=made-up`,
      connectLink(t.stack.urls.api, "A".repeat(43)),
    ]) {
      const response = await fetch(link, { redirect: "manual" });
      expect(response.status).toBe(403);
      expect(response.headers.get("set-cookie")).toBeNull();
      expect(response.headers.get("location")).toBeNull();
    }
    expect(exactCalls()).toBe(before.calls);
    expect(await storedPair()).toEqual(before.pair);
  });

  it("lets a ticket start one connect only, and not after it expired", async () => {
    const { ticket } = await tickets().issueTicket();
    expect((await fetch(connectLink(t.stack.urls.api, ticket), { redirect: "manual" })).status).toBe(302);
    expect((await fetch(connectLink(t.stack.urls.api, ticket), { redirect: "manual" })).status).toBe(403);

    const longAgo = new ConnectTickets(documentClient(), t.stack.tableName, () => Date.now() - 31 * 60_000);
    const expired = await longAgo.issueTicket(30);
    expect((await fetch(connectLink(t.stack.urls.api, expired.ticket), { redirect: "manual" })).status).toBe(403);
  });

  it("connects through a ticket, once, for the browser that started it; a used state or another browser's is refused", async () => {
    const { ticket } = await tickets().issueTicket();
    const { cookie, callback } = await startConnect(connectLink(t.stack.urls.api, ticket));

    // Another browser (no cookie, or a cookie of its own) with the same state.
    const stranger = await startConnect(connectLink(t.stack.urls.api, (await tickets().issueTicket()).ticket));
    const before = await storedPair();
    expect((await fetch(callback, { redirect: "manual" })).status).toBe(403);
    expect((await fetch(callback, { headers: { cookie: stranger.cookie }, redirect: "manual" })).status).toBe(403);
    expect(await storedPair()).toEqual(before);

    const connected = await fetch(callback, { headers: { cookie }, redirect: "manual" });
    expect(connected.status).toBe(200);
    expect(await connected.text()).toContain("Exact Online is connected");
    const after = await storedPair();
    expect(after.version).toBe(Number(before.version) + 1);
    expect(after.access).not.toBe(before.access);

    // The same state a second time, from the same browser.
    const again = await fetch(callback, { headers: { cookie }, redirect: "manual" });
    expect(again.status).toBe(403);
    expect(await storedPair()).toEqual(after);
  });

  it("refuses a stranger who signs in at Exact and brings their own code: the real tokens stay", async () => {
    const before = await storedPair();
    // The stranger's own consent at Exact, with a state this deployment never issued.
    const consent = await fetch(
      `${t.stack.urls.exactonline}/api/oauth2/auth?${new URLSearchParams({ client_id: EXACT_SANDBOX.clientId, redirect_uri: EXACT_SANDBOX.redirectUri, response_type: "code", state: "forged.0000" })}`,
      { redirect: "manual" },
    );
    const back = new URL(consent.headers.get("location") ?? "");
    const tokenCallsBefore = tokenCalls();
    const response = await fetch(new URL(`${back.pathname}${back.search}`, t.stack.urls.api), { redirect: "manual" });
    expect(response.status).toBe(403);
    expect(tokenCalls()).toBe(tokenCallsBefore);
    expect(await storedPair()).toEqual(before);
  });

  it("spends at most one token call on a garbage code, and keeps the tokens", async () => {
    const { ticket } = await tickets().issueTicket();
    const { cookie, callback } = await startConnect(connectLink(t.stack.urls.api, ticket));
    callback.searchParams.set("code", "Code!garbage");
    const before = { tokenCalls: tokenCalls(), pair: await storedPair() };
    const refused = await fetch(callback, { headers: { cookie }, redirect: "manual" });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("Nothing was changed");
    // The state is spent: the same link cannot be used to try another code.
    expect((await fetch(callback, { headers: { cookie }, redirect: "manual" })).status).toBe(403);
    expect(tokenCalls() - before.tokenCalls).toBe(1);
    expect(await storedPair()).toEqual(before.pair);
  });

  it("stores nothing when the new tokens cannot reach the configured division", async () => {
    const settings = parseSettings(process.env);
    const config = exactConfig(settings, await loadSecrets(["EXACT_CLIENT_SECRET"]));
    const tokens = createExactTokenStore(config);
    const consent = await fetch(tokens.authorizeUrl("any"), { redirect: "manual" });
    const code = new URL(consent.headers.get("location") ?? "").searchParams.get("code") ?? "";
    const before = await storedPair();
    const otherDivision = 4_242_424;
    const outcome = await completeExactConnect(code, {
      tokens,
      division: otherDivision,
      connectorFor: (accessToken) => createExactConnector({ ...config, division: otherDivision, tokens: fixedAccessToken(accessToken) }),
    });
    expect(outcome).toMatchObject({ connected: false, reason: expect.stringContaining(`cannot reach division ${otherDivision}`) });
    expect(await storedPair()).toEqual(before);
  });

  it("keeps the tokens sealed: the stored item holds no token in clear", async () => {
    const item = await tokenItem();
    const config = exactConfig(parseSettings(process.env), await loadSecrets(["EXACT_CLIENT_SECRET"]));
    const accessToken = await createExactTokenStore(config).accessToken();
    expect(accessToken.length).toBeGreaterThan(20);
    const stored = JSON.stringify(item);
    expect(stored).not.toContain(accessToken);
    expect(stored).not.toMatch(/Refresh!/);
    expect(item).not.toHaveProperty("accessToken");
    expect(item).not.toHaveProperty("refreshToken");
    expect(String(item.accessTokenSealed)).toMatch(/^v1\.local\./);
  });

  it("syncctl connect exactonline prints a one-time link; status shows since when and by which Exact user", async () => {
    const run = await syncctl(t.stack, ["connect", "exactonline", "--json", "--minutes", "5"]);
    expect(run.code).toBe(0);
    const { url, expiresAt } = JSON.parse(run.stdout[0] ?? "{}") as { url: string; expiresAt: string };
    expect(url.startsWith(`${t.stack.urls.api}/oauth/exactonline/start?ticket=`)).toBe(true);
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(4 * 60_000);
    const { cookie, callback } = await startConnect(url);
    expect((await fetch(callback, { headers: { cookie }, redirect: "manual" })).status).toBe(200);

    const connection = await readExactConnection(documentClient(), t.stack.tableName, EXACT_SANDBOX.division);
    expect(Date.now() - Date.parse(connection?.connectedAt ?? "")).toBeLessThan(10_000);
    const status = await syncctl(t.stack, ["status", "--json"]);
    expect(JSON.parse(status.stdout[0] ?? "{}")).toMatchObject({ exactConnection: { exactUserId: connection?.exactUserId } });
    expect((await syncctl(t.stack, ["connect", "crmoffice"])).code).toBe(2);
  });
});
