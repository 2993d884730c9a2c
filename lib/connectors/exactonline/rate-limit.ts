/**
 * Exact's rate-limit headers, read from every response: `X-RateLimit-Limit/-Remaining/-Reset`
 * (the daily budget) and `X-RateLimit-Minutely-*` (60 a minute). Resets come as epoch
 * milliseconds in most answers, but recordings show a ten-digit daily reset too (epoch
 * seconds): a value below 10^12 is read as seconds. A 429 for the minute window carries only
 * the minutely headers, so the latest state of each window is kept separately.
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

const EPOCH_MS_FLOOR = 1e12;

function readWindow(headers: Headers, prefix: string): RateLimitWindow | null {
  const values = ["limit", "remaining", "reset"].map((name) => headers.get(`${prefix}-${name}`));
  if (values.some((value) => value === null || value.trim() === "")) return null;
  const [limit, remaining, reset] = values.map(Number) as [number, number, number];
  if (![limit, remaining, reset].every(Number.isFinite)) return null;
  // 10^12 ms is September 2001; as seconds it is 33,000 years away: the two cannot be confused.
  return { limit, remaining, resetAt: reset < EPOCH_MS_FLOOR ? reset * 1000 : reset };
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
