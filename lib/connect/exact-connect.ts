/**
 * Connecting Exact: what happens between Exact's redirect back with a code and the deployment
 * using the new tokens. The code is traded for a pair that is not stored yet; the pair must then
 * reach the configured division (Exact's own answer, through `current/Me` and
 * `system/Divisions`), and only then does it replace the deployment's pair. A stranger who signs
 * in with their own Exact account, or an operator who picks the wrong company, changes nothing.
 */
import { AuthorizationError, ConnectorError } from "#lib/connectors/errors";
import type { ExactConnector } from "#lib/connectors/exactonline/client";
import type { ExactConnection, ExactTokenStore } from "#lib/connectors/exactonline/tokens";

export interface ExactConnectDeps {
  /** The deployment's token store. */
  tokens: ExactTokenStore;
  /** A connector that calls Exact with this access token (and no other), to check what it reaches. */
  connectorFor: (accessToken: string) => Pick<ExactConnector, "currentUser" | "division">;
  division: number;
  now?: () => number;
}

export type ExactConnectOutcome = { connected: true; connection: ExactConnection } | { connected: false; reason: string };

export async function completeExactConnect(code: string, deps: ExactConnectDeps): Promise<ExactConnectOutcome> {
  const now = deps.now ?? Date.now;
  let pair;
  try {
    pair = await deps.tokens.requestInitialTokens(code);
  } catch (error) {
    if (!(error instanceof ConnectorError)) throw error;
    return { connected: false, reason: "Exact did not accept the sign-in (the code was refused or has expired). Nothing was changed." };
  }
  const exact = deps.connectorFor(pair.accessToken);
  let userId: string;
  let reached: boolean;
  try {
    userId = (await exact.currentUser()).userId;
    reached = (await exact.division())?.code === deps.division;
  } catch (error) {
    if (!(error instanceof ConnectorError)) throw error;
    userId = "";
    reached = false;
  }
  if (!reached) {
    return {
      connected: false,
      reason: `The Exact user who signed in cannot reach division ${deps.division}, which this deployment syncs. Nothing was changed: sign in as a user of that division.`,
    };
  }
  const connection = { connectedAt: new Date(now()).toISOString(), exactUserId: userId };
  await deps.tokens.storeConnection(pair, connection);
  return { connected: true, connection };
}

/** A token store that hands out one access token and can neither refresh nor store: for checking a pair before it is kept. */
export function fixedAccessToken(accessToken: string): ExactTokenStore {
  const refused = () => {
    throw new AuthorizationError("exactonline", 401, "exactonline: the token being checked was refused");
  };
  return {
    authorizeUrl: refused,
    requestInitialTokens: refused,
    storeConnection: refused,
    connection: refused,
    accessToken: async () => accessToken,
    renewAfterRejection: async () => refused(),
  };
}
