/**
 * Exact Online's record types, each declared once: where it lives, how its changes are found
 * (sync feed, `sync/Deleted` EntityType, webhook topic), its key and change-time fields, the
 * fields the sync reads, which of them Exact computes, and what a create needs. The connector's
 * URLs and schemas, the poller's feeds, the webhook topics and subscriptions, and the change
 * event's record types all derive from this table; adding a record type is adding it here and
 * writing the flow that uses it.
 *
 * Plain data on purpose: the webhook functions import it and must not pull in the connector.
 */

/** How a field is typed on the wire, which decides how it is read, written and filtered. */
export type ExactFieldKind = "string" | "guid" | "date" | "boolean";
export type ExactFieldKinds = Readonly<Record<string, ExactFieldKind>>;

export interface ExactRecordTypeDeclaration {
  /** The resource's name in Exact, as the dataflow document writes it. */
  label: string;
  /** Path under `/api/v1/{division}/`. */
  endpoint: string;
  /** The sync API feed of changed rows (by `Timestamp`); null where Exact has none or the sync needs none. */
  syncFeed: string | null;
  /** `EntityType` of this resource's rows in `sync/Deleted`. */
  deletedEntityType: number | null;
  /** The webhook topic that reports its changes; null where Exact has none (employees: poll). */
  webhookTopic: string | null;
  /** Fields read (the `$select`, besides the key and the change time), by wire kind. */
  fields: ExactFieldKinds;
  /** Fields Exact computes on a writable type: read, never sent. */
  readOnlyFields: readonly string[];
  /** False where the API answers writes with 405 (Employees) or the sync never writes (Accounts). */
  writable: boolean;
  /** Groups of fields of which each needs at least one value before Exact accepts a create. */
  requiredToCreate: readonly (readonly string[])[];
}

/** The key of every Exact resource the sync reads: a Guid. */
export const EXACT_KEY_FIELD = "ID";
/** When Exact last changed the record (Amsterdam wall-clock time on the wire, see dates.ts). */
export const EXACT_MODIFIED_FIELD = "Modified";

/*
 * Contacts: only the main Email, Phone and Mobile, since Exact's Business* twins overwrite
 * them. Employees: only the business contact fields, not the private ones (Phone, Mobile and
 * Email are the employee's private data, null for most users).
 */
export const EXACT_RECORD_TYPES = {
  contact: {
    label: "Contacts",
    endpoint: "crm/Contacts",
    syncFeed: "sync/CRM/Contacts",
    deletedEntityType: 5,
    webhookTopic: "Contacts",
    fields: {
      Account: "guid",
      AccountName: "string",
      FirstName: "string",
      LastName: "string",
      FullName: "string",
      Email: "string",
      Phone: "string",
      Mobile: "string",
      JobTitleDescription: "string",
    },
    readOnlyFields: ["AccountName", "FullName"],
    writable: true,
    requiredToCreate: [["Account"], ["FirstName", "LastName"]],
  },
  item: {
    label: "Items",
    endpoint: "logistics/Items",
    syncFeed: "sync/Logistics/Items",
    deletedEntityType: 9,
    webhookTopic: "Items",
    fields: {
      Code: "string",
      Description: "string",
      ExtraDescription: "string",
      SearchCode: "string",
      Notes: "string",
      IsSalesItem: "boolean",
      IsStockItem: "boolean",
      StartDate: "date",
      EndDate: "date",
    },
    readOnlyFields: [],
    writable: true,
    requiredToCreate: [["Code"], ["Description"]],
  },
  employee: {
    label: "Employees",
    endpoint: "payroll/Employees",
    syncFeed: "sync/Payroll/Employees",
    deletedEntityType: 42,
    webhookTopic: null,
    fields: {
      Code: "string",
      FirstName: "string",
      LastName: "string",
      FullName: "string",
      BusinessEmail: "string",
      BusinessPhone: "string",
      BusinessMobile: "string",
      IsActive: "boolean",
      StartDate: "date",
      EndDate: "date",
    },
    readOnlyFields: [],
    writable: false,
    requiredToCreate: [],
  },
  account: {
    label: "Accounts",
    endpoint: "crm/Accounts",
    syncFeed: null,
    deletedEntityType: null,
    webhookTopic: null,
    fields: { Code: "string", Name: "string" },
    readOnlyFields: [],
    writable: false,
    requiredToCreate: [],
  },
} as const satisfies Record<string, ExactRecordTypeDeclaration>;

type Declared = typeof EXACT_RECORD_TYPES;
export type ExactRecordType = keyof Declared;
/** The types with a sync API feed (and a `sync/Deleted` EntityType): the ones whose changes the sync follows. */
export type ExactSyncedType = { [T in ExactRecordType]: Declared[T]["syncFeed"] extends string ? T : never }[ExactRecordType];
export type ExactWebhookTopic = NonNullable<Declared[ExactRecordType]["webhookTopic"]>;

const declared = Object.entries(EXACT_RECORD_TYPES) as [ExactRecordType, ExactRecordTypeDeclaration][];

export const EXACT_SYNCED_TYPES = declared.filter(([, declaration]) => declaration.syncFeed !== null).map(([type]) => type) as [
  ExactSyncedType,
  ...ExactSyncedType[],
];

/** Our record type of a webhook topic, or undefined for topics the sync does not follow. */
export function typeOfWebhookTopic(topic: string): ExactRecordType | undefined {
  return declared.find(([, declaration]) => declaration.webhookTopic === topic)?.[0];
}

/** Our record type of a `sync/Deleted` row, or undefined for entity types the sync does not follow. */
export function typeOfDeletedEntity(entityType: number): ExactSyncedType | undefined {
  return declared.find(([, declaration]) => declaration.deletedEntityType === entityType)?.[0] as ExactSyncedType | undefined;
}

/** Every webhook topic the declared types have. */
export const EXACT_WEBHOOK_TOPICS = declared.flatMap(([, declaration]) => (declaration.webhookTopic ? [declaration.webhookTopic] : [])) as [
  ExactWebhookTopic,
  ...ExactWebhookTopic[],
];
