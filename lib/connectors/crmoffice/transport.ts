/**
 * One authorised call to CRMOffice: a client-credentials token cached in memory until
 * shortly before it expires (fetched again once on 401), a timeout, JSON in and out, and
 * failures classified (429 waits for `Retry-After`).
 */
import { AuthorizationError, classifyHttpFailure } from "../errors";
import { exchange, parseBody, tryParseBody } from "../http";
import type { HttpExchange } from "../http";
import { errorBodySchema, tokenErrorSchema, tokenResponseSchema } from "./schemas";

export interface CrmOfficeTransportConfig {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  fetch: typeof fetch;
  timeoutMs: number;
  now: () => number;
}

export interface SendOptions {
  body?: unknown;
  /** Extra statuses the caller handles itself (e.g. 404 on a read). */
  accept?: readonly number[];
}

export interface CrmOfficeTransport {
  /** `pathAndQuery` is relative to the base URL, e.g. `/contacts?page=2`. */
  send(method: string, pathAndQuery: string, options?: SendOptions): Promise<HttpExchange>;
}

/** The scope of CRMOffice's API; `offline_access` means nothing to a client-credentials grant. */
const API_SCOPE = "crmoffice";
/** A cached token is replaced this long before it expires (at most half its life). */
const EXPIRY_MARGIN_MS = 60_000;

interface CachedToken {
  value: string;
  renewAt: number;
}

function errorText(bodyText: string): string | undefined {
  const body = tryParseBody(errorBodySchema, bodyText);
  return body ? [body.error, body.message].filter(Boolean).join(": ") : undefined;
}

export function createCrmOfficeTransport(config: CrmOfficeTransportConfig): CrmOfficeTransport {
  const baseUrl = config.baseUrl.replace(/\/+$/, "");
  const options = { system: "crmoffice" as const, fetch: config.fetch, timeoutMs: config.timeoutMs };
  let cached: CachedToken | undefined;
  let pending: Promise<string> | undefined;

  async function requestToken(): Promise<string> {
    const answer = await exchange(
      `${baseUrl}/connect/token`,
      {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
        body: new URLSearchParams({
          grant_type: "client_credentials",
          scope: API_SCOPE,
          client_id: config.clientId,
          client_secret: config.clientSecret,
        }),
      },
      options,
    );
    const { response, bodyText, operation } = answer;
    if (!response.ok) {
      const refusal = tryParseBody(tokenErrorSchema, bodyText);
      const reason = [refusal?.error, refusal?.error_description].filter(Boolean).join(": ") || undefined;
      if (response.status === 400 || response.status === 401) {
        throw new AuthorizationError(
          "crmoffice",
          response.status,
          `crmoffice ${operation} refused the client credentials (${reason ?? "no reason given"})`,
        );
      }
      throw classifyHttpFailure("crmoffice", response, { operation, errorText: reason, now: config.now() });
    }
    const token = parseBody(tokenResponseSchema, answer);
    const lifetimeMs = token.expires_in * 1000;
    cached = { value: token.access_token, renewAt: config.now() + lifetimeMs - Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 2) };
    return token.access_token;
  }

  /** The cached token, or one fetched now; concurrent callers share a single fetch. */
  function accessToken(): Promise<string> {
    if (cached && config.now() < cached.renewAt) return Promise.resolve(cached.value);
    pending ??= requestToken().finally(() => {
      pending = undefined;
    });
    return pending;
  }

  async function attempt(method: string, url: string, token: string, body: unknown): Promise<HttpExchange> {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return exchange(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }, options);
  }

  return {
    async send(method, pathAndQuery, sendOptions = {}) {
      const url = `${baseUrl}${pathAndQuery}`;
      const token = await accessToken();
      let answer = await attempt(method, url, token, sendOptions.body);
      if (answer.response.status === 401) {
        if (cached?.value === token) cached = undefined;
        answer = await attempt(method, url, await accessToken(), sendOptions.body);
        if (answer.response.status === 401) {
          throw new AuthorizationError(
            "crmoffice",
            401,
            `crmoffice ${answer.operation} refused a freshly issued access token; check the client's grants`,
          );
        }
      }
      const { response, bodyText, operation } = answer;
      if (response.ok || sendOptions.accept?.includes(response.status)) return answer;
      throw classifyHttpFailure("crmoffice", response, { operation, errorText: errorText(bodyText), now: config.now() });
    },
  };
}
