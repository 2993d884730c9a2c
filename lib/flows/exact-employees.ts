import type { FlowDefinition } from "#lib/flows/definition";

const analogous = "analogous published mappings";

/**
 * Flow 1 — Exact Online Employees → CRMOffice Contacts (dataflows.md). Exact's Employees API
 * is read-only, so Exact owns every field: a CRMOffice edit stays in CRMOffice until Exact
 * changes the same field.
 */
export const exactEmployeesFlow: FlowDefinition = {
  name: "employees",
  title: "ExactOnline Employees → CRMOffice Contacts",
  exactonline: { type: "employee", label: "Employees", writable: false, requiredToCreate: [] },
  crmoffice: { type: "contact", label: "Contacts", writable: true, requiredToCreate: [["givenName", "familyName"]] },
  fields: [
    {
      name: "firstName",
      exactonline: "FirstName",
      crmoffice: "givenName",
      crmofficeType: "string",
      direction: "toCrmoffice",
      owner: "exactonline",
      basis: analogous,
    },
    {
      name: "lastName",
      exactonline: "LastName",
      crmoffice: "familyName",
      crmofficeType: "string",
      direction: "toCrmoffice",
      owner: "exactonline",
      basis: analogous,
    },
    {
      name: "phone",
      // The work phone: an employee's Phone is private (dataflows.md, exactonline-api.md).
      exactonline: "BusinessPhone",
      crmoffice: "directPhone",
      crmofficeType: "string",
      direction: "toCrmoffice",
      owner: "exactonline",
      basis: analogous,
    },
    {
      name: "mobile",
      exactonline: "BusinessMobile",
      crmoffice: "mobilePhone",
      crmofficeType: "string",
      direction: "toCrmoffice",
      owner: "exactonline",
      basis: analogous,
    },
    {
      name: "email",
      exactonline: "BusinessEmail",
      crmoffice: "email",
      crmofficeType: "string",
      direction: "toCrmoffice",
      owner: "exactonline",
      basis: "our extension",
    },
  ],
  matchBy: { field: "email", caseInsensitive: true },
  createOn: ["crmoffice"],
  deletePolicy: "unlink",
  conflictPolicy: "latest-modified-wins",
};
