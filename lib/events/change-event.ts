import { z } from "zod";

/**
 * The one message on the queue, shared by every producer (webhooks, poller, backfill, replay, operator)
 * and the worker. It says which record to look at, never what the record contains: the
 * worker always reads the current state from the record's own system.
 */
export const RECORD_TYPES = {
  exactonline: ["contact", "item", "employee"],
  crmoffice: ["contact", "company"],
} as const;

const ExactRef = z.object({ system: z.literal("exactonline"), recordType: z.enum(RECORD_TYPES.exactonline) });
const CrmOfficeRef = z.object({ system: z.literal("crmoffice"), recordType: z.enum(RECORD_TYPES.crmoffice) });

const ChangeEventBase = z.object({
  /** Unique per observation; the same change seen twice may carry two ids. */
  eventId: z.string().min(1).max(128),
  recordId: z.string().min(1).max(64),
  action: z.enum(["upsert", "delete"]),
  /** `operator`: a person asked for the record to be looked at again (syncctl retry, the console). */
  source: z.enum(["webhook", "poller", "backfill", "replay", "operator"]),
  /** ISO 8601: when the producer saw the change. */
  observedAt: z.string().datetime({ offset: true }),
  /** Follows one change from webhook to write, through logs of every function. */
  correlationId: z.string().min(1).max(128),
});

export const ChangeEventSchema = z.discriminatedUnion("system", [
  ChangeEventBase.extend(ExactRef.shape),
  ChangeEventBase.extend(CrmOfficeRef.shape),
]);

export type ChangeEvent = z.infer<typeof ChangeEventSchema>;
export type RecordSystem = ChangeEvent["system"];
