import { randomBytes, timingSafeEqual } from "node:crypto";
import { CrmOfficeApiError, OAuthTokenError } from "./errors";
import { singleValuedParams } from "./params";

/**
 * CRMOffice's IdentityServer token endpoint (`/connect/token`) and the Bearer check of every
 * API call. Tokens are random (they are secrets; nobody may depend on their value) and live
 * in memory only, so a restarted sandbox rejects old tokens, as a real server does after a
 * revocation. Tokens survive a sandbox reset: a reset empties the data, not the logins.
 */

const ALLOWED_SCOPES = ["crmoffice", "offline_access"] as const;
const API_SCOPE = "crmoffice";
/** Refresh tokens: one use each (rotated on refresh), at most 30 days, as IdentityServer's defaults. */
const REFRESH_TOKEN_TTL_MS = 30 * 24 * 3600 * 1000;

export interface TokenServiceOptions {
  clientId: string;
  clientSecret: string;
  accessTokenTtlSeconds: number;
  now: () => number;
}

export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

interface Grant {
  scopes: string[];
  expiresAtMs: number;
}

const newToken = (): string => randomBytes(32).toString("base64url");

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, "utf8");
  const b = Buffer.from(expected, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The form as a plain map; a repeated parameter is refused (RFC 6749 §3.2). */
function formParams(form: URLSearchParams): Map<string, string> {
  const { values, repeated } = singleValuedParams(form);
  if (repeated !== undefined) throw new OAuthTokenError(400, "invalid_request", `parameter ${repeated} is repeated`);
  return new Map(Object.entries(values));
}

interface ClientCredentials {
  clientId: string | undefined;
  clientSecret: string | undefined;
  viaBasicHeader: boolean;
}

/** Client credentials from HTTP Basic (RFC 6749 §2.3.1: each part form-encoded) or the body; never both. */
function clientCredentials(params: Map<string, string>, authorization: string | undefined): ClientCredentials {
  const basic = /^basic\s+(\S+)$/i.exec(authorization ?? "");
  if (!basic?.[1]) return { clientId: params.get("client_id"), clientSecret: params.get("client_secret"), viaBasicHeader: false };
  if (params.has("client_secret")) {
    throw new OAuthTokenError(400, "invalid_request", "client authenticated both by header and by body");
  }
  const decoded = Buffer.from(basic[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return { clientId: undefined, clientSecret: undefined, viaBasicHeader: true };
  const formDecode = (part: string) => decodeURIComponent(part.replaceAll("+", " "));
  try {
    return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)), viaBasicHeader: true };
  } catch {
    return { clientId: undefined, clientSecret: undefined, viaBasicHeader: true };
  }
}

export class CrmOfficeTokenService {
  private readonly accessTokens = new Map<string, Grant>();
  private readonly refreshTokens = new Map<string, Grant>();

  constructor(private readonly options: TokenServiceOptions) {}

  /** Answers a `/connect/token` form (`client_credentials` or `refresh_token` grant). */
  grant(form: URLSearchParams, authorization: string | undefined): TokenResponse {
    const params = formParams(form);
    this.authenticateClient(params, authorization);
    this.forgetExpired();
    const grantType = params.get("grant_type");
    if (!grantType) throw new OAuthTokenError(400, "invalid_request", "grant_type is required");
    if (grantType === "client_credentials") return this.issue(this.requestedScopes(params.get("scope"), ALLOWED_SCOPES));
    if (grantType === "refresh_token") return this.refresh(params);
    throw new OAuthTokenError(400, "unsupported_grant_type", `grant_type ${grantType} is not supported`);
  }

  /** Throws the 401/403 API error unless the Authorization header holds a live access token. */
  verifyBearer(authorization: string | undefined): void {
    const bearer = /^bearer\s+(\S+)$/i.exec(authorization ?? "");
    if (!bearer?.[1]) {
      throw new CrmOfficeApiError(401, "unauthorized", "a Bearer access token is required", {
        "WWW-Authenticate": 'Bearer realm="crmoffice"',
      });
    }
    const grant = this.accessTokens.get(bearer[1]);
    if (!grant || grant.expiresAtMs <= this.options.now()) {
      throw new CrmOfficeApiError(401, "invalid_token", "the access token is unknown or expired", {
        "WWW-Authenticate": 'Bearer realm="crmoffice", error="invalid_token"',
      });
    }
    if (!grant.scopes.includes(API_SCOPE)) {
      throw new CrmOfficeApiError(403, "insufficient_scope", `the access token lacks the ${API_SCOPE} scope`, {
        "WWW-Authenticate": `Bearer realm="crmoffice", error="insufficient_scope", scope="${API_SCOPE}"`,
      });
    }
  }

  private authenticateClient(params: Map<string, string>, authorization: string | undefined): void {
    const { clientId, clientSecret, viaBasicHeader } = clientCredentials(params, authorization);
    const valid =
      clientId !== undefined &&
      clientSecret !== undefined &&
      sameSecret(clientId, this.options.clientId) &&
      sameSecret(clientSecret, this.options.clientSecret);
    if (valid) return;
    // RFC 6749 §5.2: 401 when the client tried HTTP authentication, 400 otherwise.
    if (viaBasicHeader) {
      throw new OAuthTokenError(401, "invalid_client", "client authentication failed", {
        "WWW-Authenticate": 'Basic realm="crmoffice"',
      });
    }
    throw new OAuthTokenError(400, "invalid_client", "client authentication failed");
  }

  private requestedScopes(scope: string | undefined, grantable: readonly string[]): string[] {
    if (scope === undefined) return [...grantable];
    const requested = [...new Set(scope.split(" ").filter((part) => part !== ""))];
    const refused = requested.filter((part) => !grantable.includes(part));
    if (requested.length === 0 || refused.length > 0) {
      throw new OAuthTokenError(400, "invalid_scope", `scope not allowed: ${refused.join(" ") || "(empty)"}`);
    }
    return requested;
  }

  private refresh(params: Map<string, string>): TokenResponse {
    const refreshToken = params.get("refresh_token");
    if (!refreshToken) throw new OAuthTokenError(400, "invalid_request", "refresh_token is required");
    const grant = this.refreshTokens.get(refreshToken);
    if (!grant || grant.expiresAtMs <= this.options.now()) {
      throw new OAuthTokenError(400, "invalid_grant", "the refresh token is unknown, used or expired");
    }
    const scopes = this.requestedScopes(params.get("scope"), grant.scopes);
    this.refreshTokens.delete(refreshToken);
    return this.issue(scopes);
  }

  private issue(scopes: string[]): TokenResponse {
    const now = this.options.now();
    const accessToken = newToken();
    this.accessTokens.set(accessToken, { scopes, expiresAtMs: now + this.options.accessTokenTtlSeconds * 1000 });
    const response: TokenResponse = {
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: this.options.accessTokenTtlSeconds,
      scope: scopes.join(" "),
    };
    if (scopes.includes("offline_access")) {
      const refreshToken = newToken();
      // A refresh may narrow the scopes, never widen them (RFC 6749 §6).
      this.refreshTokens.set(refreshToken, { scopes, expiresAtMs: now + REFRESH_TOKEN_TTL_MS });
      response.refresh_token = refreshToken;
    }
    return response;
  }

  private forgetExpired(): void {
    const now = this.options.now();
    for (const tokens of [this.accessTokens, this.refreshTokens]) {
      for (const [token, grant] of tokens) if (grant.expiresAtMs <= now) tokens.delete(token);
    }
  }
}
