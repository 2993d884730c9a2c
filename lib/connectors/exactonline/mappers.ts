/**
 * Exact's wire records ⇄ the engine's SystemRecord. Dates: `/Date(ms)/` in Amsterdam wall-clock
 * time in, ISO UTC out, and back to Exact as zone-less ISO in Amsterdam time (writing
 * `/Date(ms)/` has been seen to fail). Strings trimmed: Exact pads fixed-width ones (an
 * Account's Code to 18 characters, Country to 3), and padding is neither a value nor a change.
 * Absent fields read as null; read-only fields are never sent.
 */
import type { Fields, FieldValue, SystemRecord } from "../types";
import { ClientRequestError } from "../errors";
import { fromExactDate, toExactDateTime } from "./dates";
import { isGuid } from "./odata";
import type { ExactFieldKind } from "./record-types";
import type { ExactResource } from "./resources";
import type { ExactWireRecord } from "./schemas";

function readValue(kind: ExactFieldKind, value: unknown): FieldValue {
  if (value === undefined || value === null) return null;
  if (kind === "date") return fromExactDate(value as string);
  if (kind === "string") return (value as string).trim();
  return value as FieldValue;
}

/** The schema-checked wire record as the engine sees it: `modifiedAt` from `Modified`. */
export function toSystemRecord(resource: ExactResource, wire: ExactWireRecord): SystemRecord {
  const fields: Fields = {};
  for (const [name, kind] of Object.entries(resource.fields)) fields[name] = readValue(kind, wire[name]);
  return { id: wire.ID.toLowerCase(), modifiedAt: fromExactDate(wire.Modified), fields };
}

function writeValue(kind: ExactFieldKind, value: FieldValue): FieldValue | undefined {
  if (value === null) return null;
  switch (kind) {
    case "string":
      return typeof value === "string" ? value.trim() : undefined;
    case "guid":
      return typeof value === "string" && isGuid(value) ? value : undefined;
    case "boolean":
      return typeof value === "boolean" ? value : undefined;
    case "date": {
      // A calendar date stays one: Exact reads it as Amsterdam midnight, as it writes date-only fields.
      if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value) && Number.isFinite(Date.parse(value))) return value;
      const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
      return Number.isFinite(ms) ? toExactDateTime(new Date(ms).toISOString()) : undefined;
    }
  }
}

/**
 * The body of a POST or PUT: the writable fields given, dates as Amsterdam time. Read-only
 * fields (which a caller may pass back from a record it read) are left out; a field the
 * resource does not have, or a value of the wrong kind, is refused before any call is made.
 */
export function toWriteBody(resource: ExactResource, fields: Fields): Record<string, FieldValue> {
  const body: Record<string, FieldValue> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (resource.readOnlyFields.includes(name)) continue;
    const kind = resource.fields[name];
    if (kind === undefined) {
      throw new ClientRequestError("exactonline", null, `exactonline: ${resource.type} has no writable field ${name}`);
    }
    const written = writeValue(kind, value);
    if (written === undefined) {
      throw new ClientRequestError("exactonline", null, `exactonline: ${resource.type}.${name} must be a ${kind} or null`);
    }
    body[name] = written;
  }
  return body;
}
