/**
 * Exact Online's OAuth2 tokens, kept in DynamoDB so every worker shares one pair.
 *
 * Exact rotates refresh tokens: each refresh invalidates the previous refresh token, so two
 * workers refreshing at once would leave one of them (and possibly the stored pair) dead.
 * Refreshes are therefore serialised with a lease on the token item; the rotated pair is
 * stored (conditionally on the item's version) before anyone uses it; a worker that finds the
 * lease taken waits briefly and re-reads. Exact refuses refreshes within ~570 s of the
 * access token's issue (TooEarlyToRefreshTokens) and counts refused calls towards blocking
 * the app, so a refresh is attempted only once the token is old enough.
 *
 * Both tokens are sealed (token-cipher.ts) before they are written: the item holds ciphertext.
 * The first pair comes only from a verified connect (lib/connect): `requestInitialTokens` trades
 * the code without storing anything, and `storeConnection` replaces the pair once the connect has
 * checked that it reaches the configured division.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import * as z from "#lib/util/zod-mini";
import { documentClient } from "#lib/aws/dynamodb";
import { keys } from "#lib/store/keys";
import { AuthorizationError, RateLimitedError, TransientError, classifyHttpFailure } from "../errors";
import { exchange, parseBody, tryParseBody } from "../http";
import { tokenErrorSchema, tokenResponseSchema } from "./schemas";
import type { TokenCipher } from "./token-cipher";

export interface ExactOAuthConfig {
  /** e.g. `https://start.exactonline.nl`, or a sandbox's URL. */
  baseUrl: string;
  division: number;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  tableName: string;
  fetch?: typeof fetch;
  /** Per token request, if longer than TOKEN_REQUEST_TIMEOUT_MS (the least a token request waits). */
  timeoutMs?: number;
  now?: () => number;
  /** Exact refuses refreshes before this age of the access token; default 570 s. */
  refreshNotBeforeMs?: number;
  /** How long a refresher holds the lease; longer than a token request may take. Default 30 s. */
  leaseMs?: number;
  /** How long a worker that found the lease taken waits before re-reading; default 250 ms. */
  leaseWaitMs?: number;
  /** Seals the tokens before they are stored, and opens them on read. */
  cipher: TokenCipher;
}

/** A token pair as Exact issued it, timed by our clock. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  issuedAt: number;
  accessTokenExpiresAt: number;
}

/** Who connected Exact, and when (no name: the Exact user's id is enough to find them). */
export interface ExactConnection {
  connectedAt: string;
  exactUserId: string;
}

export interface ExactTokenStore {
  /** Where to send the user to authorise the app (authorization code flow). */
  authorizeUrl(state: string): string;
  /** Trades the code from the redirect for a token pair, storing nothing (one token call). */
  requestInitialTokens(code: string): Promise<TokenPair>;
  /** Replaces the stored pair with a verified connect's, and records who connected and when. */
  storeConnection(pair: TokenPair, connection: ExactConnection): Promise<void>;
  /** Who connected Exact and when; null when it never was. */
  connection(): Promise<ExactConnection | null>;
  /** A usable access token, refreshed first when it is old enough to be due. */
  accessToken(): Promise<string>;
  /** After Exact answered 401 to `rejected`: a newer token (stored by another worker, or refreshed now). */
  renewAfterRejection(rejected: string): Promise<string>;
}

/**
 * A token request waits at least this long for its answer, whatever the API calls' timeout:
 * Exact rotates the refresh token when it answers, so giving up on an answer that still comes
 * throws away the only pair that works (a person would have to connect again). Shorter than
 * the refresh lease (30 s), so no other worker refreshes meanwhile.
 */
export const TOKEN_REQUEST_TIMEOUT_MS = 25_000;
const DEFAULT_REFRESH_NOT_BEFORE_MS = 570_000;
/** Refresh this long before expiry (when Exact allows it by then), so no call carries a dying token. */
const REFRESH_MARGIN_MS = 30_000;
const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_LEASE_WAIT_MS = 250;
/**
 * Storing a rotated pair is tried again, backing off up to this, for as long as the lease lasts:
 * Exact has already invalidated the old refresh token, so a pair lost to a DynamoDB or KMS
 * hiccup would leave the deployment disconnected until a person connected it again.
 */
const STORE_ROTATED_MAX_BACKOFF_MS = 4_000;
/** …and gives up this long before the lease ends, so no other worker refreshes with the dead token meanwhile. */
const STORE_ROTATED_LEASE_MARGIN_MS = 1_000;
/** After a too-early refusal: Exact allows the refresh at most half a minute later (570 s of a 600 s token). */
const TOO_EARLY_WAIT_MS = 30_000;

const storedItemSchema = z.object({
  accessTokenSealed: z.string(),
  refreshTokenSealed: z.string(),
  accessTokenExpiresAt: z.number(),
  issuedAt: z.number(),
  version: z.number().check(z.int()),
  leaseOwner: z.optional(z.string()),
  leaseUntil: z.optional(z.number()),
  connectedAt: z.optional(z.string()),
  connectedBy: z.optional(z.string()),
});

/** The stored item with its tokens opened. */
interface TokenItem extends TokenPair {
  version: number;
}

/** Who connected Exact and when, from the token item (no token is opened, no secret needed). */
export async function readExactConnection(
  db: DynamoDBDocumentClient,
  tableName: string,
  division: number,
): Promise<ExactConnection | null> {
  const { Item } = await db.send(
    new GetCommand({
      TableName: tableName,
      Key: keys.token(division),
      ProjectionExpression: "connectedAt, connectedBy",
      ConsistentRead: true,
    }),
  );
  const connectedAt = Item?.connectedAt;
  const connectedBy = Item?.connectedBy;
  return typeof connectedAt === "string" && typeof connectedBy === "string" ? { connectedAt, exactUserId: connectedBy } : null;
}

export function createExactTokenStore(config: ExactOAuthConfig): ExactTokenStore {
  const baseUrl = config.baseUrl.replace(/\/+$/, "");
  const doFetch = config.fetch ?? fetch;
  const timeoutMs = Math.max(config.timeoutMs ?? 0, TOKEN_REQUEST_TIMEOUT_MS);
  const now = config.now ?? Date.now;
  const refreshNotBeforeMs = config.refreshNotBeforeMs ?? DEFAULT_REFRESH_NOT_BEFORE_MS;
  const leaseMs = config.leaseMs ?? DEFAULT_LEASE_MS;
  const leaseWaitMs = config.leaseWaitMs ?? DEFAULT_LEASE_WAIT_MS;
  const key = keys.token(config.division);
  const workerId = randomUUID();
  const db = () => documentClient();

  const notAuthorised = () =>
    new AuthorizationError("exactonline", null, `exactonline: no tokens stored for division ${config.division}; authorise the app first`);

  const refreshAllowedAt = (item: TokenItem) => item.issuedAt + refreshNotBeforeMs;
  /** When Exact allows it and the token nears its end; at expiry in any case. */
  const refreshDueAt = (item: TokenItem) =>
    Math.min(item.accessTokenExpiresAt, Math.max(refreshAllowedAt(item), item.accessTokenExpiresAt - REFRESH_MARGIN_MS));

  async function opened(item: unknown): Promise<TokenItem> {
    const stored = storedItemSchema.parse(item);
    const [accessToken, refreshToken] = await Promise.all([
      config.cipher.open(stored.accessTokenSealed),
      config.cipher.open(stored.refreshTokenSealed),
    ]);
    return {
      accessToken,
      refreshToken,
      accessTokenExpiresAt: stored.accessTokenExpiresAt,
      issuedAt: stored.issuedAt,
      version: stored.version,
    };
  }

  async function readItem(): Promise<Record<string, unknown> | undefined> {
    const { Item } = await db().send(new GetCommand({ TableName: config.tableName, Key: key, ConsistentRead: true }));
    return Item;
  }

  async function read(): Promise<TokenItem | undefined> {
    const item = await readItem();
    return item ? opened(item) : undefined;
  }

  /** The attribute values a stored pair is written as: both tokens sealed. */
  async function sealedValues(pair: TokenPair): Promise<Record<string, unknown>> {
    const [access, refresh] = await Promise.all([config.cipher.seal(pair.accessToken), config.cipher.seal(pair.refreshToken)]);
    return { ":access": access, ":refresh": refresh, ":expires": pair.accessTokenExpiresAt, ":issued": pair.issuedAt };
  }

  /** Calls the token endpoint; the pair is timed from the answer, so Exact's clock is never ahead of ours. */
  async function requestTokens(form: Record<string, string>): Promise<TokenPair> {
    const answer = await exchange(
      `${baseUrl}/api/oauth2/token`,
      {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
        body: new URLSearchParams({ ...form, client_id: config.clientId, client_secret: config.clientSecret }),
      },
      { system: "exactonline", fetch: doFetch, timeoutMs },
    );
    const { response, bodyText, operation } = answer;
    if (response.ok) {
      const tokens = parseBody(tokenResponseSchema, answer);
      const issuedAt = now();
      return {
        accessToken: tokens.access_token,
        refreshToken: tokens.refresh_token,
        issuedAt,
        accessTokenExpiresAt: issuedAt + tokens.expires_in * 1000,
      };
    }
    const refusal = tryParseBody(tokenErrorSchema, bodyText);
    const reason = [refusal?.error, refusal?.error_description].filter(Boolean).join(": ");
    // Exact names a too-early refresh only in this header; its body ("access_denied") reads like
    // a refused grant. Nothing was consumed: the same refresh succeeds once the token is old enough.
    if (/TooEarlyToRefreshTokens/i.test(response.headers.get("reason") ?? "")) {
      throw new RateLimitedError(
        "exactonline",
        TOO_EARLY_WAIT_MS,
        `exactonline ${operation} refused the refresh as too early (${reason || "no reason given"})`,
      );
    }
    if (response.status === 400 || response.status === 401) {
      throw new AuthorizationError(
        "exactonline",
        response.status,
        `exactonline ${operation} refused the grant (${reason || "no reason given"}); a person must re-authorise the app`,
      );
    }
    throw classifyHttpFailure("exactonline", response, { operation, errorText: reason || undefined, now: now() });
  }

  /** The lease, with the item as it stands under it; undefined when another worker holds it. */
  async function takeLease(): Promise<TokenItem | undefined> {
    try {
      const { Attributes } = await db().send(
        new UpdateCommand({
          TableName: config.tableName,
          Key: key,
          UpdateExpression: "SET leaseOwner = :me, leaseUntil = :until",
          ConditionExpression: "attribute_exists(pk) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)",
          ExpressionAttributeValues: { ":me": workerId, ":until": now() + leaseMs, ":now": now() },
          ReturnValues: "ALL_NEW",
        }),
      );
      return await opened(Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async function releaseLease(): Promise<void> {
    try {
      await db().send(
        new UpdateCommand({
          TableName: config.tableName,
          Key: key,
          UpdateExpression: "REMOVE leaseOwner, leaseUntil",
          ConditionExpression: "leaseOwner = :me",
          ExpressionAttributeValues: { ":me": workerId },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Stores the rotated pair and frees the lease in one write, only over the version it was refreshed from. */
  async function storeRotated(fromVersion: number, pair: TokenPair): Promise<string> {
    try {
      await db().send(
        new UpdateCommand({
          TableName: config.tableName,
          Key: key,
          UpdateExpression:
            "SET accessTokenSealed = :access, refreshTokenSealed = :refresh, accessTokenExpiresAt = :expires, issuedAt = :issued, version = :next REMOVE leaseOwner, leaseUntil",
          ConditionExpression: "version = :from",
          ExpressionAttributeValues: { ...(await sealedValues(pair)), ":from": fromVersion, ":next": fromVersion + 1 },
        }),
      );
      return pair.accessToken;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Only a new connect moves the version under a held lease: its pair wins.
      const stored = await read();
      if (!stored) throw notAuthorised();
      return stored.accessToken;
    }
  }

  /**
   * `storeRotated`, tried again after a failure that is not a refusal until the lease taken at
   * `leaseTakenAt` (`performance.now()`: elapsed time, whatever the configured clock) nearly ends.
   */
  async function storeRotatedWhileLeased(fromVersion: number, pair: TokenPair, leaseTakenAt: number): Promise<string> {
    const giveUpAt = leaseTakenAt + leaseMs - STORE_ROTATED_LEASE_MARGIN_MS;
    for (let backoff = 250; ; backoff = Math.min(backoff * 2, STORE_ROTATED_MAX_BACKOFF_MS)) {
      try {
        return await storeRotated(fromVersion, pair);
      } catch (error) {
        if (error instanceof AuthorizationError || performance.now() + backoff > giveUpAt) throw error;
        await sleep(backoff);
      }
    }
  }

  /**
   * Refreshes under the lease while `stillNeeded(item)` holds; a worker that finds the lease
   * taken waits and re-reads, and uses the pair the holder stored.
   */
  async function refreshSerialised(stillNeeded: (item: TokenItem) => boolean): Promise<string> {
    const attempts = Math.ceil(leaseMs / leaseWaitMs) + 1;
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      const leaseTakenAt = performance.now();
      const leased = await takeLease();
      if (leased) {
        let stored = false;
        try {
          if (!stillNeeded(leased)) return leased.accessToken;
          const pair = await requestTokens({ grant_type: "refresh_token", refresh_token: leased.refreshToken });
          const token = await storeRotatedWhileLeased(leased.version, pair, leaseTakenAt);
          stored = true;
          return token;
        } finally {
          // On failure the lease is freed for the next worker; should that fail too, it lapses by itself.
          if (!stored) await releaseLease().catch(() => undefined);
        }
      }
      await sleep(leaseWaitMs);
      const current = await read();
      if (!current) throw notAuthorised();
      if (!stillNeeded(current)) return current.accessToken;
    }
    throw new TransientError("exactonline", null, "exactonline: another worker's token refresh did not finish in time");
  }

  return {
    authorizeUrl(state) {
      const query = new URLSearchParams({
        client_id: config.clientId,
        redirect_uri: config.redirectUri,
        response_type: "code",
        state,
      });
      return `${baseUrl}/api/oauth2/auth?${query.toString()}`;
    },

    requestInitialTokens(code) {
      return requestTokens({ grant_type: "authorization_code", code, redirect_uri: config.redirectUri });
    },

    async storeConnection(pair, connection) {
      await db().send(
        new UpdateCommand({
          TableName: config.tableName,
          Key: key,
          UpdateExpression:
            "SET accessTokenSealed = :access, refreshTokenSealed = :refresh, accessTokenExpiresAt = :expires, issuedAt = :issued, connectedAt = :connectedAt, connectedBy = :connectedBy, version = if_not_exists(version, :zero) + :one REMOVE leaseOwner, leaseUntil",
          ExpressionAttributeValues: {
            ...(await sealedValues(pair)),
            ":connectedAt": connection.connectedAt,
            ":connectedBy": connection.exactUserId,
            ":zero": 0,
            ":one": 1,
          },
        }),
      );
    },

    connection: () => readExactConnection(db(), config.tableName, config.division),

    async accessToken() {
      const item = await read();
      if (!item) throw notAuthorised();
      if (now() < refreshDueAt(item)) return item.accessToken;
      return refreshSerialised((current) => now() >= refreshDueAt(current));
    },

    async renewAfterRejection(rejected) {
      const item = await read();
      if (!item) throw notAuthorised();
      if (item.accessToken !== rejected) return item.accessToken;
      const allowedAt = refreshAllowedAt(item);
      if (now() < allowedAt) {
        // Asking now would only earn TooEarlyToRefreshTokens (a counted error); later it can succeed.
        throw new TransientError(
          "exactonline",
          401,
          `exactonline refused a ${Math.round((now() - item.issuedAt) / 1000)} s old access token; a refresh is allowed in ${Math.ceil((allowedAt - now()) / 1000)} s`,
        );
      }
      return refreshSerialised((current) => current.accessToken === rejected);
    },
  };
}
