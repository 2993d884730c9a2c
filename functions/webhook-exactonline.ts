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
import { exactDeliveryParser } from "#lib/webhooks/exactonline";
import { createWebhookReceiver } from "#lib/webhooks/receiver";

/** POST /webhooks/exactonline */
export const handler = middy(
  createWebhookReceiver({
    // Read again after the cache's age, so a rotated webhook secret takes effect without a deploy.
    parse: cachedFor(SECRETS_MAX_AGE_SECONDS * 1000, async () => {
      const secrets = await loadSecrets(FUNCTION_SECRETS.webhookExactonline);
      const accepted = [secrets.EXACT_WEBHOOK_SECRET, secrets.EXACT_WEBHOOK_SECRET_PREVIOUS].filter((secret) => secret !== undefined);
      return exactDeliveryParser(accepted, settings().EXACT_DIVISION);
    }),
    enqueue: (event) => enqueueChangeEvent(settings().EVENTS_QUEUE_URL, event),
    deliveries: once(async () => new DynamoDeliveryRegister(documentClient(), settings().TABLE_NAME, settings().WEBHOOK_DEDUPE_DAYS)),
    // The Exact notification's own age: CRMOffice's signature carries a five-minute window of its own.
    maxAgeMs: () => settings().EXACT_WEBHOOK_MAX_AGE_HOURS * 3_600_000,
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
