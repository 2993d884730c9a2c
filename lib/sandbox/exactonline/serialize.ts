/**
 * Rows out, in Exact's OData v2 JSON: a `__metadata` block per record, dates as `/Date(n)/`
 * in Amsterdam wall-clock time, fixed-width strings padded, and (when the sandbox is started
 * with `int64AsString`) Edm.Int64 values as JSON strings, as OData v2 writers send them.
 */
import { toExactDate } from "./amsterdam-time";
import { fieldValue, padded } from "./model";
import type { EntityDef, FieldDef, Row, StoredValue } from "./model";

export interface WireFormat {
  /** Send Edm.Int64 values (Timestamp) as JSON strings (`"12345"`), as OData v2 JSON writers do. */
  int64AsString: boolean;
}

function wireValue(value: StoredValue, def: FieldDef, format: WireFormat): unknown {
  if (value === null) return null;
  if (def.type === "Edm.DateTime" && typeof value === "number") return toExactDate(value);
  if (def.type === "Edm.Int64" && format.int64AsString && typeof value === "number") return String(value);
  if (def.fixedWidth && typeof value === "string") return padded(value, def.fixedWidth);
  return value;
}

/** The row's fields in the entity's order, limited to `select` when given. */
export function serializeRecord(
  row: Row,
  entity: EntityDef,
  uri: string,
  format: WireFormat,
  select?: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = { __metadata: { uri, type: entity.odataType } };
  for (const [name, def] of Object.entries(entity.fields)) {
    if (select && !select.includes(name)) continue;
    out[name] = wireValue(fieldValue(row, name, def), def, format);
  }
  return out;
}

/**
 * What a POST answers without `Prefer: return=representation`: every property null except the
 * key (exactonline-api.md; seen in recordings of `crm/Contacts` and `logistics/Items` creates).
 */
export function thinRecord(row: Row, entity: EntityDef, uri: string, format: WireFormat): Record<string, unknown> {
  const out: Record<string, unknown> = { __metadata: { uri, type: entity.odataType } };
  for (const [name, def] of Object.entries(entity.fields)) {
    out[name] = name === entity.key ? wireValue(row[name] ?? null, def, format) : null;
  }
  return out;
}

/** Whether a request asked for the written record back. */
export function wantsRepresentation(prefer: string | string[] | undefined): boolean {
  return /return=representation/i.test(String(prefer ?? ""));
}
