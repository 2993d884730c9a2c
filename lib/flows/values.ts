import { createHash } from "node:crypto";
import type { FieldValue, Fields, SystemRecord } from "#lib/connectors/types";
import type { FieldRule, FlowDefinition, Side, SideValues, WriteTransform } from "#lib/flows/definition";

/** Values compare after this: surrounding blanks and empty strings mean nothing to a user. */
export function normalize(value: FieldValue | undefined): FieldValue {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") {
    const trimmed = value.trim();
    return trimmed === "" ? null : trimmed;
  }
  return value;
}

/**
 * Identifies a record by its values in a flow's rows: the record we are about to create and the
 * record as the system then reports it have the same fingerprint.
 */
export function fingerprint(flow: FlowDefinition, side: Side, fields: Fields): string {
  const values = flow.fields.map((rule) => [rule.name, normalize(fields[rule[side]])]);
  return createHash("sha256")
    .update(JSON.stringify([flow.name, values]))
    .digest("hex")
    .slice(0, 32);
}

/** A record's values for the flow's rows, keyed by row name. */
export function project(flow: FlowDefinition, side: Side, record: SystemRecord): SideValues {
  return Object.fromEntries(flow.fields.map((rule) => [rule.name, normalize(record.fields[rule[side]])]));
}

export function applyTransform(value: FieldValue, transform: WriteTransform | undefined): FieldValue {
  if (transform?.maxLength !== undefined && typeof value === "string" && value.length > transform.maxLength) {
    return value.slice(0, transform.maxLength).trimEnd();
  }
  return value;
}

/** The value `target` holds once `value` from the other side has been written to it. */
export function crossValue(rule: FieldRule, target: Side, value: FieldValue): FieldValue {
  return normalize(applyTransform(value, rule.transform?.[target]));
}

/** Row-named values as the target system's fields. */
export function toSystemFields(flow: FlowDefinition, side: Side, values: SideValues): Fields {
  return Object.fromEntries(flow.fields.filter((rule) => rule.name in values).map((rule) => [rule[side], values[rule.name] ?? null]));
}

/** The row of the flow's merge criterion. */
export function matchRule(flow: FlowDefinition): FieldRule {
  const rule = flow.fields.find((field) => field.name === flow.matchBy.field);
  if (!rule) throw new Error(`flow ${flow.name} matches by ${flow.matchBy.field}, which is not one of its fields`);
  return rule;
}

/** Compares two values of the match row the way the flow's merge criterion says. */
export function matchKey(flow: FlowDefinition, value: FieldValue): string | null {
  const normal = normalize(value);
  if (normal === null) return null;
  const text = String(normal);
  return flow.matchBy.caseInsensitive ? text.toLowerCase() : text;
}

/** The required groups of a side that `fields` leaves empty, for the unsyncable reason. */
export function missingRequired(flow: FlowDefinition, side: Side, fields: Fields): (readonly string[])[] {
  return flow[side].requiredToCreate.filter((group) => group.every((field) => normalize(fields[field]) === null));
}

/** True when `a` holds every one of `b`'s values (the agreed values of a side against its record now). */
export function sameValues(a: SideValues | undefined, b: SideValues): boolean {
  return a !== undefined && Object.keys(b).every((name) => (a[name] ?? null) === b[name]);
}
