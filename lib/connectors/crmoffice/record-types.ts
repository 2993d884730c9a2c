/**
 * CRMOffice's record types, each declared once (the contract we assume, crmoffice-api.md): the
 * collection path, the webhook events that report changes, the writable fields (flat, dotted
 * names for nested ones), the one field a list can be filtered by, and what a create needs. The
 * connector, the webhook parser, the subscriptions and the change event's record types derive
 * from this table.
 *
 * Plain data on purpose: the webhook functions import it and must not pull in the connector.
 */
export interface CrmOfficeRecordTypeDeclaration {
  /** The type's name in CRMOffice, as the dataflow document writes it. */
  label: string;
  /** Collection path, e.g. `/contacts`. */
  path: string;
  /** The `<entity>` of the webhook events `<entity>.created|updated|deleted`. */
  webhookEntity: string;
  /** Every writable field, flattened; CRMOffice's PUT replaces all of them. */
  fields: readonly string[];
  /** The one field `findBy` can search on, through the list filter of the same name. */
  findableField: string;
  /** Whether the API can write it (every CRMOffice type can). */
  writable: boolean;
  /** Groups of fields of which each needs at least one value before CRMOffice accepts a create. */
  requiredToCreate: readonly (readonly string[])[];
}

/** The key of every CRMOffice record, assigned by CRMOffice. */
export const CRMOFFICE_KEY_FIELD = "id";
/**
 * What a CRMOffice id may look like before it is put in a URL path: letters, digits, `-` and `_`
 * (its ids are UUIDs). Nothing that could walk the path (`..`, `/`, `%2F`) or add a query.
 */
export const CRMOFFICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** Changes on every accepted write; ISO 8601 UTC. */
export const CRMOFFICE_MODIFIED_FIELD = "modifiedAt";
/** Set by CRMOffice; a caller may pass them back from a record it read, and they are never sent. */
export const CRMOFFICE_READ_ONLY_FIELDS: readonly string[] = [CRMOFFICE_KEY_FIELD, "createdAt", CRMOFFICE_MODIFIED_FIELD];

const address = (prefix: string) => ["streetAddress", "postCode", "postalArea", "country"].map((part) => `${prefix}.${part}`);

export const CRMOFFICE_RECORD_TYPES = {
  contact: {
    label: "Contacts",
    path: "/contacts",
    webhookEntity: "contact",
    fields: ["givenName", "familyName", "email", "directPhone", "mobilePhone", "company.id"],
    findableField: "email",
    writable: true,
    requiredToCreate: [["givenName", "familyName"]],
  },
  company: {
    label: "Companies",
    path: "/companies",
    webhookEntity: "company",
    fields: ["name", "orgNr", ...address("postAddress"), ...address("visitAddress")],
    findableField: "orgNr",
    writable: true,
    requiredToCreate: [["name"]],
  },
} as const satisfies Record<string, CrmOfficeRecordTypeDeclaration>;

export type CrmOfficeRecordType = keyof typeof CRMOFFICE_RECORD_TYPES;
export const CRMOFFICE_TYPES = Object.keys(CRMOFFICE_RECORD_TYPES) as [CrmOfficeRecordType, ...CrmOfficeRecordType[]];

/** What each webhook verb means for the record: still there (look at it) or gone. */
export const WEBHOOK_VERBS = { created: "upsert", updated: "upsert", deleted: "delete" } as const;
type Verb = keyof typeof WEBHOOK_VERBS;
type Entity = (typeof CRMOFFICE_RECORD_TYPES)[CrmOfficeRecordType]["webhookEntity"];
export type CrmOfficeWebhookEvent = `${Entity}.${Verb}`;

export const WEBHOOK_EVENTS = CRMOFFICE_TYPES.flatMap((type) =>
  (Object.keys(WEBHOOK_VERBS) as Verb[]).map((verb) => `${CRMOFFICE_RECORD_TYPES[type].webhookEntity}.${verb}` as CrmOfficeWebhookEvent),
) as [CrmOfficeWebhookEvent, ...CrmOfficeWebhookEvent[]];

/** The record type and action a webhook event names. */
export function parseWebhookEvent(event: CrmOfficeWebhookEvent): { type: CrmOfficeRecordType; action: (typeof WEBHOOK_VERBS)[Verb] } {
  const [entity, verb] = event.split(".") as [Entity, Verb];
  const type = CRMOFFICE_TYPES.find((candidate) => CRMOFFICE_RECORD_TYPES[candidate].webhookEntity === entity) as CrmOfficeRecordType;
  return { type, action: WEBHOOK_VERBS[verb] };
}
