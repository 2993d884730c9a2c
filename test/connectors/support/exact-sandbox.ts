/**
 * An Exact sandbox on a free port, a DynamoDB table of its own, and a token store authorised
 * through the sandbox's OAuth code flow, as the product authorises against Exact.
 */
import { createTokenCipher, localDataKeySource } from "#lib/connectors/exactonline/token-cipher";
import { createExactTokenStore } from "#lib/connectors/exactonline/tokens";
import { LOCAL_KEYS } from "#lib/local/settings";
import type { ExactOAuthConfig, ExactTokenStore } from "#lib/connectors/exactonline/tokens";
import { startExactSandbox } from "#lib/sandbox/exactonline/server";
import type { ExactSandbox, ExactSandboxOptions } from "#lib/sandbox/exactonline/server";
import { createTestTable } from "../../support/aws";

/** A clock both the sandbox and the connector read, moved by the test. */
export interface TestClock {
  now: number;
}

export interface AuthorisedExact {
  sandbox: ExactSandbox;
  clock: TestClock;
  /** Config for token stores and connectors of this sandbox and table. */
  config: (overrides?: Partial<ExactOAuthConfig>) => ExactOAuthConfig;
  tokens: ExactTokenStore;
  stop: () => Promise<void>;
}

/**
 * Follows the authorize URL's redirect (the sandbox auto-approves), trades the code and stores the
 * pair: the connector's tests start from a connected store (the verified connect of the webhook
 * API has tests of its own, test/connect).
 */
export async function authorise(tokens: ExactTokenStore): Promise<void> {
  const consent = await fetch(tokens.authorizeUrl("test-state"), { redirect: "manual" });
  const location = new URL(consent.headers.get("location") ?? "");
  if (location.searchParams.get("state") !== "test-state") throw new Error("authorize redirect lost the state");
  const pair = await tokens.requestInitialTokens(location.searchParams.get("code") ?? "");
  await tokens.storeConnection(pair, { connectedAt: new Date().toISOString(), exactUserId: "test-user" });
}

/** A cipher with the local stack's key, as the connectors' stores use where no KMS runs. */
export const testCipher = () =>
  createTokenCipher(localDataKeySource(LOCAL_KEYS.tokenEncryptionKey), { purpose: "exact-oauth-tokens", division: "test" });

export async function startAuthorisedExact(options: ExactSandboxOptions = {}): Promise<AuthorisedExact> {
  const clock: TestClock = { now: Date.UTC(2024, 2, 4, 9, 0, 0) };
  const now = () => clock.now;
  const tableName = await createTestTable();
  const sandbox = await startExactSandbox({ port: 0, seed: "none", now, ...options });
  const config = (overrides: Partial<ExactOAuthConfig> = {}): ExactOAuthConfig => ({
    baseUrl: sandbox.url,
    division: sandbox.division,
    clientId: sandbox.clientId,
    clientSecret: sandbox.clientSecret,
    redirectUri: sandbox.redirectUri,
    tableName,
    now,
    leaseWaitMs: 20,
    cipher: testCipher(),
    ...overrides,
  });
  const tokens = createExactTokenStore(config());
  await authorise(tokens);
  return { sandbox, clock, config, tokens, stop: () => sandbox.stop() };
}
