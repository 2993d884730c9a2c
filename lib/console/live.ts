/**
 * New decisions as they are logged, for the console's live list and charts: the sync log's hour
 * index is read every `pollMs` while someone watches (and before each page is drawn), from a
 * little before the last read, so a decision written late by a slow worker is not missed;
 * decisions already seen are recognised by their key.
 */
import type { Failure, FailureLog } from "#lib/links/failures";
import type { LoggedDecision, SyncLog } from "#lib/links/sync-log";
import { ActivityWindow, type ActivitySources } from "#lib/ops/activity";

/** How far back each read starts before the previous one: longer than any decision takes to be written. */
const OVERLAP_MS = 15_000;
/** Decisions kept for the live list on a newly opened page. */
const RECENT = 25;

export interface LiveFeedOptions {
  log: SyncLog;
  failures: FailureLog;
  exactCalls: ActivitySources["exactCalls"];
  exactCallsPerMinute: number;
  /** Hours the charts show. */
  hours: number;
  pollMs: number;
  now?: () => number;
}

export type LiveListener = (change: { decisions: LoggedDecision[]; failures: Failure[] }) => void;

const decisionKey = (d: LoggedDecision) => `${d.at}#${d.eventId}#${d.flow}#${d.record.side}#${d.record.type}#${d.record.id}`;
const failureKey = (f: Failure) => `${f.at}#${f.correlationId}`;

export class LiveFeed {
  private window?: Promise<ActivityWindow>;
  private recentDecisions: LoggedDecision[] = [];
  /** Keys seen, with their time, back to the overlap of the last read. */
  private readonly seen = new Map<string, number>();
  private readFrom = 0;
  private reading?: Promise<void>;
  private readonly listeners = new Set<LiveListener>();
  private timer?: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly options: LiveFeedOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The activity window, loaded on first use, with everything logged until now. */
  async activity(): Promise<ActivityWindow> {
    const window = await this.load();
    await this.catchUp();
    return window;
  }

  /** The latest decisions, newest first. */
  async recent(): Promise<LoggedDecision[]> {
    await this.activity();
    return this.recentDecisions;
  }

  private load(): Promise<ActivityWindow> {
    this.window ??= (async () => {
      const startedAt = this.now();
      const decisions: LoggedDecision[] = [];
      const window = await ActivityWindow.load(
        {
          decisionsSince: async (from) => {
            const found = await this.options.log.since(from);
            decisions.push(...found);
            return found;
          },
          failuresSince: async (from) => {
            const found = await this.options.failures.since(from);
            for (const failure of found) this.seen.set(failureKey(failure), Date.parse(failure.at));
            return found;
          },
          exactCalls: this.options.exactCalls,
          exactCallsPerMinute: this.options.exactCallsPerMinute,
          now: this.now,
        },
        this.options.hours,
      );
      for (const decision of decisions) this.seen.set(decisionKey(decision), Date.parse(decision.at));
      this.recentDecisions = decisions.slice(-RECENT).reverse();
      this.readFrom = startedAt - OVERLAP_MS;
      return window;
    })();
    // A failed load (the table unreachable) is tried again by the next page, not kept.
    this.window.catch(() => (this.window = undefined));
    return this.window;
  }

  /** Reads what was logged since the last read; one read at a time, callers share it. */
  catchUp(): Promise<void> {
    this.reading ??= this.read().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async read(): Promise<void> {
    const window = await this.load();
    const startedAt = this.now();
    const from = new Date(this.readFrom).toISOString();
    const [decisions, failures] = await Promise.all([this.options.log.since(from), this.options.failures.since(from)]);
    const fresh = decisions.filter((decision) => this.firstSight(decisionKey(decision), decision.at));
    const freshFailures = failures.filter((failure) => this.firstSight(failureKey(failure), failure.at));
    this.readFrom = startedAt - OVERLAP_MS;
    for (const [key, at] of this.seen) if (at < this.readFrom) this.seen.delete(key);
    if (fresh.length === 0 && freshFailures.length === 0) return;
    for (const decision of fresh) window.addDecision(decision);
    for (const failure of freshFailures) window.addFailure(failure);
    this.recentDecisions = [...fresh.slice().reverse(), ...this.recentDecisions].slice(0, RECENT);
    for (const listener of this.listeners) listener({ decisions: fresh, failures: freshFailures });
  }

  private firstSight(key: string, at: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.set(key, Date.parse(at));
    return true;
  }

  /** Calls `listener` with each batch of new decisions and failures; reads every `pollMs` while anyone listens. */
  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    this.timer ??= setInterval(() => void this.catchUp().catch(() => undefined), this.options.pollMs);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  stop(): void {
    this.listeners.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
