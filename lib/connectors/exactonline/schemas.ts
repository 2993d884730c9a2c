/**
 * Exact Online's wire shapes (OData v2 JSON). Lenient where the real API is (any field may be
 * null or, outside a `$select`, absent), strict where the connector depends on a value: the
 * `ID` Guid, `Modified`, sync `Timestamp`s, token fields.
 */
import * as z from "#lib/util/zod-mini";
import { ODATA_DATE_PATTERN } from "./dates";
import type { ExactFieldKind, ExactFieldKinds } from "./record-types";

export const odataDateSchema = z.string().check(z.regex(ODATA_DATE_PATTERN, "expected /Date(ms)/"));

const KIND_SCHEMAS: Record<ExactFieldKind, z.ZodMiniType> = {
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
export const timestampSchema = z.pipe(
  z.union([z.number(), z.pipe(z.string().check(z.regex(/^\d+$/)), z.transform(Number))]),
  z.number().check(z.int(), z.nonnegative(), z.refine(Number.isSafeInteger, "Timestamp beyond 2^53")),
);

function fieldShape(fields: ExactFieldKinds): Record<string, z.ZodMiniType> {
  const shape: Record<string, z.ZodMiniType> = {};
  for (const [name, kind] of Object.entries(fields)) shape[name] = z.nullish(KIND_SCHEMAS[kind]);
  return shape;
}

export function wireRecordSchema(fields: ExactFieldKinds): z.ZodMiniType<ExactWireRecord> {
  return z.object({ ...fieldShape(fields), ID: z.guid(), Modified: odataDateSchema }) as z.ZodMiniType<ExactWireRecord>;
}

/**
 * What a POST's answer must hold at least. Without `Prefer: return=representation` Exact fills
 * only `ID` (every other property null), and an intermediary may drop the header: a null
 * `Modified` marks that thin answer.
 */
export const createdKeySchema = z.object({ ID: z.guid(), Modified: z.nullish(odataDateSchema) });

export function syncRowSchema(fields: ExactFieldKinds): z.ZodMiniType<ExactWireSyncRow> {
  return z.object({
    ...fieldShape(fields),
    ID: z.guid(),
    Modified: odataDateSchema,
    Timestamp: timestampSchema,
  }) as z.ZodMiniType<ExactWireSyncRow>;
}

/** `sync/Deleted`: EntityType 5 = Contacts, 9 = Items, 42 = Employees. */
export const deletedRowSchema = z.object({
  Timestamp: timestampSchema,
  EntityKey: z.guid(),
  EntityType: z.number().check(z.int()),
  DeletedDate: z.nullish(odataDateSchema),
});
export const DELETED_FIELDS = Object.keys(deletedRowSchema.shape);

export const meSchema = z.object({ CurrentDivision: z.number().check(z.int(), z.positive()), UserID: z.guid() });

/** `system/Divisions`: a division moved to another database has its sync Timestamps renumbered. */
export const divisionSchema = z.object({ Code: z.number().check(z.int(), z.positive()), DivisionMoveDate: z.nullish(odataDateSchema) });

export const webhookSubscriptionSchema = z.object({
  ID: z.guid(),
  CallbackURL: z.string(),
  Topic: z.string(),
});

/** `/api/oauth2/token`; Exact sends `expires_in` as a string ("600"). */
export const tokenResponseSchema = z.object({
  access_token: z.string().check(z.minLength(1)),
  refresh_token: z.string().check(z.minLength(1)),
  token_type: z.string(),
  expires_in: z.pipe(
    z.union([z.number(), z.pipe(z.string().check(z.regex(/^\d+$/)), z.transform(Number))]),
    z.number().check(z.int(), z.positive()),
  ),
});

export const tokenErrorSchema = z.object({
  error: z.string(),
  error_description: z.nullish(z.string()),
});

/** `{"error":{"code":"","message":{"lang":"","value":"<text>"}}}` */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.nullish(z.string()),
    message: z.union([z.object({ lang: z.nullish(z.string()), value: z.string() }), z.string()]),
  }),
});

export function listEnvelopeSchema<Row extends z.ZodMiniType>(row: Row) {
  return z.object({
    d: z.object({
      results: z.array(row),
      __next: z.nullish(z.string().check(z.minLength(1))),
    }),
  });
}

/** A single record is `{"d":{…}}`; some endpoints (Me, and by-key reads in some clients' experience) wrap it as a one-row `results`. */
export function singleEnvelopeSchema<Row extends z.ZodMiniType>(row: Row) {
  return z.object({
    d: z.union([
      z.pipe(
        z.object({ results: z.tuple([row]) }),
        z.transform((d: { results: [z.output<Row>] }) => d.results[0]),
      ),
      row,
    ]),
  });
}
