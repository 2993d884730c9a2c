import middy from "@middy/core";
import { documentClient } from "#lib/aws/dynamodb";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { settings } from "#lib/config/settings";
import { FUNCTION_SECRETS, loadSecrets, SECRETS_MAX_AGE_SECONDS } from "#lib/config/secrets";
import { enqueueChangeEvent } from "#lib/events/queue";
import { logger, metrics } from "#lib/telemetry/index";
import { cachedFor } from "#lib/util/cached";
import { once } from "#lib/util/once";
import { DynamoDeliveryRegister } from "#lib/webhooks/deliveries";
import { crmOfficeDeliveryParser } from "#lib/webhooks/crmoffice";
import { createWebhookReceiver } from "#lib/webhooks/receiver";

/** POST /webhooks/crmoffice */
export const handler = middy(
  createWebhookReceiver({
    // Read again after the cache's age, so a rotated webhook secret takes effect without a deploy.
    parse: cachedFor(SECRETS_MAX_AGE_SECONDS * 1000, async () => {
      const secrets = await loadSecrets(FUNCTION_SECRETS.webhookCrmoffice);
      const accepted = [secrets.CRMOFFICE_WEBHOOK_SECRET, secrets.CRMOFFICE_WEBHOOK_SECRET_PREVIOUS].filter(
        (secret) => secret !== undefined,
      );
      return crmOfficeDeliveryParser(accepted);
    }),
    enqueue: (event) => enqueueChangeEvent(settings().EVENTS_QUEUE_URL, event),
    deliveries: once(async () => new DynamoDeliveryRegister(documentClient(), settings().TABLE_NAME, settings().WEBHOOK_DEDUPE_DAYS)),
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
