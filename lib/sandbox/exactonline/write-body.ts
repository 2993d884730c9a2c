/**
 * Reads a POST/PUT body the way Exact's OData layer does: a JSON object of known
 * properties, read-only ones silently ignored, an unknown one refused, each value checked
 * against its Edm type. Dates are accepted as ISO 8601 only (a zone-less value is Amsterdam
 * time, see `parseExactIsoDate`): the `/Date(n)/` form Exact sends out is refused on the way
 * in (the spec reports it failing with 400 on the real service). Fixed-width strings are
 * stored without their padding, whether or not the client sent it.
 */
import { z } from "zod";
import { parseExactIsoDate } from "./amsterdam-time";
import { ExactApiError } from "./errors";
import type { EntityDef, FieldDef, StoredValue } from "./model";

/** The writable values in the order the body gave them (order matters for mirrored fields). */
export type WriteChanges = Array<[field: string, value: StoredValue]>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WCF_DATE = /^\/Date\(-?\d+([+-]\d{4})?\)\/$/;

export function isGuid(text: string): boolean {
  return GUID.test(text);
}

const bodySchema = z.record(z.string(), z.unknown());

export function parseWriteBody(raw: Buffer, entity: EntityDef): WriteChanges {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString("utf8"));
  } catch {
    throw new ExactApiError(400, "Error processing request stream. The request body is not valid JSON.");
  }
  const parsed = bodySchema.safeParse(json);
  if (!parsed.success || Array.isArray(json)) {
    throw new ExactApiError(400, "Error processing request stream. A JSON object was expected.");
  }
  const changes: WriteChanges = [];
  for (const [name, value] of Object.entries(parsed.data)) {
    if (name === "__metadata") continue;
    const field = entity.fields[name];
    if (!field) {
      throw new ExactApiError(
        400,
        `Error processing request stream. The property name '${name}' specified for type '${entity.odataType}' is not valid.`,
      );
    }
    if (!field.writable) continue;
    changes.push([name, convertValue(name, field, value)]);
  }
  return changes;
}

function convertValue(name: string, field: FieldDef, value: unknown): StoredValue {
  if (value === null) return null;
  const invalid = (expected: string) => new ExactApiError(400, `Error processing request stream. Property '${name}' expects ${expected}.`);
  switch (field.type) {
    case "Edm.String": {
      if (typeof value !== "string") throw invalid("a string");
      const stored = field.fixedWidth ? value.trim() : value;
      if (field.maxLength !== undefined && stored.length > field.maxLength) {
        throw new ExactApiError(400, `${name}: the maximum length is ${field.maxLength} characters.`);
      }
      return stored;
    }
    case "Edm.Guid": {
      if (typeof value !== "string" || !isGuid(value)) throw invalid("a Guid");
      return value.toLowerCase();
    }
    case "Edm.Boolean": {
      if (typeof value !== "boolean") throw invalid("a Boolean");
      return value;
    }
    case "Edm.Int32":
    case "Edm.Int64": {
      if (typeof value !== "number" || !Number.isInteger(value)) throw invalid("an integer");
      return value;
    }
    case "Edm.Double": {
      if (typeof value !== "number" || !Number.isFinite(value)) throw invalid("a number");
      return value;
    }
    case "Edm.DateTime": {
      if (typeof value === "string" && WCF_DATE.test(value)) {
        throw new ExactApiError(
          400,
          `Error processing request stream. Property '${name}': the '/Date(...)/' format is not accepted on write; send ISO 8601.`,
        );
      }
      const ms = typeof value === "string" ? parseExactIsoDate(value) : undefined;
      if (ms === undefined) throw invalid("an ISO 8601 date");
      return ms;
    }
  }
}
