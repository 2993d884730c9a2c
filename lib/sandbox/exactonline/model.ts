/**
 * How the sandbox describes an Exact entity: its fields, their Edm types, which a client may
 * write, and which come back fixed-width. Everything else (validation, $select, $filter,
 * serialisation) reads these descriptions; the entities themselves are in `entities.ts`.
 */

/** Edm types in use; dates are held as real instants (epoch ms) and sent as Amsterdam time. */
export type FieldType = "Edm.Guid" | "Edm.String" | "Edm.DateTime" | "Edm.Boolean" | "Edm.Int32" | "Edm.Int64" | "Edm.Double";

/** A string Exact stores in a fixed-width column and sends padded with spaces. */
export interface FixedWidth {
  width: number;
  /** `right`: leading spaces (`"           0000003"`); `left`: trailing ones (`"FR "`). */
  align: "left" | "right";
}

export interface FieldDef {
  type: FieldType;
  /** A client may set it (POST/PUT, or the sandbox's own employee route). */
  writable: boolean;
  maxLength?: number;
  fixedWidth?: FixedWidth;
}

export type StoredValue = string | number | boolean | null;
/** One row as held in memory: Exact field names, dates as epoch ms, strings unpadded. */
export type Row = Record<string, StoredValue>;
/** A row of a resource keyed by a Guid `ID`. */
export type StoredRecord = Row & { ID: string };

export interface EntityDef {
  /** The OData type name Exact reports in `__metadata.type`. */
  odataType: string;
  /** The key field: `ID` (a Guid) for most, `Code` (a number) for divisions, `UserID` for Me. */
  key: string;
  fields: Record<string, FieldDef>;
}

/** Marks a field a client may write, for readable tables: `FirstName: text(W)`. */
export const W = true;

export const guid = (writable = false): FieldDef => ({ type: "Edm.Guid", writable });
export const text = (writable = false, options: { maxLength?: number; fixedWidth?: FixedWidth } = {}): FieldDef => ({
  type: "Edm.String",
  writable,
  ...options,
});
export const date = (writable = false): FieldDef => ({ type: "Edm.DateTime", writable });
export const bool = (writable = false): FieldDef => ({ type: "Edm.Boolean", writable });
export const int32 = (writable = false): FieldDef => ({ type: "Edm.Int32", writable });
export const int64 = (writable = false): FieldDef => ({ type: "Edm.Int64", writable });
export const double = (writable = false): FieldDef => ({ type: "Edm.Double", writable });

/** Account and Contact codes: numeric strings right-aligned in 18 characters. */
export const CODE_WIDTH: FixedWidth = { width: 18, align: "right" };

/** Fields that are fixed-width wherever they appear (exactonline-api.md: `"FR "`, `"FR        "`). */
const FIXED_WIDTH_BY_NAME: Record<string, FixedWidth> = {
  Country: { width: 3, align: "left" },
  Language: { width: 10, align: "left" },
};

/** An entity; `Country` and `Language` get their fixed widths wherever they are declared. */
export function entity(odataType: string, fields: Record<string, FieldDef>, key = "ID"): EntityDef {
  const withWidths = Object.fromEntries(
    Object.entries(fields).map(([name, def]) => {
      const fixedWidth = FIXED_WIDTH_BY_NAME[name];
      return [name, fixedWidth && def.type === "Edm.String" ? { ...def, fixedWidth } : def];
    }),
  );
  return { odataType, key, fields: withWidths };
}

/** A field's value as Exact reports it: unset booleans are false and unset doubles 0 (not nullable there). */
export function fieldValue(row: Row, name: string, def: FieldDef): StoredValue {
  const value = row[name];
  if (value !== undefined && value !== null) return value;
  if (def.type === "Edm.Boolean") return false;
  if (def.type === "Edm.Double") return 0;
  return null;
}

/** A fixed-width string as it goes out on the wire. */
export function padded(value: string, fixedWidth: FixedWidth): string {
  return fixedWidth.align === "right" ? value.padStart(fixedWidth.width, " ") : value.padEnd(fixedWidth.width, " ");
}
