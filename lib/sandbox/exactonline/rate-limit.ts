/**
 * Exact's call budgets per app (client id) and division: a minutely window (fixed, by clock
 * minute) and a daily one (by UTC day). Every charged call gets the six headers; over the
 * minutely limit only the minutely ones come back, as on the real service.
 *
 * The reset headers are epoch milliseconds in most reports, but one recording shows the daily
 * one in seconds (exactonline-api.md); the unit of each is a setting, so clients can be tried
 * against both.
 */
export type ResetUnit = "ms" | "s";

export interface RateLimitSettings {
  perMinute: number;
  perDay: number;
  /** Unit of `X-RateLimit-Minutely-Reset`. */
  minutelyResetUnit: ResetUnit;
  /** Unit of `X-RateLimit-Reset` (the daily window). */
  dailyResetUnit: ResetUnit;
}

export type RateDecision = { allowed: boolean; headers: Record<string, string> };

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** An instant as a reset header carries it; seconds round up, so the window is surely over by then. */
function resetValue(instant: number, unit: ResetUnit): string {
  return String(unit === "ms" ? instant : Math.ceil(instant / 1000));
}

interface Window {
  start: number;
  used: number;
}

export class RateLimiter {
  private readonly minutely = new Map<string, Window>();
  private readonly daily = new Map<string, Window>();
  private refusals = 0;

  constructor(
    private readonly settings: RateLimitSettings,
    private readonly now: () => number,
  ) {}

  /** Spends one call of `key`'s budgets if both have room; refused calls are not charged. */
  charge(key: string): RateDecision {
    const now = this.now();
    const minute = this.window(this.minutely, key, now, MINUTE_MS);
    const day = this.window(this.daily, key, now, DAY_MS);
    if (day.used >= this.settings.perDay) {
      this.refusals += 1;
      return { allowed: false, headers: { ...this.dailyHeaders(day), ...this.minutelyHeaders(minute) } };
    }
    if (minute.used >= this.settings.perMinute) {
      this.refusals += 1;
      return { allowed: false, headers: this.minutelyHeaders(minute) };
    }
    minute.used += 1;
    day.used += 1;
    return { allowed: true, headers: { ...this.dailyHeaders(day), ...this.minutelyHeaders(minute) } };
  }

  /** What an injected 429 carries: the minutely limit spent, free again in a second. */
  injectedLimitHeaders(): Record<string, string> {
    return {
      "X-RateLimit-Minutely-Limit": String(this.settings.perMinute),
      "X-RateLimit-Minutely-Remaining": "0",
      "X-RateLimit-Minutely-Reset": resetValue(this.now() + 1000, this.settings.minutelyResetUnit),
    };
  }

  /** Calls refused (429) since the start or the last reset. */
  refused(): number {
    return this.refusals;
  }

  reset(): void {
    this.minutely.clear();
    this.daily.clear();
    this.refusals = 0;
  }

  private window(windows: Map<string, Window>, key: string, now: number, length: number): Window {
    const start = now - (now % length);
    const current = windows.get(key);
    if (current && current.start === start) return current;
    const fresh = { start, used: 0 };
    windows.set(key, fresh);
    return fresh;
  }

  private dailyHeaders(day: Window): Record<string, string> {
    return {
      "X-RateLimit-Limit": String(this.settings.perDay),
      "X-RateLimit-Remaining": String(Math.max(0, this.settings.perDay - day.used)),
      "X-RateLimit-Reset": resetValue(day.start + DAY_MS, this.settings.dailyResetUnit),
    };
  }

  private minutelyHeaders(minute: Window): Record<string, string> {
    return {
      "X-RateLimit-Minutely-Limit": String(this.settings.perMinute),
      "X-RateLimit-Minutely-Remaining": String(Math.max(0, this.settings.perMinute - minute.used)),
      "X-RateLimit-Minutely-Reset": resetValue(minute.start + MINUTE_MS, this.settings.minutelyResetUnit),
    };
  }
}
