/**
 * Exact Online's wire shapes (OData v2 JSON). Lenient where the real API is (any field may be
 * null or, outside a `$select`, absent), strict where the connector depends on a value: the
 * `ID` Guid, `Modified`, sync `Timestamp`s, token fields.
 */
import { z } from "zod";
import { ODATA_DATE_PATTERN } from "./dates";
import type { ExactFieldKind, ExactFieldKinds } from "./record-types";

export const odataDateSchema = z.string().regex(ODATA_DATE_PATTERN, "expected /Date(ms)/");

const KIND_SCHEMAS: Record<ExactFieldKind, z.ZodType> = {
  string: z.string(),
  guid: z.guid(),
  date: odataDateSchema,
  boolean: z.boolean(),
};

/** A record as read: the key, the change time, and the selected fields (unknown ones dropped). */
export type ExactWireRecord = { ID: string; Modified: string } & Record<string, unknown>;
/** A row of the sync API: a record with its row version. */
export type ExactWireSyncRow = ExactWireRecord & { Timestamp: number };

/**
 * The sync API's row version: an Int64, sent as a JSON number (OData writers may also send
 * Int64 as a string). Kept as a number, so refused beyond 2^53 rather than silently rounded.
 */
export const timestampSchema = z
  .union([z.number(), z.string().regex(/^\d+$/).transform(Number)])
  .pipe(z.number().int().nonnegative().refine(Number.isSafeInteger, "Timestamp beyond 2^53"));

function fieldShape(fields: ExactFieldKinds): Record<string, z.ZodType> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, kind] of Object.entries(fields)) shape[name] = KIND_SCHEMAS[kind].nullish();
  return shape;
}

export function wireRecordSchema(fields: ExactFieldKinds): z.ZodType<ExactWireRecord> {
  return z.object({ ...fieldShape(fields), ID: z.guid(), Modified: odataDateSchema }) as z.ZodType<ExactWireRecord>;
}

/**
 * What a POST's answer must hold at least. Without `Prefer: return=representation` Exact fills
 * only `ID` (every other property null), and an intermediary may drop the header: a null
 * `Modified` marks that thin answer.
 */
export const createdKeySchema = z.object({ ID: z.guid(), Modified: odataDateSchema.nullish() });

export function syncRowSchema(fields: ExactFieldKinds): z.ZodType<ExactWireSyncRow> {
  return z.object({
    ...fieldShape(fields),
    ID: z.guid(),
    Modified: odataDateSchema,
    Timestamp: timestampSchema,
  }) as z.ZodType<ExactWireSyncRow>;
}

/** `sync/Deleted`: EntityType 5 = Contacts, 9 = Items, 42 = Employees. */
export const deletedRowSchema = z.object({
  Timestamp: timestampSchema,
  EntityKey: z.guid(),
  EntityType: z.number().int(),
  DeletedDate: odataDateSchema.nullish(),
});
export const DELETED_FIELDS = Object.keys(deletedRowSchema.shape);

export const meSchema = z.object({ CurrentDivision: z.number().int().positive(), UserID: z.guid() });

/** `system/Divisions`: a division moved to another database has its sync Timestamps renumbered. */
export const divisionSchema = z.object({ Code: z.number().int().positive(), DivisionMoveDate: odataDateSchema.nullish() });

export const webhookSubscriptionSchema = z.object({
  ID: z.guid(),
  CallbackURL: z.string(),
  Topic: z.string(),
});

/** `/api/oauth2/token`; Exact sends `expires_in` as a string ("600"). */
export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  token_type: z.string(),
  expires_in: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).pipe(z.number().int().positive()),
});

export const tokenErrorSchema = z.object({
  error: z.string(),
  error_description: z.string().nullish(),
});

/** `{"error":{"code":"","message":{"lang":"","value":"<text>"}}}` */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().nullish(),
    message: z.union([z.object({ lang: z.string().nullish(), value: z.string() }), z.string()]),
  }),
});

export function listEnvelopeSchema<Row extends z.ZodType>(row: Row) {
  return z.object({
    d: z.object({
      results: z.array(row),
      __next: z.string().min(1).nullish(),
    }),
  });
}

/** A single record is `{"d":{…}}`; some endpoints (Me, and by-key reads in some clients' experience) wrap it as a one-row `results`. */
export function singleEnvelopeSchema<Row extends z.ZodType>(row: Row) {
  return z.object({
    d: z.union([z.object({ results: z.tuple([row]) }).transform((d) => d.results[0]), row]),
  });
}
