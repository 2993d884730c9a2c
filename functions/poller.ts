import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { documentClient } from "#lib/aws/dynamodb";
import { exactConnectorFromEnvironment } from "#lib/config/connectors";
import { pollSchedule } from "#lib/config/settings";
import { enqueueChangeEvents } from "#lib/events/queue";
import { CursorStore } from "#lib/links/cursors";
import { LinkStore } from "#lib/links/store";
import { pollExact, type ExactPollerDeps } from "#lib/poller/exact-poller";
import { logger, metrics } from "#lib/telemetry/index";
import { once } from "#lib/util/once";

const deps = once(async (): Promise<ExactPollerDeps> => {
  const { settings: config, exactonline } = await exactConnectorFromEnvironment(process.env, { reportBudget: true });
  const db = documentClient();
  return {
    exact: exactonline,
    cursors: new CursorStore(db, config.TABLE_NAME),
    store: new LinkStore(db, config.TABLE_NAME),
    division: config.EXACT_DIVISION,
    enqueue: (events) => enqueueChangeEvents(config.EVENTS_QUEUE_URL, events),
    schedule: pollSchedule(config),
  };
});

/** Scheduled: reads the Exact sync API feeds that are due (employees, the fallback for lost webhooks, deletions). */
export const handler = middy(async () => {
  const summary = await pollExact(await deps());
  const enqueued = Object.values(summary.enqueued).reduce((sum, count) => sum + count, 0);
  metrics.addMetric("PolledChanges", MetricUnit.Count, enqueued);
  logger.info("poll done", { ...summary });
  return summary;
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
