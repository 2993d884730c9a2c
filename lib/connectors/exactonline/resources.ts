/**
 * The connector's view of Exact's record types (record-types.ts): the declaration with what
 * reading and writing need, e.g. the `$select` of each.
 */
import { EXACT_KEY_FIELD, EXACT_MODIFIED_FIELD, EXACT_RECORD_TYPES } from "./record-types";
import type { ExactRecordType, ExactRecordTypeDeclaration, ExactSyncedType } from "./record-types";

export interface ExactResource extends ExactRecordTypeDeclaration {
  type: ExactRecordType;
}

export interface ExactSyncedResource extends ExactResource {
  type: ExactSyncedType;
  syncFeed: string;
  deletedEntityType: number;
}

export function exactResource(type: ExactRecordType): ExactResource {
  return { type, ...EXACT_RECORD_TYPES[type] };
}

export function exactSyncedResource(type: ExactSyncedType): ExactSyncedResource {
  return exactResource(type) as ExactSyncedResource;
}

/** The `$select` of a resource: its fields plus the key and the change time. */
export function selectedFields(resource: ExactResource): string[] {
  return [EXACT_KEY_FIELD, ...Object.keys(resource.fields), EXACT_MODIFIED_FIELD];
}
