/**
 * CRMOffice's nested records ⇄ the engine's flat field maps. Nested objects become dotted
 * keys (`company.id`, `postAddress.streetAddress`) and back; a nested object that is null or
 * absent reads as nulls, and one whose fields are all null is written as null.
 */
import type { Fields, FieldValue, SystemRecord } from "../types";
import { ClientRequestError } from "../errors";
import { CRMOFFICE_READ_ONLY_FIELDS } from "./record-types";
import type { CrmOfficeResource } from "./resources";

type Nested = { [key: string]: FieldValue | Nested | undefined };

function valueAt(record: unknown, path: string): FieldValue {
  let value: unknown = record;
  for (const segment of path.split(".")) {
    if (value === null || typeof value !== "object") return null;
    value = (value as Record<string, unknown>)[segment];
  }
  return value === undefined ? null : (value as FieldValue);
}

/** The values at `paths` of a nested record, keyed by path; null where absent. */
export function flatten(record: object, paths: readonly string[]): Fields {
  const fields: Fields = {};
  for (const path of paths) fields[path] = valueAt(record, path);
  return fields;
}

function allNull(value: FieldValue | Nested | undefined): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value !== "object") return false;
  return Object.values(value).every(allNull);
}

/** Dotted keys back into nested objects; a nested object with nothing but nulls becomes null. */
export function unflatten(fields: Fields): Nested {
  const root: Nested = {};
  for (const [path, value] of Object.entries(fields)) {
    const segments = path.split(".");
    const last = segments.pop() as string;
    let node = root;
    for (const segment of segments) {
      const child = node[segment];
      node = child !== null && typeof child === "object" ? child : (node[segment] = {});
    }
    node[last] = value;
  }
  const collapse = (node: Nested): Nested => {
    const out: Nested = {};
    for (const [key, value] of Object.entries(node)) {
      out[key] = value !== null && typeof value === "object" ? (allNull(value) ? null : collapse(value)) : value;
    }
    return out;
  };
  return collapse(root);
}

/** The schema-checked wire record as the engine sees it; `modifiedAt` normalised to ISO UTC. */
export function toSystemRecord(resource: CrmOfficeResource, wire: { id: string; modifiedAt: string }): SystemRecord {
  return {
    id: wire.id,
    modifiedAt: new Date(wire.modifiedAt).toISOString(),
    fields: flatten(wire, resource.fields),
  };
}

/**
 * A request body from flat fields: read-only fields dropped, anything the resource does not
 * have (or a value that is not a string or null) refused before any call.
 */
export function toWriteBody(resource: CrmOfficeResource, fields: Fields): Nested {
  const writable: Fields = {};
  for (const [name, value] of Object.entries(fields)) {
    if (CRMOFFICE_READ_ONLY_FIELDS.includes(name)) continue;
    if (!resource.fields.includes(name)) {
      throw new ClientRequestError("crmoffice", null, `crmoffice: ${resource.type} has no writable field ${name}`);
    }
    if (value !== null && typeof value !== "string") {
      throw new ClientRequestError("crmoffice", null, `crmoffice: ${resource.type}.${name} must be a string or null`);
    }
    writable[name] = value;
  }
  return unflatten(writable);
}
