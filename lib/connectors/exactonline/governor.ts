/**
 * The call governor: Exact's budget of calls per app and division (60 a minute, 5,000 a day),
 * shared by every worker, the poller and the backfill through DynamoDB, so the product spends
 * it deliberately instead of learning about it from 429s.
 *
 * Each clock minute and each UTC day is a counter item (`BUDGET#exactonline#<division>#minute#
 * <yyyy-mm-ddThh:mm>` / `…#day#<yyyy-mm-dd>`, sk `BUDGET`) that DynamoDB's TTL removes once it
 * is old. `acquire()` takes one call from the minute and the day with conditional `ADD`s
 * (`calls < limit`), so however many workers race, a bucket never hands out more than its
 * limit; a spent bucket throws RateLimitedError with the wait until it starts over, and Exact is
 * not called. `observe()` reads what Exact's headers say is left: when that is less than the
 * buckets think (another app's calls, the test's own, clock skew), the bucket is raised so
 * every worker backs off.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { documentClient } from "#lib/aws/dynamodb";
import { RateLimitedError } from "#lib/connectors/errors";
import type { ExactRateLimit, RateLimitWindow } from "#lib/connectors/exactonline/rate-limit";
import { keys, type ItemKey } from "#lib/store/keys";
import { TTL_ATTRIBUTE } from "#lib/store/table";

export const DEFAULT_EXACT_CALLS_PER_MINUTE = 60;
export const DEFAULT_EXACT_CALLS_PER_DAY = 5_000;

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** How long a spent bucket is kept after its window (for `syncctl status` and audits); then TTL removes it. */
const MINUTE_BUCKET_KEPT_MS = DAY_MS;
const DAY_BUCKET_KEPT_MS = 35 * DAY_MS;
/**
 * How much earlier than our bucket Exact's window may end and still be taken as the same
 * window: a few seconds of clock skew for the minute; for the day, Exact's reset may follow a
 * local midnight rather than UTC's.
 */
const SAME_WINDOW_TOLERANCE_MS: Record<"minute" | "day", number> = { minute: 5_000, day: 12 * 60 * MINUTE_MS };

export type BudgetWindowName = "minute" | "day";

export interface ExactGovernorConfig {
  tableName: string;
  division: number;
  /** Calls a clock minute; default 60 (Exact's standard contract). */
  perMinute?: number;
  /** Calls a UTC day; default 5,000. */
  perDay?: number;
  /** Calls of each window left unspent, for other apps' calls and skew; default 0. */
  safetyMargin?: number;
  now?: () => number;
  db?: DynamoDBDocumentClient;
  /** Told each time the governor learns a new figure (after a call was taken, or Exact's headers raised a bucket). */
  onUsage?: (usage: ExactBudgetUsage) => void;
}

export interface BudgetWindowUsage {
  /** Calls counted in this window (ours, and what Exact reported beyond them). */
  used: number;
  /** The configured limit. */
  limit: number;
  /** Calls the governor will still hand out in this window (limit − margin − used, at least 0). */
  remaining: number;
  /** Epoch ms when the window starts over. */
  resetAt: number;
}

export interface ExactBudgetUsage {
  division: number;
  minute: BudgetWindowUsage;
  day: BudgetWindowUsage;
}

export interface ExactCallGovernor {
  /** Takes one call from this minute's and this day's budget, or throws RateLimitedError with the wait. */
  acquire(): Promise<void>;
  /** Takes in what an answer's rate-limit headers said; raises the buckets when Exact counts more than they do. */
  observe(rateLimit: ExactRateLimit): Promise<void>;
  /** This minute's and this day's counts and limits (consistent reads). */
  usage(): Promise<ExactBudgetUsage>;
}

interface Bucket {
  window: BudgetWindowName;
  key: ItemKey;
  start: number;
  end: number;
  expiresAt: number;
}

/** The key of the budget bucket of `window` that holds `at`. */
export function budgetKey(division: number, window: BudgetWindowName, at: number): ItemKey {
  const iso = new Date(at).toISOString();
  return keys.budget(division, window, window === "minute" ? iso.slice(0, 16) : iso.slice(0, 10));
}

function bucketAt(division: number, window: BudgetWindowName, at: number): Bucket {
  const length = window === "minute" ? MINUTE_MS : DAY_MS;
  const start = at - (at % length);
  const end = start + length;
  const kept = window === "minute" ? MINUTE_BUCKET_KEPT_MS : DAY_BUCKET_KEPT_MS;
  return { window, key: budgetKey(division, window, at), start, end, expiresAt: Math.ceil((end + kept) / 1000) };
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer (got ${value})`);
  return value;
}

export function createExactGovernor(config: ExactGovernorConfig): ExactCallGovernor {
  const now = config.now ?? Date.now;
  const db = () => config.db ?? documentClient();
  const limits: Record<BudgetWindowName, number> = {
    minute: positiveInteger(config.perMinute ?? DEFAULT_EXACT_CALLS_PER_MINUTE, "perMinute"),
    day: positiveInteger(config.perDay ?? DEFAULT_EXACT_CALLS_PER_DAY, "perDay"),
  };
  const margin = config.safetyMargin ?? 0;
  if (!Number.isInteger(margin) || margin < 0 || margin >= Math.min(limits.minute, limits.day)) {
    throw new RangeError(`safetyMargin must be a whole number of calls below both limits (got ${margin})`);
  }
  /** What a bucket may reach: its limit less the margin. */
  const cap = (window: BudgetWindowName) => limits[window] - margin;

  /** The highest count this process has seen per bucket (only the current ones are kept). */
  const known = new Map<string, number>();
  const knownOf = (bucket: Bucket) => known.get(bucket.key.pk) ?? 0;
  function learn(bucket: Bucket, count: number): boolean {
    if (count <= knownOf(bucket)) return false;
    for (const pk of known.keys()) {
      if (pk.includes(`#${bucket.window}#`) && pk !== bucket.key.pk) known.delete(pk);
    }
    known.set(bucket.key.pk, count);
    return true;
  }

  const windowUsage = (bucket: Bucket, used: number): BudgetWindowUsage => ({
    used,
    limit: limits[bucket.window],
    remaining: Math.max(0, cap(bucket.window) - used),
    resetAt: bucket.end,
  });

  function report(minute: Bucket, day: Bucket): void {
    config.onUsage?.({ division: config.division, minute: windowUsage(minute, knownOf(minute)), day: windowUsage(day, knownOf(day)) });
  }

  /** One more call in `bucket` if it has room: the count after it, or undefined when spent. */
  async function take(bucket: Bucket): Promise<number | undefined> {
    try {
      const { Attributes } = await db().send(
        new UpdateCommand({
          TableName: config.tableName,
          Key: bucket.key,
          UpdateExpression: "SET #ttl = if_not_exists(#ttl, :expires) ADD calls :one",
          ConditionExpression: "attribute_not_exists(calls) OR calls < :limit",
          ExpressionAttributeNames: { "#ttl": TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ":one": 1, ":limit": cap(bucket.window), ":expires": bucket.expiresAt },
          ReturnValues: "UPDATED_NEW",
        }),
      );
      return Number(Attributes?.calls ?? 0);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /** Gives back a call taken from `bucket` that was never made. */
  async function giveBack(bucket: Bucket): Promise<void> {
    try {
      await db().send(
        new UpdateCommand({
          TableName: config.tableName,
          Key: bucket.key,
          UpdateExpression: "ADD calls :minusOne",
          ConditionExpression: "calls > :zero",
          ExpressionAttributeValues: { ":minusOne": -1, ":zero": 0 },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Raises `bucket` to `count` unless it already holds at least that; returns whether it wrote. */
  async function raise(bucket: Bucket, count: number): Promise<boolean> {
    try {
      await db().send(
        new UpdateCommand({
          TableName: config.tableName,
          Key: bucket.key,
          UpdateExpression: "SET calls = :count, #ttl = if_not_exists(#ttl, :expires)",
          ConditionExpression: "attribute_not_exists(calls) OR calls < :count",
          ExpressionAttributeNames: { "#ttl": TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ":count": count, ":expires": bucket.expiresAt },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  function spent(bucket: Bucket, at: number): RateLimitedError {
    const waitMs = Math.max(1, bucket.end - at);
    const what = bucket.window === "minute" ? "this minute's" : "today's";
    return new RateLimitedError(
      "exactonline",
      waitMs,
      `exactonline: ${what} call budget for division ${config.division} is spent (${cap(bucket.window)} of ${limits[bucket.window]} calls); it starts over in ${Math.ceil(waitMs / 1000)} s`,
    );
  }

  /**
   * Exact's figure for one window, counted against our limit (a contract with a lower limit
   * than configured thus still holds). It binds our bucket only when Exact's window is the same
   * one, i.e. lasts about as long as the bucket: a window that has reset already (headers of a
   * previous minute) or resets well before the bucket ends (an injected 429's one-second
   * window) says nothing about the rest of the bucket; that 429 carries its own wait.
   */
  async function observeWindow(window: BudgetWindowName, reported: RateLimitWindow | null, at: number): Promise<Bucket | undefined> {
    if (!reported || reported.resetAt <= at) return undefined;
    const bucket = bucketAt(config.division, window, at);
    if (reported.resetAt < bucket.end - SAME_WINDOW_TOLERANCE_MS[window]) return undefined;
    const used = limits[window] - Math.min(limits[window], Math.max(0, reported.remaining));
    if (used <= knownOf(bucket)) return undefined;
    const raised = await raise(bucket, used);
    // Not raised: the bucket holds as much already (other workers' calls); either way we now know at least this.
    learn(bucket, used);
    return raised ? bucket : undefined;
  }

  return {
    async acquire() {
      const at = now();
      const minute = bucketAt(config.division, "minute", at);
      const day = bucketAt(config.division, "day", at);
      const inMinute = await take(minute);
      if (inMinute === undefined) {
        learn(minute, cap("minute"));
        throw spent(minute, at);
      }
      const inDay = await take(day);
      if (inDay === undefined) {
        await giveBack(minute);
        learn(day, cap("day"));
        throw spent(day, at);
      }
      learn(minute, inMinute);
      learn(day, inDay);
      report(minute, day);
    },

    async observe(rateLimit) {
      const at = now();
      const [minute, day] = await Promise.all([observeWindow("minute", rateLimit.minutely, at), observeWindow("day", rateLimit.daily, at)]);
      if (minute || day) report(bucketAt(config.division, "minute", at), bucketAt(config.division, "day", at));
    },

    async usage() {
      const at = now();
      const buckets = [bucketAt(config.division, "minute", at), bucketAt(config.division, "day", at)] as const;
      const [minute, day] = await Promise.all(
        buckets.map(async (bucket) => {
          const { Item } = await db().send(new GetCommand({ TableName: config.tableName, Key: bucket.key, ConsistentRead: true }));
          return windowUsage(bucket, Number(Item?.calls ?? 0));
        }),
      );
      return { division: config.division, minute: minute as BudgetWindowUsage, day: day as BudgetWindowUsage };
    },
  };
}
