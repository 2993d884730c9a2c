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
import { LinkConflictError } from "#lib/links/store";
import { RetryLaterError, UnsyncableError } from "#lib/sync/errors";

export type ErrorVerdict =
  { kind: "redecide" } | { kind: "unsyncable"; reason: string } | { kind: "postpone"; waitSeconds: number } | { kind: "retry" };

/** A create or a write held by another worker usually ends within a couple of seconds. */
export const RETRY_LATER_DELAY_SECONDS = 2;

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
