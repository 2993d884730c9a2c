/**
 * The Exact resources behind the connector's record types: where each lives, how changes
 * to it are found, which fields are read and which may be written.
 */
import { ACCOUNT_FIELDS, CONTACT_FIELDS, EMPLOYEE_FIELDS, ITEM_FIELDS } from "./schemas";
import type { ExactFieldKinds } from "./schemas";

export type ExactRecordType = "contact" | "item" | "employee" | "account";
/** The types with a sync API (and a `sync/Deleted` EntityType). */
export type ExactSyncedType = "contact" | "item" | "employee";

export interface ExactResource {
  type: ExactRecordType;
  /** Path under `/api/v1/{division}/`. */
  endpoint: string;
  /** Fields read (the `$select`, besides ID and Modified), by wire kind. */
  fields: ExactFieldKinds;
  /** Fields Exact computes: read, never sent. */
  readOnlyFields: readonly string[];
  /** False where the API answers writes with 405 (Employees) or the sync never writes (Accounts). */
  writable: boolean;
}

export interface ExactSyncedResource extends ExactResource {
  type: ExactSyncedType;
  syncEndpoint: string;
  /** `EntityType` of this resource's rows in `sync/Deleted`. */
  deletedEntityType: number;
}

export const EXACT_SYNCED_RESOURCES: Readonly<Record<ExactSyncedType, ExactSyncedResource>> = {
  contact: {
    type: "contact",
    endpoint: "crm/Contacts",
    syncEndpoint: "sync/CRM/Contacts",
    deletedEntityType: 5,
    fields: CONTACT_FIELDS,
    readOnlyFields: ["AccountName", "FullName"],
    writable: true,
  },
  item: {
    type: "item",
    endpoint: "logistics/Items",
    syncEndpoint: "sync/Logistics/Items",
    deletedEntityType: 9,
    fields: ITEM_FIELDS,
    readOnlyFields: [],
    writable: true,
  },
  employee: {
    type: "employee",
    endpoint: "payroll/Employees",
    syncEndpoint: "sync/Payroll/Employees",
    deletedEntityType: 42,
    fields: EMPLOYEE_FIELDS,
    readOnlyFields: Object.keys(EMPLOYEE_FIELDS),
    writable: false,
  },
};

export const EXACT_RESOURCES: Readonly<Record<ExactRecordType, ExactResource>> = {
  ...EXACT_SYNCED_RESOURCES,
  account: {
    type: "account",
    endpoint: "crm/Accounts",
    fields: ACCOUNT_FIELDS,
    readOnlyFields: Object.keys(ACCOUNT_FIELDS),
    writable: false,
  },
};

/** The `$select` of a resource: its fields plus the key and the change time. */
export function selectedFields(resource: ExactResource): string[] {
  return ["ID", ...Object.keys(resource.fields), "Modified"];
}

/** Our record type of a `sync/Deleted` row, or undefined for entity types the sync does not follow. */
export function typeOfDeletedEntity(entityType: number): ExactSyncedType | undefined {
  return Object.values(EXACT_SYNCED_RESOURCES).find((resource) => resource.deletedEntityType === entityType)?.type;
}
