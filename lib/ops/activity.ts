/**
 * The sync's recent activity, per minute: decisions by kind (from the sync log's hour index),
 * the worker's failures, and Exact calls (the call governor's minute buckets). For the
 * console's charts and the "decisions in the last hour" of `syncctl status`.
 */
import { BatchGetCommand, type BatchGetCommandInput, type BatchGetCommandOutput, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { budgetKey } from "#lib/connectors/exactonline/governor";
import { FLOWS } from "#lib/flows/index";
import type { Failure } from "#lib/links/failures";
import type { LoggedDecision } from "#lib/links/sync-log";

const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;

/** What the charts tell apart; a decision with conflicts counts as a conflict, whatever it wrote. */
export const ACTIVITY_KINDS = ["created", "updated", "echo", "conflict", "unsyncable", "failed", "other"] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export function activityKind(decision: Pick<LoggedDecision, "kind" | "conflicts">): ActivityKind {
  if (decision.conflicts?.length) return "conflict";
  switch (decision.kind) {
    case "created":
    case "linked":
      return "created";
    case "updated":
    case "echo":
    case "unsyncable":
      return decision.kind;
    default:
      return "other";
  }
}

/** Decisions per flow (every flow listed, 0 included). */
export function decisionsByFlow(decisions: readonly Pick<LoggedDecision, "flow">[]): Record<string, number> {
  const counts = Object.fromEntries(FLOWS.map((flow) => [flow.name, 0]));
  for (const { flow } of decisions) if (flow in counts) counts[flow] = (counts[flow] ?? 0) + 1;
  return counts;
}

export interface ActivitySeries {
  /** The minutes shown, oldest first: epoch ms of each minute's start. */
  minutes: number[];
  /** Per kind, one count per minute. */
  decisions: Record<ActivityKind, number[]>;
  /** Exact calls counted by the governor, one per minute. */
  exactCalls: number[];
  /** The governor's limit per minute. */
  exactCallsPerMinute: number;
}

const minuteOf = (at: number) => at - (at % MINUTE_MS);

/** Exact calls per minute from the governor's minute buckets (kept a day), `minutes` being minute starts. */
export async function exactCallsPerMinute(
  db: DynamoDBDocumentClient,
  tableName: string,
  division: number,
  minutes: readonly number[],
): Promise<Map<number, number>> {
  const calls = new Map<number, number>();
  const byKey = new Map(minutes.map((minute) => [budgetKey(division, "minute", minute).pk, minute]));
  const keys = [...byKey.keys()];
  // BatchGetItem takes 100 keys a call and may hand some back unprocessed.
  for (let start = 0; start < keys.length; start += 100) {
    let request: BatchGetCommandInput["RequestItems"] = {
      [tableName]: { Keys: keys.slice(start, start + 100).map((pk) => ({ pk, sk: "BUDGET" })), ProjectionExpression: "pk, calls" },
    };
    while (request && Object.keys(request).length > 0) {
      const answer: BatchGetCommandOutput = await db.send(new BatchGetCommand({ RequestItems: request }));
      for (const item of answer.Responses?.[tableName] ?? []) {
        const minute = byKey.get(String(item.pk));
        if (minute !== undefined) calls.set(minute, Number(item.calls ?? 0));
      }
      request = answer.UnprocessedKeys;
    }
  }
  return calls;
}

export interface ActivitySources {
  decisionsSince(from: string): Promise<LoggedDecision[]>;
  failuresSince(from: string): Promise<Failure[]>;
  exactCalls(minutes: readonly number[]): Promise<Map<number, number>>;
  exactCallsPerMinute: number;
  now?: () => number;
}

/**
 * The last `hours` of activity, minute by minute, kept in memory: loaded once, then told each
 * new decision and failure (the console's live feed reads them anyway), so a chart refresh
 * reads only the current minute's Exact calls instead of hours of the sync log.
 */
export class ActivityWindow {
  private readonly counts = new Map<number, Record<ActivityKind, number>>();
  private readonly calls = new Map<number, number>();
  private readonly now: () => number;

  private constructor(
    private readonly sources: ActivitySources,
    readonly hours: number,
  ) {
    this.now = sources.now ?? Date.now;
  }

  static async load(sources: ActivitySources, hours: number): Promise<ActivityWindow> {
    const window = new ActivityWindow(sources, hours);
    const from = new Date(window.minutes()[0] ?? 0).toISOString();
    const [decisions, failures, calls] = await Promise.all([
      sources.decisionsSince(from),
      sources.failuresSince(from),
      sources.exactCalls(window.minutes()),
    ]);
    for (const decision of decisions) window.addDecision(decision);
    for (const failure of failures) window.addFailure(failure);
    for (const [minute, count] of calls) window.calls.set(minute, count);
    return window;
  }

  private minutes(): number[] {
    const last = minuteOf(this.now());
    const count = this.hours * 60;
    return Array.from({ length: count }, (_, index) => last - (count - 1 - index) * MINUTE_MS);
  }

  private count(at: string, kind: ActivityKind): void {
    const minute = minuteOf(Date.parse(at));
    let counts = this.counts.get(minute);
    if (!counts) {
      counts = Object.fromEntries(ACTIVITY_KINDS.map((name) => [name, 0])) as Record<ActivityKind, number>;
      this.counts.set(minute, counts);
    }
    counts[kind] += 1;
  }

  addDecision(decision: LoggedDecision): void {
    this.count(decision.at, activityKind(decision));
  }

  addFailure(failure: Failure): void {
    this.count(failure.at, "failed");
  }

  /** The series as of now; the current and previous minute's Exact calls are read again. */
  async series(): Promise<ActivitySeries> {
    const minutes = this.minutes();
    const first = minutes[0] ?? 0;
    for (const minute of [...this.counts.keys(), ...this.calls.keys()]) {
      if (minute < first) {
        this.counts.delete(minute);
        this.calls.delete(minute);
      }
    }
    for (const [minute, count] of await this.sources.exactCalls(minutes.slice(-2))) this.calls.set(minute, count);
    const decisions = Object.fromEntries(
      ACTIVITY_KINDS.map((kind) => [kind, minutes.map((minute) => this.counts.get(minute)?.[kind] ?? 0)]),
    ) as Record<ActivityKind, number[]>;
    return {
      minutes,
      decisions,
      exactCalls: minutes.map((minute) => this.calls.get(minute) ?? 0),
      exactCallsPerMinute: this.sources.exactCallsPerMinute,
    };
  }
}
