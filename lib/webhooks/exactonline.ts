import * as z from "#lib/util/zod-mini";
import { EXACT_WEBHOOK_TOPICS, typeOfWebhookTopic, type ExactSyncedType } from "#lib/connectors/exactonline/record-types";
import type { ChangeEvent } from "#lib/events/change-event";
import { fromExactLocalDateTime } from "#lib/connectors/exactonline/dates";
import type { ParseDelivery } from "#lib/webhooks/receiver";
import { hexDigestsEqual, hmacSha256Hex } from "#lib/webhooks/hmac";
import { describeIssues, WebhookPayloadError, WebhookSignatureError } from "#lib/webhooks/errors";

/*
 * Exact signs the raw text of the Content object exactly as sent, so the signature is checked
 * on that slice of the raw body, never on a re-serialised object.
 */
const ENVELOPE = /^\s*\{\s*"Content"\s*:\s*(\{[\s\S]*\})\s*,\s*"HashCode"\s*:\s*"([0-9A-Fa-f]{64})"\s*\}\s*$/;

export const ExactNotificationContentSchema = z.object({
  Topic: z.enum(EXACT_WEBHOOK_TOPICS),
  ClientId: z.string().check(z.minLength(1), z.maxLength(64)),
  Division: z.number().check(z.int(), z.positive()),
  Action: z.enum(["Create", "Update", "Delete"]),
  Key: z.string().check(z.uuid()),
  ExactOnlineEndpoint: z.optional(z.string().check(z.maxLength(2048))),
  EventCreatedOn: z.optional(z.string().check(z.maxLength(64))),
});
export type ExactNotificationContent = z.infer<typeof ExactNotificationContentSchema>;

/**
 * Returns the verified notification content; throws a signature or payload error. `webhookSecrets`
 * is the current secret, and while it is being rotated the previous one too.
 */
export function verifyExactNotification(rawBody: string, webhookSecrets: readonly string[]): ExactNotificationContent {
  return verifyEnvelope(rawBody, webhookSecrets).content;
}

/** The verified content and its HashCode (upper-case: the same for every copy of one notification). */
function verifyEnvelope(rawBody: string, webhookSecrets: readonly string[]): { content: ExactNotificationContent; hashCode: string } {
  const envelope = ENVELOPE.exec(rawBody);
  if (!envelope) throw new WebhookSignatureError("body is not a signed Exact notification");
  const [, contentText = "", hashCode = ""] = envelope;
  // Every secret is tried, so the time taken does not tell which one matched.
  const matches = webhookSecrets.map((secret) => hexDigestsEqual(hmacSha256Hex(secret, contentText), hashCode));
  if (!matches.includes(true)) throw new WebhookSignatureError("HashCode does not match");
  let content: unknown;
  try {
    content = JSON.parse(contentText);
  } catch {
    throw new WebhookPayloadError("Content is not valid JSON");
  }
  const parsed = ExactNotificationContentSchema.safeParse(content);
  if (!parsed.success) throw new WebhookPayloadError(`invalid notification: ${describeIssues(parsed.error)}`);
  return { content: parsed.data, hashCode: hashCode.toUpperCase() };
}

export function exactNotificationToChangeEvent(
  content: ExactNotificationContent,
  ids: { eventId: string; correlationId: string; observedAt: string },
): ChangeEvent {
  return {
    ...ids,
    system: "exactonline",
    recordType: typeOfWebhookTopic(content.Topic) as ExactSyncedType,
    recordId: content.Key.toLowerCase(),
    action: content.Action === "Delete" ? "delete" : "upsert",
    source: "webhook",
  };
}

/** Exact's rules for one delivery: an empty body is the subscription's validation call. */
export function exactDeliveryParser(webhookSecrets: readonly string[], division: number): ParseDelivery {
  return (rawBody, _headers, ids) => {
    if (rawBody.trim() === "") return null;
    const { content, hashCode } = verifyEnvelope(rawBody, webhookSecrets);
    if (content.Division !== division) throw new WebhookPayloadError("notification for another division");
    // Exact writes EventCreatedOn in Amsterdam time, without a zone.
    const sentAt = content.EventCreatedOn === undefined ? undefined : fromExactLocalDateTime(content.EventCreatedOn);
    return { event: exactNotificationToChangeEvent(content, ids), deliveryId: hashCode, ...(sentAt ? { sentAt } : {}) };
  };
}
