/**
 * One authorised call to Exact's REST API: bearer token from the shared token store (renewed
 * once on 401), `Accept: application/json`, a timeout, a call taken from the governor's budget
 * first (none is sent when it is spent), the rate-limit headers of every answer recorded and
 * told to the governor, and failures classified. Never sends the token to another origin (a
 * `__next` link pointing elsewhere is refused).
 *
 * A 500 is two different answers at Exact. With Exact's JSON error body it is a functional
 * refusal about the data ("Gegeven bestaat reeds": the record exists; "Verplicht: Code": a
 * mandatory field is empty), which no retry can change and Exact's fair-use rules say not to
 * retry: it becomes a ClientRequestError (the record is unsyncable with Exact's text). Without
 * that body (a load balancer's page) it is an outage: a TransientError, retried. A refusal whose
 * text is not one of the known ones might still be a passing fault, so it gets one more try at
 * once; the same refusal twice is the answer.
 */
import { AuthorizationError, UnexpectedResponseError, classifyHttpFailure } from "../errors";
import { exchange, tryParseBody } from "../http";
import type { HttpExchange } from "../http";
import type { ExactCallGovernor } from "./governor";
import { mergeRateLimit, readRateLimitHeaders, waitForReset } from "./rate-limit";
import type { ExactRateLimit } from "./rate-limit";
import { errorBodySchema } from "./schemas";
import type { ExactTokenStore } from "./tokens";

/** What a governor needs to know of each answer. */
export interface ExactResponseInfo {
  /** "METHOD /path" (no query). */
  operation: string;
  status: number;
  /** The latest state of both windows, this answer's headers included. */
  rateLimit: ExactRateLimit;
}

export interface ExactTransportConfig {
  baseUrl: string;
  tokens: ExactTokenStore;
  fetch: typeof fetch;
  timeoutMs: number;
  now: () => number;
  onResponse?: (info: ExactResponseInfo) => void;
  /** Shares Exact's call budget with every other worker; absent, calls are sent ungoverned. */
  governor?: Pick<ExactCallGovernor, "acquire" | "observe">;
}

export interface SendOptions {
  body?: unknown;
  /** Extra statuses the caller handles itself (e.g. 404 on a read). */
  accept?: readonly number[];
  /**
   * Ask for the written record back (`Prefer: return=representation`): without it a PUT answers
   * 204 and a POST a record whose every property but `ID` is null.
   */
  returnRepresentation?: boolean;
}

export interface ExactTransport {
  send(method: string, url: string, options?: SendOptions): Promise<HttpExchange>;
  rateLimit(): ExactRateLimit;
}

/** The text of Exact's error body `{"error":{"message":{"value":…}}}`, if the body is one. */
function exactErrorText(bodyText: string): string | undefined {
  const message = tryParseBody(errorBodySchema, bodyText)?.error.message;
  return typeof message === "string" ? message : message?.value;
}

/** Refusals that are answers the first time (Dutch, Exact's default language, and English). */
const KNOWN_FUNCTIONAL_REFUSALS = [/bestaat (al|reeds)/i, /already exists/i, /^\s*verplicht/i, /^\s*mandatory/i];

/** Exact's functional refusal: HTTP 500 carrying its own error body, not an outage page. */
function functionalRefusal(answer: HttpExchange): string | undefined {
  return answer.response.status === 500 ? exactErrorText(answer.bodyText) : undefined;
}

export function createExactTransport(config: ExactTransportConfig): ExactTransport {
  const origin = new URL(config.baseUrl).origin;
  let latest: ExactRateLimit = { daily: null, minutely: null };

  async function attempt(method: string, url: string, token: string, options: SendOptions): Promise<HttpExchange> {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: "application/json" };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (options.returnRepresentation) headers.Prefer = "return=representation";
    // Throws RateLimitedError, without calling Exact, when the minute's or the day's budget is spent.
    await config.governor?.acquire();
    const answer = await exchange(
      url,
      { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) },
      { system: "exactonline", fetch: config.fetch, timeoutMs: config.timeoutMs },
    );
    const observed = readRateLimitHeaders(answer.response.headers);
    latest = mergeRateLimit(latest, observed);
    // Exact's own count is a hint for the shared budget; failing to record it must not fail the call.
    await config.governor?.observe(observed).catch(() => undefined);
    config.onResponse?.({ operation: answer.operation, status: answer.response.status, rateLimit: latest });
    return answer;
  }

  /** One call with a usable token; a 401 renews the token (once) and repeats the call. */
  async function authorised(method: string, url: string, options: SendOptions): Promise<HttpExchange> {
    const token = await config.tokens.accessToken();
    const answer = await attempt(method, url, token, options);
    if (answer.response.status !== 401) return answer;
    const retried = await attempt(method, url, await config.tokens.renewAfterRejection(token), options);
    if (retried.response.status === 401) {
      throw new AuthorizationError(
        "exactonline",
        401,
        `exactonline ${retried.operation} refused a freshly refreshed access token; a person must re-authorise the app`,
      );
    }
    return retried;
  }

  return {
    rateLimit: () => latest,

    async send(method, url, options = {}) {
      if (new URL(url).origin !== origin) {
        throw new UnexpectedResponseError(
          "exactonline",
          null,
          `exactonline: refusing to send the token to another origin (${new URL(url).origin})`,
        );
      }
      let answer = await authorised(method, url, options);
      const refusal = functionalRefusal(answer);
      if (refusal !== undefined && !KNOWN_FUNCTIONAL_REFUSALS.some((known) => known.test(refusal))) {
        answer = await authorised(method, url, options);
      }
      const { response, bodyText, operation } = answer;
      if (response.ok || options.accept?.includes(response.status)) return answer;
      throw classifyHttpFailure("exactonline", response, {
        operation,
        errorText: exactErrorText(bodyText),
        refusal: functionalRefusal(answer) !== undefined,
        retryAfterMs: waitForReset(readRateLimitHeaders(response.headers), config.now()),
        now: config.now(),
      });
    },
  };
}
