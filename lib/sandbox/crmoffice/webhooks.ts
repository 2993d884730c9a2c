import type { WebhookDeliverer } from "#lib/sandbox/common/deliveries";
import type { IdSequence } from "./ids";
import type { WebhookEvent, WebhookPayload } from "./schemas";
import { SIGNATURE_HEADER, signatureHeaderValue } from "./signature";
import type { RecordChange } from "./store";

/** A registration as the API shows it: the secret is never shown again. */
export interface WebhookSubscription {
  id: string;
  url: string;
  events: WebhookEvent[];
}

interface StoredSubscription extends WebhookSubscription {
  secret: string;
}

/**
 * Webhook registrations, and one signed delivery per matching registration for every
 * accepted write. Each attempt is signed at its own send time, as a real sender does.
 */
export class CrmOfficeWebhooks {
  private readonly subscriptions = new Map<string, StoredSubscription>();

  constructor(
    private readonly ids: IdSequence,
    private readonly deliverer: WebhookDeliverer,
    private readonly now: () => number,
  ) {}

  register(registration: { url: string; events: WebhookEvent[]; secret: string }): WebhookSubscription {
    const subscription = { id: this.ids.next("webhook"), url: registration.url, events: [...new Set(registration.events)] };
    this.subscriptions.set(subscription.id, { ...subscription, secret: registration.secret });
    return subscription;
  }

  list(): WebhookSubscription[] {
    return [...this.subscriptions.values()].map(({ id, url, events }) => ({ id, url, events: [...events] }));
  }

  unregister(id: string): boolean {
    return this.subscriptions.delete(id);
  }

  publish(change: RecordChange): void {
    const payload: WebhookPayload = {
      id: this.ids.next("event"),
      type: change.type,
      occurredAt: change.occurredAt,
      data: { id: change.recordId },
    };
    const body = JSON.stringify(payload);
    for (const { url, events, secret } of this.subscriptions.values()) {
      if (!events.includes(change.type)) continue;
      this.deliverer.deliver({
        url,
        body,
        headers: () => ({
          "Content-Type": "application/json",
          [SIGNATURE_HEADER]: signatureHeaderValue(secret, Math.floor(this.now() / 1000), body),
        }),
      });
    }
  }
}
