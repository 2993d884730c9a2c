import * as z from "#lib/util/zod-mini";
import { CRMOFFICE_ID_PATTERN, CRMOFFICE_TYPES } from "#lib/connectors/crmoffice/record-types";
import { EXACT_SYNCED_TYPES } from "#lib/connectors/exactonline/record-types";

/**
 * The one message on the queue, shared by every producer (webhooks, poller, backfill, replay, operator)
 * and the worker. It says which record to look at, never what the record contains: the
 * worker always reads the current state from the record's own system.
 */
/** The record types whose changes the sync follows, per system, as the systems declare them. */
export const RECORD_TYPES = { exactonline: EXACT_SYNCED_TYPES, crmoffice: CRMOFFICE_TYPES } as const;

/* Record ids end up in URLs (and Exact's in filters): each is held to its system's own format. */
const ExactRef = z.object({ system: z.literal("exactonline"), recordType: z.enum(RECORD_TYPES.exactonline), recordId: z.guid() });
const CrmOfficeRef = z.object({
  system: z.literal("crmoffice"),
  recordType: z.enum(RECORD_TYPES.crmoffice),
  recordId: z.string().check(z.regex(CRMOFFICE_ID_PATTERN)),
});

const ChangeEventBase = z.object({
  /** Unique per observation; the same change seen twice may carry two ids. */
  eventId: z.string().check(z.minLength(1), z.maxLength(128)),
  action: z.enum(["upsert", "delete"]),
  /** `operator`: a person asked for the record to be looked at again (syncctl retry, the console). */
  source: z.enum(["webhook", "poller", "backfill", "replay", "operator"]),
  /** ISO 8601: when the producer saw the change. */
  observedAt: z.string().check(z.iso.datetime({ offset: true })),
  /** Follows one change from webhook to write, through logs of every function. */
  correlationId: z.string().check(z.minLength(1), z.maxLength(128)),
  /** How many times the worker put this change back to wait (a rate limit, a busy claim): bounded. */
  postponed: z.optional(z.number().check(z.int(), z.nonnegative())),
  /** ISO 8601: when the first of those postponed copies was seen. */
  firstSeenAt: z.optional(z.string().check(z.iso.datetime({ offset: true }))),
});

export const ChangeEventSchema = z.discriminatedUnion("system", [
  z.extend(ChangeEventBase, ExactRef.shape),
  z.extend(ChangeEventBase, CrmOfficeRef.shape),
]);

export type ChangeEvent = z.infer<typeof ChangeEventSchema>;
export type RecordSystem = ChangeEvent["system"];
