import { flowSide, type FlowDefinition } from "#lib/flows/definition";

const analogous = "analogous published mappings";

/** Flow 3 — Exact Online Contacts ⇄ CRMOffice Contacts (dataflows.md). */
export const exactContactsFlow: FlowDefinition = {
  name: "contacts",
  title: "ExactOnline Contacts ⇄ CRMOffice Contacts",
  exactonline: flowSide("exactonline", "contact", { createDefaults: { Account: "EXACT_DEFAULT_ACCOUNT_ID" } }),
  crmoffice: flowSide("crmoffice", "contact"),
  fields: [
    { name: "firstName", exactonline: "FirstName", crmoffice: "givenName", crmofficeType: "string", direction: "both", basis: analogous },
    { name: "lastName", exactonline: "LastName", crmoffice: "familyName", crmofficeType: "string", direction: "both", basis: analogous },
    { name: "phone", exactonline: "Phone", crmoffice: "directPhone", crmofficeType: "string", direction: "both", basis: analogous },
    { name: "mobile", exactonline: "Mobile", crmoffice: "mobilePhone", crmofficeType: "string", direction: "both", basis: analogous },
    { name: "email", exactonline: "Email", crmoffice: "email", crmofficeType: "string", direction: "both", basis: "our extension" },
  ],
  matchBy: { field: "email", caseInsensitive: true },
  createOn: ["exactonline", "crmoffice"],
  deletePolicy: "unlink",
  conflictPolicy: "latest-modified-wins",
};
