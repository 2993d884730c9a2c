/**
 * The systems the sync connects, each by its record-type declaration: the one registration a
 * system needs for the engine to know what its record types are called, whether the API can
 * write them and what a create needs. (The connectors themselves are built in lib/config.)
 */
import { CRMOFFICE_RECORD_TYPES } from "#lib/connectors/crmoffice/record-types";
import { EXACT_RECORD_TYPES } from "#lib/connectors/exactonline/record-types";
import type { SystemName } from "#lib/connectors/types";

/** What the engine needs to know of any system's record type. */
export interface RecordTypeFacts {
  label: string;
  writable: boolean;
  requiredToCreate: readonly (readonly string[])[];
}

export const SYSTEM_RECORD_TYPES: Readonly<Record<SystemName, Readonly<Record<string, RecordTypeFacts>>>> = {
  exactonline: EXACT_RECORD_TYPES,
  crmoffice: CRMOFFICE_RECORD_TYPES,
};

export function recordTypeFacts(system: SystemName, type: string): RecordTypeFacts {
  const facts = Object.hasOwn(SYSTEM_RECORD_TYPES[system], type) ? SYSTEM_RECORD_TYPES[system][type] : undefined;
  if (!facts) throw new Error(`${system} declares no record type ${type}`);
  return facts;
}
