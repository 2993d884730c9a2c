import { flowSide, type FlowDefinition } from "#lib/flows/definition";

/** Flow 2 — Exact Online Items ⇄ CRMOffice Companies (dataflows.md). */
export const exactItemsFlow: FlowDefinition = {
  name: "items",
  title: "ExactOnline Items ⇄ CRMOffice Companies",
  exactonline: flowSide("exactonline", "item"),
  crmoffice: flowSide("crmoffice", "company"),
  fields: [
    {
      name: "name",
      exactonline: "Description",
      crmoffice: "name",
      crmofficeType: "string",
      direction: "both",
      // Exact refuses a Description over 60 characters.
      transform: { exactonline: { maxLength: 60 } },
      basis: "our choice: the display name of each side",
    },
    {
      name: "code",
      exactonline: "Code",
      crmoffice: "orgNr",
      crmofficeType: "string",
      direction: "both",
      basis: "our choice: the unique business key of each side; used as merge criterion",
    },
  ],
  matchBy: { field: "code", caseInsensitive: false },
  createOn: ["exactonline", "crmoffice"],
  deletePolicy: "unlink",
  conflictPolicy: "latest-modified-wins",
};
