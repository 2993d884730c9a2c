import * as z from "#lib/util/zod-mini";
import { CRMOFFICE_ID_PATTERN, parseWebhookEvent, WEBHOOK_EVENTS } from "#lib/connectors/crmoffice/record-types";
import type { ChangeEvent } from "#lib/events/change-event";
import type { ParseDelivery } from "#lib/webhooks/receiver";
import { hexDigestsEqual, hmacSha256Hex } from "#lib/webhooks/hmac";
import { describeIssues, WebhookPayloadError, WebhookSignatureError } from "#lib/webhooks/errors";

/** A delivery older or newer than this is refused, so a captured one cannot be replayed. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export const CrmOfficeNotificationSchema = z.object({
  id: z.string().check(z.minLength(1), z.maxLength(128)),
  type: z.enum(WEBHOOK_EVENTS),
  occurredAt: z.string().check(z.iso.datetime({ offset: true })),
  data: z.object({ id: z.string().check(z.regex(CRMOFFICE_ID_PATTERN, "not a CRMOffice id")) }),
});
export type CrmOfficeNotification = z.infer<typeof CrmOfficeNotificationSchema>;

/** `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`: several v1 values appear while a secret rotates. */
function parseSignatureHeader(header: string): { timestamp: number; signatures: string[] } {
  let timestamp = Number.NaN;
  const signatures: string[] = [];
  for (const part of header.split(",")) {
    const [key, value = ""] = part.trim().split("=", 2);
    if (key === "t" && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (key === "v1" && /^[0-9a-fA-F]{64}$/.test(value)) signatures.push(value);
  }
  if (!Number.isFinite(timestamp) || signatures.length === 0) {
    throw new WebhookSignatureError("malformed CRMOffice-Signature header");
  }
  return { timestamp, signatures };
}

/** `webhookSecrets`: the current secret, and while it is being rotated the previous one too. */
export function verifyCrmOfficeNotification(
  rawBody: string,
  signatureHeader: string | undefined,
  webhookSecrets: readonly string[],
  nowMs: number = Date.now(),
): CrmOfficeNotification {
  if (!signatureHeader) throw new WebhookSignatureError("missing CRMOffice-Signature header");
  const { timestamp, signatures } = parseSignatureHeader(signatureHeader);
  if (Math.abs(nowMs / 1000 - timestamp) > SIGNATURE_TOLERANCE_SECONDS) {
    throw new WebhookSignatureError("signature timestamp outside the 5-minute window");
  }
  const signed = `${timestamp}.${rawBody}`;
  // Every candidate against every secret, so the time taken does not tell which one failed.
  const matches = webhookSecrets.flatMap((secret) => {
    const expected = hmacSha256Hex(secret, signed);
    return signatures.map((signature) => hexDigestsEqual(expected, signature));
  });
  if (!matches.includes(true)) throw new WebhookSignatureError("signature does not match");

  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new WebhookPayloadError("body is not valid JSON");
  }
  const parsed = CrmOfficeNotificationSchema.safeParse(body);
  if (!parsed.success) throw new WebhookPayloadError(`invalid notification: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

export function crmOfficeNotificationToChangeEvent(
  notification: CrmOfficeNotification,
  ids: { eventId: string; correlationId: string; observedAt: string },
): ChangeEvent {
  const { type, action } = parseWebhookEvent(notification.type);
  return { ...ids, system: "crmoffice", recordType: type, recordId: notification.data.id, action, source: "webhook" };
}

export function crmOfficeDeliveryParser(webhookSecrets: readonly string[], now: () => number = Date.now): ParseDelivery {
  return (rawBody, headers, ids) => {
    const notification = verifyCrmOfficeNotification(rawBody, headers["crmoffice-signature"], webhookSecrets, now());
    return {
      event: crmOfficeNotificationToChangeEvent(notification, { ...ids, eventId: `crmoffice-${notification.id}` }),
      deliveryId: notification.id,
      sentAt: new Date(notification.occurredAt).toISOString(),
    };
  };
}
