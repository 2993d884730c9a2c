import type { CrmOfficeConnector } from "#lib/connectors/crmoffice/client";
import { WEBHOOK_EVENTS } from "#lib/connectors/crmoffice/record-types";
import type { ExactConnector } from "#lib/connectors/exactonline/client";
import { EXACT_RECORD_TYPES, type ExactWebhookTopic } from "#lib/connectors/exactonline/record-types";
import { FLOWS } from "#lib/flows/index";

/** The topics of the Exact record types some flow syncs (the others' changes would only cost reads). */
const EXACT_TOPICS = [
  ...new Set(FLOWS.map((flow) => EXACT_RECORD_TYPES[flow.exactonline.type as keyof typeof EXACT_RECORD_TYPES].webhookTopic)),
].filter((topic): topic is ExactWebhookTopic => topic !== null);

export interface SubscriptionResult {
  created: string[];
  existing: string[];
}

/**
 * Registers the webhook subscriptions the sync needs in both systems, through their APIs, the
 * way a user would. Idempotent: subscriptions already pointing at `apiUrl` are kept.
 */
export async function subscribeWebhooks(
  connectors: { exactonline: ExactConnector; crmoffice: CrmOfficeConnector },
  apiUrl: string,
  crmOfficeWebhookSecret: string,
): Promise<SubscriptionResult> {
  const result: SubscriptionResult = { created: [], existing: [] };
  const exactCallback = `${apiUrl}/webhooks/exactonline`;
  const exactExisting = await connectors.exactonline.webhookSubscriptions.list();
  for (const topic of EXACT_TOPICS) {
    const name = `exactonline ${topic} → ${exactCallback}`;
    if (exactExisting.some((subscription) => subscription.topic === topic && subscription.callbackUrl === exactCallback)) {
      result.existing.push(name);
    } else {
      await connectors.exactonline.webhookSubscriptions.create({ callbackUrl: exactCallback, topic });
      result.created.push(name);
    }
  }
  const crmCallback = `${apiUrl}/webhooks/crmoffice`;
  const name = `crmoffice ${WEBHOOK_EVENTS.join(", ")} → ${crmCallback}`;
  const crmExisting = await connectors.crmoffice.webhooks.list();
  if (crmExisting.some((webhook) => webhook.url === crmCallback && WEBHOOK_EVENTS.every((event) => webhook.events.includes(event)))) {
    result.existing.push(name);
  } else {
    await connectors.crmoffice.webhooks.create({ url: crmCallback, events: WEBHOOK_EVENTS, secret: crmOfficeWebhookSecret });
    result.created.push(name);
  }
  return result;
}
