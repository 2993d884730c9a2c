/**
 * The Exact sandbox's counters: the shared ones (calls, deliveries) plus what only Exact has:
 * `rateLimited` (429s its rate limiter answered because a budget was spent; injected 429
 * faults are not among them), `clientErrors` (answered 400/401/403/404 on the API, by method
 * and path with the key), `blocked` (the endpoints the error block shuts now) and `tokenCalls`
 * (calls of the token endpoint per client id, which Exact limits separately).
 * `GET /_sandbox/stats` shows the same; the added keys leave the shared shape as it was.
 */
import { CallStats } from "#lib/sandbox/common/stats";
import type { StatsSnapshot } from "#lib/sandbox/common/stats";

export interface ExactStatsSnapshot extends StatsSnapshot {
  /** Calls refused with 429 by the minutely or daily budget since the start (or the last reset). */
  rateLimited: number;
  /** Answered 400/401/403/404 under `/api/v1/`, keyed `"<METHOD> <path without query>"` (injected faults never are). */
  clientErrors: Record<string, number>;
  /** Endpoints blocked now by the error block, `"<METHOD> <path without key>"`. */
  blocked: string[];
  /** `POST /api/oauth2/token` calls per client id (`unknown` for one that is not the app's). */
  tokenCalls: Record<string, number>;
}

export interface ExactStatsSources {
  rateLimited: () => number;
  blocked: () => string[];
}

export class ExactCallStats extends CallStats {
  private readonly clientErrors = new Map<string, number>();
  private readonly tokenCalls = new Map<string, number>();

  constructor(private readonly sources: ExactStatsSources) {
    super();
  }

  countClientError(method: string, pathWithoutQuery: string): void {
    increment(this.clientErrors, `${method.toUpperCase()} ${pathWithoutQuery}`);
  }

  countTokenCall(clientId: string): void {
    increment(this.tokenCalls, clientId);
  }

  override snapshot(): ExactStatsSnapshot {
    return {
      ...super.snapshot(),
      rateLimited: this.sources.rateLimited(),
      clientErrors: Object.fromEntries(this.clientErrors),
      blocked: this.sources.blocked(),
      tokenCalls: Object.fromEntries(this.tokenCalls),
    };
  }

  override reset(): void {
    super.reset();
    this.clientErrors.clear();
    this.tokenCalls.clear();
  }
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
