import middy from "@middy/core";
import { processPartialResponse } from "@aws-lambda-powertools/batch";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { documentClient } from "#lib/aws/clients";
import { settings } from "#lib/config/settings";
import { FailureLog } from "#lib/links/failures";
import { enqueueChangeEvent } from "#lib/events/queue";
import { syncContext } from "#lib/sync/context";
import { createBatchProcessor, createRecordHandler } from "#lib/sync/worker";
import { logger, metrics } from "#lib/telemetry/index";

const processor = createBatchProcessor();
const handleRecord = createRecordHandler({
  context: syncContext,
  requeue: (event, delaySeconds) => enqueueChangeEvent(settings().EVENTS_QUEUE_URL, event, delaySeconds),
  recordFailure: (failure) => new FailureLog(documentClient(), settings().TABLE_NAME).record(failure),
  maxReceiveCount: Number(process.env.MAX_RECEIVE_COUNT ?? 5),
});

/** SQS event source with ReportBatchItemFailures: only the failed messages come back. */
export const handler = middy(
  async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => processPartialResponse(event, handleRecord, processor, { context }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
