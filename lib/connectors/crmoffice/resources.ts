/**
 * The connector's view of CRMOffice's record types (record-types.ts): the declaration with the
 * wire schema each is read with.
 */
import { CRMOFFICE_RECORD_TYPES } from "./record-types";
import type { CrmOfficeRecordType, CrmOfficeRecordTypeDeclaration } from "./record-types";
import { companySchema, contactSchema } from "./schemas";

export interface CrmOfficeResource extends CrmOfficeRecordTypeDeclaration {
  type: CrmOfficeRecordType;
  schema: typeof contactSchema | typeof companySchema;
}

const SCHEMAS: Record<CrmOfficeRecordType, CrmOfficeResource["schema"]> = { contact: contactSchema, company: companySchema };

const resource = (type: CrmOfficeRecordType): CrmOfficeResource => ({ type, ...CRMOFFICE_RECORD_TYPES[type], schema: SCHEMAS[type] });

export const CRMOFFICE_RESOURCES: Readonly<Record<CrmOfficeRecordType, CrmOfficeResource>> = {
  contact: resource("contact"),
  company: resource("company"),
};
