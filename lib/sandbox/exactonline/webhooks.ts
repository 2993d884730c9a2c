/**
 * Exact's webhooks: subscriptions per topic (validated with an empty POST to the callback
 * before they exist), and a signed notification to each matching subscription on every
 * contact or item change. The signature (`HashCode`) is the upper-case hex HMAC-SHA256,
 * keyed with the webhook secret, of the Content object's raw text exactly as it appears in
 * the body. `EventCreatedOn` is Exact's clock: a zone-less ISO date-time with milliseconds in
 * Amsterdam time (`2026-06-25T16:14:12.403`).
 *
 * A callback that fails validation and a second subscription for the same topic and callback
 * are functional refusals: HTTP 500 with Exact's error body.
 */
import { createHmac, randomUUID } from "node:crypto";
import type { WebhookDeliverer } from "#lib/sandbox/common/deliveries";
import { toAmsterdamIso } from "./amsterdam-time";
import type { ResourceKind } from "./entities";
import { ExactApiError, FunctionalRefusal } from "./errors";
import type { StoredRecord } from "./model";
import type { RecordChange } from "./store";
import { SANDBOX_USER_ID } from "./store";

export const WEBHOOK_TOPICS = ["Contacts", "Items"] as const;
export type WebhookTopic = (typeof WEBHOOK_TOPICS)[number];

const TOPIC_BY_KIND: Partial<Record<ResourceKind, WebhookTopic>> = { Contacts: "Contacts", Items: "Items" };

export interface WebhookSettings {
  webhookSecret: string;
  division: number;
  /** How long the callback may take to answer the validation POST. */
  validationTimeoutMs: number;
  now: () => number;
  /** The absolute URL of a record, for `ExactOnlineEndpoint`. */
  endpointOf: (kind: ResourceKind, id: string) => string;
}

export interface NotificationContent {
  Topic: WebhookTopic;
  ClientId: string;
  Division: number;
  Action: RecordChange["action"];
  Key: string;
  ExactOnlineEndpoint: string;
  EventCreatedOn: string;
}

export function signContent(secret: string, contentText: string): string {
  return createHmac("sha256", secret).update(contentText, "utf8").digest("hex").toUpperCase();
}

/** The notification body, built as text so the signed bytes are the sent bytes. */
export function notificationBody(content: NotificationContent, secret: string): string {
  const contentText = JSON.stringify(content);
  return `{"Content":${contentText},"HashCode":"${signContent(secret, contentText)}"}`;
}

const LOOPBACK_HOSTS = new Set(["localhost", "[::1]"]);

function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** Exact demands HTTPS; the sandbox also lets plain HTTP reach loopback receivers. */
function checkCallbackUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ExactApiError(400, "CallbackURL: not a valid URL.");
  }
  if (url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname))) return url;
  throw new ExactApiError(400, "CallbackURL: only HTTPS callbacks are allowed (plain HTTP only on loopback, in the sandbox).");
}

export class WebhookHub {
  private readonly subscriptions = new Map<string, StoredRecord>();

  constructor(
    private readonly settings: WebhookSettings,
    private readonly deliverer: WebhookDeliverer,
  ) {}

  /** Validates the callback with an empty POST, then stores the subscription. */
  async subscribe(clientId: string, callbackUrl: string, topic: string, description: string | null): Promise<StoredRecord> {
    const url = checkCallbackUrl(callbackUrl);
    if (!(WEBHOOK_TOPICS as readonly string[]).includes(topic)) {
      throw new ExactApiError(400, `Topic: '${topic}' is not a supported webhook topic.`);
    }
    const duplicate = [...this.subscriptions.values()].some(
      (subscription) => subscription.ClientID === clientId && subscription.Topic === topic && subscription.CallbackURL === callbackUrl,
    );
    if (duplicate) throw FunctionalRefusal.duplicate("Topic, CallbackURL");
    if (!(await this.callbackAccepts(url))) {
      throw new FunctionalRefusal(`CallbackURL: validatie mislukt, ${callbackUrl} antwoordde niet met een 2xx-status.`);
    }
    const id = randomUUID();
    const subscription: StoredRecord = {
      ID: id,
      CallbackURL: callbackUrl,
      ClientID: clientId,
      Created: this.settings.now(),
      Creator: SANDBOX_USER_ID,
      Description: description,
      Division: this.settings.division,
      Topic: topic,
      UserID: SANDBOX_USER_ID,
    };
    this.subscriptions.set(id, subscription);
    return subscription;
  }

  list(clientId: string): StoredRecord[] {
    return [...this.subscriptions.values()].filter((subscription) => subscription.ClientID === clientId);
  }

  get(clientId: string, id: string): StoredRecord | undefined {
    const subscription = this.subscriptions.get(id.toLowerCase());
    return subscription?.ClientID === clientId ? subscription : undefined;
  }

  unsubscribe(id: string): void {
    this.subscriptions.delete(id.toLowerCase());
  }

  /** Sends a notification about `change` to every subscription of its topic. */
  notify(change: RecordChange): void {
    const topic = TOPIC_BY_KIND[change.kind];
    if (!topic) return;
    for (const subscription of this.subscriptions.values()) {
      if (subscription.Topic !== topic) continue;
      const content: NotificationContent = {
        Topic: topic,
        ClientId: String(subscription.ClientID),
        Division: this.settings.division,
        Action: change.action,
        Key: change.id,
        ExactOnlineEndpoint: this.settings.endpointOf(change.kind, change.id),
        EventCreatedOn: toAmsterdamIso(this.settings.now()),
      };
      this.deliverer.deliver({
        url: String(subscription.CallbackURL),
        body: notificationBody(content, this.settings.webhookSecret),
        headers: { "Content-Type": "application/json; charset=utf-8" },
      });
    }
  }

  private async callbackAccepts(url: URL): Promise<boolean> {
    try {
      const response = await fetch(url, {
        method: "POST",
        redirect: "manual",
        signal: AbortSignal.timeout(this.settings.validationTimeoutMs),
      });
      await response.arrayBuffer();
      return response.status >= 200 && response.status < 300;
    } catch {
      return false;
    }
  }
}
