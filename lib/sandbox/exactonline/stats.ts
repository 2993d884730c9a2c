/**
 * The Exact sandbox's counters: the shared ones (calls, deliveries) plus `rateLimited`, the
 * 429s its rate limiter answered because a budget was spent (injected 429 faults are not
 * among them). `GET /_sandbox/stats` shows the same; the added key leaves the shared shape as it was.
 */
import { CallStats } from "#lib/sandbox/common/stats";
import type { StatsSnapshot } from "#lib/sandbox/common/stats";

export interface ExactStatsSnapshot extends StatsSnapshot {
  /** Calls refused with 429 by the minutely or daily budget since the start (or the last reset). */
  rateLimited: number;
}

export class ExactCallStats extends CallStats {
  constructor(private readonly rateLimited: () => number) {
    super();
  }

  override snapshot(): ExactStatsSnapshot {
    return { ...super.snapshot(), rateLimited: this.rateLimited() };
  }
}
