/**
 * What becomes of a change whose handling failed: the one place that decides it, for every error
 * the engine meets.
 *
 * - `redecide`: a lost race (the link moved, the record vanished between two reads); the
 *   decision starts again from fresh state, at once.
 * - `unsyncable`: the record cannot sync as it stands (a required field is empty, a match is
 *   ambiguous, the system refused the request or sent a record that breaks its schema); it is
 *   recorded with the reason and not retried: the next edit of the record is seen anyway.
 * - `postpone`: waiting is the answer (a rate limit, a create or a write another worker holds);
 *   a delayed copy goes back on the queue, so waiting never counts towards the dead-letter queue.
 * - `retry`: anything else (an outage, a timeout, a refused token); the queue delivers the change
 *   again and, after its last receive, moves it to the dead-letter queue for replay.
 */
import { ClientRequestError, RateLimitedError, RecordNotFoundError, UnexpectedResponseError } from "#lib/connectors/errors";
import type { ChangeEvent } from "#lib/events/change-event";
import { LinkConflictError } from "#lib/links/store";
import { RetryLaterError, UnsyncableError } from "#lib/sync/errors";

export type ErrorVerdict =
  { kind: "redecide" } | { kind: "unsyncable"; reason: string } | { kind: "postpone"; waitSeconds: number } | { kind: "retry" };

/** A create or a write held by another worker usually ends within a couple of seconds. */
export const RETRY_LATER_DELAY_SECONDS = 2;

/** How long a change may keep waiting: past either bound it goes to the dead-letter queue with the reason. */
export interface PostponeLimits {
  maxPostpones: number;
  maxPostponeMs: number;
}

export type PostponeDecision = { kind: "postpone"; waitSeconds: number; event: ChangeEvent } | { kind: "dead-letter"; reason: string };

/**
 * A change that keeps being put back (races it always loses, a claim that never frees, a budget
 * that never returns) must not circle for ever: each copy carries its count and when the first
 * was seen, and past the limits it is dead-lettered, where an operator sees it and can replay it.
 */
export function postponeOrDeadLetter(event: ChangeEvent, waitSeconds: number, limits: PostponeLimits, now: number): PostponeDecision {
  const postponed = (event.postponed ?? 0) + 1;
  const firstSeenAt = event.firstSeenAt ?? event.observedAt;
  const waitedMs = now - Date.parse(firstSeenAt);
  if (postponed > limits.maxPostpones) return { kind: "dead-letter", reason: `postponed ${postponed - 1} times, the limit` };
  if (waitedMs > limits.maxPostponeMs) {
    return {
      kind: "dead-letter",
      reason: `still waiting ${Math.round(waitedMs / 60_000)} minutes after it was first seen, past the limit`,
    };
  }
  return { kind: "postpone", waitSeconds, event: { ...event, postponed, firstSeenAt } };
}

export function verdictOf(error: unknown): ErrorVerdict {
  if (error instanceof UnsyncableError) return { kind: "unsyncable", reason: error.message };
  if (error instanceof ClientRequestError) return { kind: "unsyncable", reason: `${error.system} refused the request: ${error.message}` };
  if (error instanceof UnexpectedResponseError) {
    return { kind: "unsyncable", reason: `${error.system} sent a record that breaks its schema: ${error.message}` };
  }
  if (error instanceof LinkConflictError || error instanceof RecordNotFoundError) return { kind: "redecide" };
  if (error instanceof RateLimitedError) return { kind: "postpone", waitSeconds: error.retryAfterMs / 1000 };
  if (error instanceof RetryLaterError) return { kind: "postpone", waitSeconds: RETRY_LATER_DELAY_SECONDS };
  return { kind: "retry" };
}
