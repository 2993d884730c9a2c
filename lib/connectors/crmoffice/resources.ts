/**
 * The CRMOffice record types the connector serves, with the flat (dotted) field names the
 * engine sees: `company.id`, `postAddress.streetAddress`, ...
 */
import { companySchema, contactSchema } from "./schemas";

export type CrmOfficeRecordType = "contact" | "company";

export interface CrmOfficeResource {
  type: CrmOfficeRecordType;
  /** Collection path, e.g. `/contacts`. */
  path: string;
  schema: typeof contactSchema | typeof companySchema;
  /** Every writable field, flattened; CRMOffice's PUT replaces all of them. */
  fields: readonly string[];
  /** The one field `findBy` can search on, through the list filter of the same name. */
  findableField: string;
}

const address = (prefix: string) => ["streetAddress", "postCode", "postalArea", "country"].map((part) => `${prefix}.${part}`);

export const CRMOFFICE_RESOURCES: Readonly<Record<CrmOfficeRecordType, CrmOfficeResource>> = {
  contact: {
    type: "contact",
    path: "/contacts",
    schema: contactSchema,
    fields: ["givenName", "familyName", "email", "directPhone", "mobilePhone", "company.id"],
    findableField: "email",
  },
  company: {
    type: "company",
    path: "/companies",
    schema: companySchema,
    fields: ["name", "orgNr", ...address("postAddress"), ...address("visitAddress")],
    findableField: "orgNr",
  },
};

/** Set by CRMOffice; a caller may pass them back from a record it read, and they are never sent. */
export const READ_ONLY_FIELDS: readonly string[] = ["id", "createdAt", "modifiedAt"];
