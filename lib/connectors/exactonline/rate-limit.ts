/**
 * Exact's rate-limit headers, read from every response: `X-RateLimit-Limit/-Remaining/-Reset`
 * (the daily budget) and `X-RateLimit-Minutely-*` (60 a minute); resets are epoch
 * milliseconds. A 429 for the minute window carries only the minutely headers, so the latest
 * state of each window is kept separately.
 */
export interface RateLimitWindow {
  limit: number;
  remaining: number;
  /** Epoch milliseconds when the window starts over. */
  resetAt: number;
}

export interface ExactRateLimit {
  daily: RateLimitWindow | null;
  minutely: RateLimitWindow | null;
}

function readWindow(headers: Headers, prefix: string): RateLimitWindow | null {
  const values = ["limit", "remaining", "reset"].map((name) => headers.get(`${prefix}-${name}`));
  if (values.some((value) => value === null || value.trim() === "")) return null;
  const [limit, remaining, resetAt] = values.map(Number) as [number, number, number];
  if (![limit, remaining, resetAt].every(Number.isFinite)) return null;
  return { limit, remaining, resetAt };
}

/** The windows this response reports; null for a window it does not mention. */
export function readRateLimitHeaders(headers: Headers): ExactRateLimit {
  return { daily: readWindow(headers, "x-ratelimit"), minutely: readWindow(headers, "x-ratelimit-minutely") };
}

/** The latest known state: each window as last reported. */
export function mergeRateLimit(previous: ExactRateLimit, observed: ExactRateLimit): ExactRateLimit {
  return { daily: observed.daily ?? previous.daily, minutely: observed.minutely ?? previous.minutely };
}

/**
 * How long a 429 asks to wait: until the exhausted window resets (the minute first, as it is
 * the one usually hit), or undefined when the response names no exhausted window.
 */
export function waitForReset(observed: ExactRateLimit, now: number): number | undefined {
  for (const window of [observed.minutely, observed.daily]) {
    if (window && window.remaining <= 0) return Math.max(0, window.resetAt - now);
  }
  return undefined;
}
