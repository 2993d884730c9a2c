/**
 * Exact's OAuth2 authorization-code flow, auto-approving: codes are single-use, access
 * tokens expire, refresh tokens rotate (using one invalidates it) and may not be used
 * before `refreshNotBeforeSeconds` after their pair was issued.
 *
 * A too-early refresh answers 400 `{"error":"access_denied","error_description":"Rate limit
 * exceeded: access_token not expired"}` with a `Reason: TooEarlyToRefreshTokens` header (the word
 * is never in the body) and leaves the refresh token valid; an expired one answers 400
 * `invalid_request` ("The refresh token expired at …"); a reused or unknown one 400 `invalid_grant`.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { toAmsterdamIsoWithOffset } from "./amsterdam-time";
import { OAuthError } from "./errors";

/** Exact's authorization codes are short-lived; minutes, not hours. */
const CODE_TTL_MS = 3 * 60_000;
/** An unused refresh token expires after about 30 days. */
const REFRESH_TOKEN_TTL_MS = 30 * 24 * 60 * 60_000;
/**
 * How long an expired access token is remembered: a call with it is still attributed to its
 * app (a 401 that counts towards the error block), which a token never issued cannot be.
 */
const EXPIRED_TOKEN_MEMORY_MS = 24 * 60 * 60_000;

export interface OAuthSettings {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** The user's current division, which the tokens open. */
  division: number;
  accessTokenTtlSeconds: number;
  refreshNotBeforeSeconds: number;
  now: () => number;
}

/** What a valid access token lets its bearer do. */
export interface AccessGrant {
  clientId: string;
  division: number;
}

/** Whose token a request carries, valid or expired. */
export interface TokenOwner extends AccessGrant {
  expired: boolean;
}

export interface TokenResponse {
  access_token: string;
  token_type: "bearer";
  /** Exact sends the lifetime as a string. */
  expires_in: string;
  refresh_token: string;
}

const authorizeSchema = z.object({
  client_id: z.string(),
  redirect_uri: z.string(),
  response_type: z.literal("code"),
  state: z.string().optional(),
});

const tokenSchema = z.discriminatedUnion("grant_type", [
  z.object({
    grant_type: z.literal("authorization_code"),
    code: z.string().min(1),
    redirect_uri: z.string(),
    client_id: z.string(),
    client_secret: z.string(),
  }),
  z.object({
    grant_type: z.literal("refresh_token"),
    refresh_token: z.string().min(1),
    client_id: z.string(),
    client_secret: z.string(),
  }),
]);

function token(prefix: string): string {
  // Exact's codes and refresh tokens contain '!', so clients must form-encode them properly.
  return `${prefix}!${randomBytes(24).toString("base64url")}`;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export class OAuthAuthority {
  private readonly codes = new Map<string, { expiresAt: number }>();
  private readonly accessTokens = new Map<string, { expiresAt: number }>();
  private readonly refreshTokens = new Map<string, { issuedAt: number; expiresAt: number }>();

  constructor(private readonly settings: OAuthSettings) {}

  /** The redirect (with `code` and `state`) that approves an authorization request. */
  authorize(query: URLSearchParams): string {
    const parsed = authorizeSchema.safeParse(Object.fromEntries(query));
    if (!parsed.success) throw new OAuthError("invalid_request", "client_id, redirect_uri and response_type=code are required");
    if (parsed.data.client_id !== this.settings.clientId) throw new OAuthError("invalid_client", "Unknown client_id");
    if (parsed.data.redirect_uri !== this.settings.redirectUri) {
      throw new OAuthError("invalid_request", "redirect_uri does not match the app's registered redirect URI");
    }
    const code = token("Code");
    this.codes.set(code, { expiresAt: this.settings.now() + CODE_TTL_MS });
    const location = new URL(parsed.data.redirect_uri);
    location.searchParams.set("code", code);
    if (parsed.data.state !== undefined) location.searchParams.set("state", parsed.data.state);
    return location.toString();
  }

  /** `POST /api/oauth2/token` with its form fields. */
  exchange(form: URLSearchParams): TokenResponse {
    const grantType = form.get("grant_type");
    if (grantType !== "authorization_code" && grantType !== "refresh_token") {
      throw new OAuthError("unsupported_grant_type");
    }
    const parsed = tokenSchema.safeParse(Object.fromEntries(form));
    if (!parsed.success) throw new OAuthError("invalid_request", "Missing or invalid parameters for this grant_type");
    const request = parsed.data;
    if (request.client_id !== this.settings.clientId || !sameText(request.client_secret, this.settings.clientSecret)) {
      throw new OAuthError("invalid_client");
    }
    const now = this.settings.now();
    if (request.grant_type === "authorization_code") {
      const code = this.codes.get(request.code);
      this.codes.delete(request.code);
      if (!code || code.expiresAt <= now) throw new OAuthError("invalid_grant");
      if (request.redirect_uri !== this.settings.redirectUri) throw new OAuthError("invalid_grant", "redirect_uri mismatch");
      return this.issue(now);
    }
    const refresh = this.refreshTokens.get(request.refresh_token);
    if (!refresh) throw new OAuthError("invalid_grant");
    if (refresh.expiresAt <= now) {
      throw new OAuthError("invalid_request", `The refresh token expired at ${toAmsterdamIsoWithOffset(refresh.expiresAt)}`);
    }
    if (now - refresh.issuedAt < this.settings.refreshNotBeforeSeconds * 1000) {
      throw new OAuthError("access_denied", "Rate limit exceeded: access_token not expired", { Reason: "TooEarlyToRefreshTokens" });
    }
    this.refreshTokens.delete(request.refresh_token);
    return this.issue(now);
  }

  /** The grant behind an `Authorization: Bearer …` header, or undefined when missing, unknown or expired. */
  verify(authorization: string | undefined): AccessGrant | undefined {
    const owner = this.identify(authorization);
    return owner && !owner.expired ? { clientId: owner.clientId, division: owner.division } : undefined;
  }

  /** Whose (valid or recently expired) token this is; undefined for a token the sandbox never issued. */
  identify(authorization: string | undefined): TokenOwner | undefined {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
    const accessToken = match?.[1];
    if (!accessToken) return undefined;
    const entry = this.accessTokens.get(accessToken);
    if (!entry) return undefined;
    return { clientId: this.settings.clientId, division: this.settings.division, expired: entry.expiresAt <= this.settings.now() };
  }

  private issue(now: number): TokenResponse {
    // Forget what can no longer be used, so a long-running sandbox does not grow.
    for (const [key, entry] of this.accessTokens) if (entry.expiresAt + EXPIRED_TOKEN_MEMORY_MS <= now) this.accessTokens.delete(key);
    for (const [key, entry] of this.codes) if (entry.expiresAt <= now) this.codes.delete(key);
    const accessToken = randomBytes(32).toString("base64url");
    const refreshToken = token("Refresh");
    this.accessTokens.set(accessToken, { expiresAt: now + this.settings.accessTokenTtlSeconds * 1000 });
    this.refreshTokens.set(refreshToken, { issuedAt: now, expiresAt: now + REFRESH_TOKEN_TTL_MS });
    return {
      access_token: accessToken,
      token_type: "bearer",
      expires_in: String(this.settings.accessTokenTtlSeconds),
      refresh_token: refreshToken,
    };
  }
}
