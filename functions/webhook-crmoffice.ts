import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { settings } from "#lib/config/settings";
import { loadSecrets } from "#lib/config/secrets";
import { enqueueChangeEvent } from "#lib/events/queue";
import { logger, metrics } from "#lib/telemetry/index";
import { once } from "#lib/util/once";
import { crmOfficeDeliveryParser } from "#lib/webhooks/crmoffice";
import { createWebhookReceiver } from "#lib/webhooks/receiver";

/** POST /webhooks/crmoffice */
export const handler = middy(
  createWebhookReceiver({
    parse: once(async () => crmOfficeDeliveryParser((await loadSecrets()).CRMOFFICE_WEBHOOK_SECRET)),
    enqueue: (event) => enqueueChangeEvent(settings().EVENTS_QUEUE_URL, event),
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
