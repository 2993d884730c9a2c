import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { ChangeEventSchema, type ChangeEvent } from "#lib/events/change-event";
import type { Failure } from "#lib/links/failures";
import { postponeOrDeadLetter, verdictOf, type PostponeLimits } from "#lib/sync/error-policy";
import { PrefetchedRecords, readAhead, withPrefetched } from "#lib/sync/batch";
import { processChange, type SyncContext } from "#lib/sync/processor";
import { reportDecision } from "#lib/sync/report";
import { logger, metrics } from "#lib/telemetry/index";

/** A queue message that is not a change event: it fails, and so reaches the dead-letter queue. */
export class MalformedEventError extends Error {
  override name = "MalformedEventError";
}

export interface WorkerDeps {
  context: () => Promise<SyncContext>;
  /** Puts the event back on the queue after a delay (seconds). */
  requeue: (event: ChangeEvent, delaySeconds: number) => Promise<void>;
  /** Keeps a failure for `syncctl status`. */
  recordFailure: (failure: Omit<Failure, "at">) => Promise<void>;
  /** The queue's redrive maxReceiveCount: the receive after which a failure is dead-lettered. */
  maxReceiveCount: () => number;
  /** How long a change may keep being put back before it is dead-lettered. */
  postponeLimits: () => PostponeLimits;
  /** Puts the event on the dead-letter queue with the reason (for `syncctl replay`). */
  deadLetter: (event: ChangeEvent, reason: string) => Promise<void>;
  now?: () => number;
}

function parseEvent(record: SQSRecord): ChangeEvent {
  try {
    return ChangeEventSchema.parse(JSON.parse(record.body));
  } catch {
    throw new MalformedEventError(`message ${record.messageId} is not a change event`);
  }
}

/**
 * Handles one queue message. Waiting (a rate limit, a claim held elsewhere) is done by putting
 * a delayed copy back on the queue, so waiting never counts towards the queue's receive count; a
 * change that waits past its limits is dead-lettered with the reason. Every other failure is
 * reported for this message alone and retried by SQS.
 */
export function createRecordHandler(deps: WorkerDeps) {
  return async (record: SQSRecord): Promise<void> => {
    const event = parseEvent(record);
    const receiveCount = Number(record.attributes.ApproximateReceiveCount);
    // Records of a batch run in parallel, so the correlation id goes into each line itself
    // (appended logger keys would leak from one record's lines into another's).
    try {
      for (const decision of await processChange(event, await deps.context())) reportDecision(decision);
    } catch (error) {
      const verdict = verdictOf(error);
      if (verdict.kind !== "postpone") {
        const failure = {
          correlationId: event.correlationId,
          error: (error as Error).name,
          reason: (error as Error).message,
          receiveCount,
        };
        if (receiveCount >= deps.maxReceiveCount()) {
          logger.error("change failed for the last time; it goes to the dead-letter queue (replay with syncctl replay)", failure);
          metrics.addMetric("DeadLettered", MetricUnit.Count, 1);
        } else {
          logger.warn("change failed; SQS will retry it", failure);
          metrics.addMetric("Retries", MetricUnit.Count, 1);
        }
        await deps
          .recordFailure({ ...failure, record: { side: event.system, type: event.recordType, id: event.recordId } })
          .catch((recordError: unknown) =>
            logger.warn("could not record the failure", { correlationId: event.correlationId, reason: (recordError as Error).message }),
          );
        throw error;
      }
      const next = postponeOrDeadLetter(event, verdict.waitSeconds, deps.postponeLimits(), (deps.now ?? Date.now)());
      if (next.kind === "dead-letter") {
        const reason = `${next.reason}: ${(error as Error).message}`;
        await deps.deadLetter(event, reason);
        logger.error("change kept waiting past its limit; it goes to the dead-letter queue (replay with syncctl replay)", {
          correlationId: event.correlationId,
          reason,
        });
        metrics.addMetric("DeadLettered", MetricUnit.Count, 1);
        await deps
          .recordFailure({
            correlationId: event.correlationId,
            error: (error as Error).name,
            reason,
            receiveCount,
            record: { side: event.system, type: event.recordType, id: event.recordId },
          })
          .catch(() => undefined);
        return;
      }
      await deps.requeue(next.event, next.waitSeconds);
      logger.info("change postponed", {
        correlationId: event.correlationId,
        waitSeconds: next.waitSeconds,
        postponed: next.event.postponed,
        reason: (error as Error).message,
      });
      metrics.addMetric("Postponed", MetricUnit.Count, 1);
    }
  };
}

export const createBatchProcessor = () => new BatchProcessor(EventType.SQS);

/**
 * One SQS batch: the Exact records its changes need are read ahead together (lib/sync/batch.ts),
 * then each message is handled on its own as `createRecordHandler` does, and only the ones that
 * failed are reported (ReportBatchItemFailures). A read-ahead that fails reads nothing ahead.
 *
 * A BatchProcessor keeps the batch it is working on (its records, failures and successes) in its
 * own fields, so each invocation gets its own: one shared by invocations that overlap in one
 * process (the local stack runs several pollers in one process) mixed their batches up.
 */
export function createBatchHandler(deps: WorkerDeps) {
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const ctx = await deps.context();
    const changes = event.Records.flatMap((record) => {
      try {
        return [parseEvent(record)];
      } catch {
        return [];
      }
    });
    const prefetched = await readAhead(changes, ctx).catch((error: unknown) => {
      logger.warn("could not read the batch's records ahead; each change reads its own", { reason: (error as Error).message });
      return new PrefetchedRecords(ctx.now());
    });
    const handleRecord = createRecordHandler({ ...deps, context: async () => withPrefetched(ctx, prefetched) });
    return processPartialResponse(event, handleRecord, createBatchProcessor(), { context });
  };
}
