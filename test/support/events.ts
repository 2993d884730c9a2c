import { randomUUID } from "node:crypto";
import type { ChangeEvent } from "#lib/events/change-event";

/**
 * A change event as a webhook handler enqueues it (its own event id, which is also its
 * correlation id), for tests that hand the worker its messages themselves.
 */
export function changeEvent(
  system: ChangeEvent["system"],
  recordType: string,
  recordId: string,
  { action = "upsert", source = "webhook" }: Partial<Pick<ChangeEvent, "action" | "source">> = {},
): ChangeEvent {
  const eventId = randomUUID();
  return {
    eventId,
    correlationId: eventId,
    system,
    recordType,
    recordId,
    action,
    source,
    observedAt: new Date().toISOString(),
  } as ChangeEvent;
}
