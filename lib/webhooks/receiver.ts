import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { ChangeEvent } from "#lib/events/change-event";
import { jsonResponse } from "#lib/http/responses";
import { logger, metrics } from "#lib/telemetry/index";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { WebhookPayloadError, WebhookSignatureError, WebhookTooLargeError } from "#lib/webhooks/errors";

/** Larger deliveries are refused with 413; real notifications are a few hundred bytes. */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;

export interface DeliveryIds {
  eventId: string;
  correlationId: string;
  observedAt: string;
}

/**
 * One system's webhook rules: verify and parse a raw delivery into a change event, or null for
 * a delivery that only checks the endpoint is alive (Exact's empty validation POST).
 */
export type ParseDelivery = (rawBody: string, headers: Record<string, string | undefined>, ids: DeliveryIds) => ChangeEvent | null;

export interface WebhookReceiverDeps {
  parse: () => Promise<ParseDelivery>;
  enqueue: (event: ChangeEvent) => Promise<void>;
}

function rawBodyOf(event: APIGatewayProxyEventV2): string {
  const body = event.body ?? "";
  if (Buffer.byteLength(body, "utf8") > MAX_WEBHOOK_BYTES * (event.isBase64Encoded ? 4 / 3 : 1) + 4) {
    throw new WebhookTooLargeError("body too large");
  }
  const text = event.isBase64Encoded ? Buffer.from(body, "base64").toString("utf8") : body;
  if (Buffer.byteLength(text, "utf8") > MAX_WEBHOOK_BYTES) throw new WebhookTooLargeError("body too large");
  return text;
}

const REFUSALS = [
  { error: WebhookTooLargeError, statusCode: 413, code: "payload_too_large" },
  { error: WebhookSignatureError, statusCode: 401, code: "invalid_signature" },
  { error: WebhookPayloadError, statusCode: 400, code: "invalid_notification" },
] as const;

/**
 * Verify, parse, enqueue, answer. Bad input gets a 4xx and nothing is enqueued; only a failure
 * to enqueue (our side) answers 5xx, so the sender delivers again.
 */
export function createWebhookReceiver(deps: WebhookReceiverDeps) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const ids: DeliveryIds = { eventId: randomUUID(), correlationId: "", observedAt: new Date().toISOString() };
    ids.correlationId = ids.eventId;
    let change: ChangeEvent | null;
    try {
      change = (await deps.parse())(rawBodyOf(event), event.headers ?? {}, ids);
    } catch (error) {
      const refusal = REFUSALS.find((candidate) => error instanceof candidate.error);
      if (!refusal) throw error;
      logger.warn("webhook refused", { statusCode: refusal.statusCode, reason: (error as Error).message });
      metrics.addMetric("WebhookRefused", MetricUnit.Count, 1);
      return jsonResponse(refusal.statusCode, { error: refusal.code, message: (error as Error).message });
    }
    if (!change) {
      metrics.addMetric("WebhookValidationCall", MetricUnit.Count, 1);
      return jsonResponse(200, { ok: true });
    }
    await deps.enqueue(change);
    logger.info("change enqueued", {
      correlationId: change.correlationId,
      system: change.system,
      recordType: change.recordType,
      recordId: change.recordId,
      action: change.action,
    });
    metrics.addMetric("WebhookAccepted", MetricUnit.Count, 1);
    return jsonResponse(202, { accepted: true, eventId: change.eventId });
  };
}
