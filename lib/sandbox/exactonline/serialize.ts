/** Records out, in Exact's OData v2 JSON: `/Date(ms)/` dates and a `__metadata` block per record. */
import type { EntityDef, StoredRecord } from "./model";

export function toODataDate(ms: number): string {
  return `/Date(${ms})/`;
}

/** The record's fields in the entity's order, limited to `select` when given. */
export function serializeRecord(record: StoredRecord, entity: EntityDef, uri: string, select?: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { __metadata: { uri, type: entity.odataType } };
  for (const [name, def] of Object.entries(entity.fields)) {
    if (select && !select.includes(name)) continue;
    const value = record[name] ?? null;
    out[name] = def.type === "Edm.DateTime" && typeof value === "number" ? toODataDate(value) : value;
  }
  return out;
}
