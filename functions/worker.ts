import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { documentClient } from "#lib/aws/dynamodb";
import { ConfigurationError, settings } from "#lib/config/settings";
import { FailureLog } from "#lib/links/failures";
import { enqueueChangeEvent } from "#lib/events/queue";
import { syncContext } from "#lib/sync/context";
import { createBatchHandler } from "#lib/sync/worker";
import { logger, metrics } from "#lib/telemetry/index";

/** SQS event source with ReportBatchItemFailures: only the failed messages come back. */
export const handler = middy(
  createBatchHandler({
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
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
