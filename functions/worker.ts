import middy from "@middy/core";
import { processPartialResponse } from "@aws-lambda-powertools/batch";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { documentClient } from "#lib/aws/dynamodb";
import { ConfigurationError, settings } from "#lib/config/settings";
import { FailureLog } from "#lib/links/failures";
import { enqueueChangeEvent } from "#lib/events/queue";
import { syncContext } from "#lib/sync/context";
import { createBatchProcessor, createRecordHandler } from "#lib/sync/worker";
import { logger, metrics } from "#lib/telemetry/index";

const handleRecord = createRecordHandler({
  context: syncContext,
  requeue: (event, delaySeconds) => enqueueChangeEvent(settings().EVENTS_QUEUE_URL, event, delaySeconds),
  recordFailure: (failure) => new FailureLog(documentClient(), settings().TABLE_NAME).record(failure),
  maxReceiveCount: () => settings().MAX_RECEIVE_COUNT,
  postponeLimits: () => ({ maxPostpones: settings().SYNC_MAX_POSTPONES, maxPostponeMs: settings().SYNC_MAX_POSTPONE_HOURS * 3_600_000 }),
  deadLetter: (event, reason) => {
    const deadLetterQueueUrl = settings().DEAD_LETTER_QUEUE_URL;
    if (!deadLetterQueueUrl) throw new ConfigurationError("missing or invalid settings: DEAD_LETTER_QUEUE_URL");
    return enqueueChangeEvent(deadLetterQueueUrl, event, 0, reason);
  },
});

/**
 * SQS event source with ReportBatchItemFailures: only the failed messages come back.
 *
 * A BatchProcessor keeps the batch it is working on (its records, failures and successes) in
 * its own fields, so each invocation gets its own: one instance shared by invocations that
 * overlap in one process (the local stack runs several pollers in one process) mixed their
 * batches up, reporting one batch's failures in another's answer, so failed messages were
 * deleted as if handled, and lost.
 */
export const handler = middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  processPartialResponse(event, handleRecord, createBatchProcessor(), { context }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
