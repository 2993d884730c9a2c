import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { ChangeEvent } from "#lib/events/change-event";
import type { DeliveryRegister } from "#lib/webhooks/deliveries";
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

/** A verified delivery: the change to look at, what identifies the delivery at its sender, and when it was sent. */
export interface Delivery {
  event: ChangeEvent;
  /** The same for every copy of one notification (Exact's HashCode, CRMOffice's event id). */
  deliveryId: string;
  /** ISO instant the sender says the notification was made, when it says. */
  sentAt?: string;
}

/**
 * One system's webhook rules: verify and parse a raw delivery, or null for a delivery that only
 * checks the endpoint is alive (Exact's empty validation POST).
 */
export type ParseDelivery = (rawBody: string, headers: Record<string, string | undefined>, ids: DeliveryIds) => Delivery | null;

export interface WebhookReceiverDeps {
  parse: () => Promise<ParseDelivery>;
  enqueue: (event: ChangeEvent) => Promise<void>;
  /** Deliveries already taken: a copy enqueues nothing. */
  deliveries: () => Promise<DeliveryRegister>;
  /** A notification sent longer ago than this is not taken (a replay of a captured one); absent: no limit. */
  maxAgeMs?: () => number;
  now?: () => number;
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
    let delivery: Delivery | null;
    try {
      delivery = (await deps.parse())(rawBodyOf(event), event.headers ?? {}, ids);
    } catch (error) {
      const refusal = REFUSALS.find((candidate) => error instanceof candidate.error);
      if (!refusal) throw error;
      logger.warn("webhook refused", { statusCode: refusal.statusCode, reason: (error as Error).message });
      metrics.addMetric("WebhookRefused", MetricUnit.Count, 1);
      return jsonResponse(refusal.statusCode, { error: refusal.code, message: (error as Error).message });
    }
    if (!delivery) {
      metrics.addMetric("WebhookValidationCall", MetricUnit.Count, 1);
      return jsonResponse(200, { ok: true });
    }
    const { event: change, deliveryId, sentAt } = delivery;
    const now = deps.now ?? Date.now;
    // Answered 2xx so the sender stops: the poller's fallback has long covered a real change this old.
    if (deps.maxAgeMs !== undefined && sentAt !== undefined && now() - Date.parse(sentAt) > deps.maxAgeMs()) {
      logger.warn("webhook ignored: sent too long ago", { correlationId: change.correlationId, system: change.system, sentAt });
      metrics.addMetric("WebhookStale", MetricUnit.Count, 1);
      return jsonResponse(200, { accepted: false, reason: "stale" });
    }
    const deliveries = await deps.deliveries();
    // The register spares the budget; it is not what makes a copy harmless (the worker reads the
    // record's state). Should it be unreachable, the change is taken all the same: never lost.
    const claim = await deliveries.claim(change.system, deliveryId).catch((error: unknown) => {
      logger.warn("delivery register unreachable; taking the delivery without it", {
        correlationId: change.correlationId,
        reason: (error as Error).message,
      });
      return "unregistered" as const;
    });
    if (claim === "duplicate") {
      metrics.addMetric("WebhookDuplicate", MetricUnit.Count, 1);
      return jsonResponse(200, { accepted: false, reason: "duplicate" });
    }
    if (claim === "in-flight") {
      // Another copy is being enqueued right now; should that fail, this one is needed: come back.
      return jsonResponse(503, { error: "in_flight", message: "the same delivery is being taken; retry later" }, { "retry-after": "5" });
    }
    try {
      await deps.enqueue(change);
    } catch (error) {
      if (claim === "new") await deliveries.release(change.system, deliveryId).catch(() => undefined);
      throw error;
    }
    if (claim === "new") {
      await deliveries.markEnqueued(change.system, deliveryId).catch((error: unknown) => {
        // Enqueued all the same; a copy of it would only be taken again after the claim's lease.
        logger.warn("could not mark a delivery as taken", { correlationId: change.correlationId, reason: (error as Error).message });
      });
    }
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
