import type { Address, CompanyFields, ContactFields } from "./schemas";
import type { CrmOfficeStore } from "./store";

const address = (streetAddress: string, postCode: string, postalArea: string): Address => ({
  streetAddress,
  postCode,
  postalArea,
  country: "NO",
});

/**
 * The demo data set (`SANDBOX_SEED=demo`), fictional throughout. Each record shows one case
 * of the first sync:
 * - the first company's orgNr and name are an Exact demo item's Code and Description: they
 *   link on first sight, with nothing to change;
 * - the second company has no orgNr on purpose: it cannot become an Exact item (unsyncable);
 * - Kari is an Exact demo contact too (same email, names and phones): they link on first sight;
 * - Ola exists only here: the sync creates him in Exact.
 */
export const CRMOFFICE_DEMO_COMPANIES = {
  linked: {
    name: "Fjord Analytics AS",
    orgNr: "NO-918273645",
    postAddress: address("Postboks 123 Sentrum", "0102", "Oslo"),
    visitAddress: address("Storgata 1", "0155", "Oslo"),
  },
  withoutOrgNr: {
    name: "Fjellvind Rådgivning",
    orgNr: null,
    postAddress: address("Bryggen 7", "5003", "Bergen"),
    visitAddress: address("Bryggen 7", "5003", "Bergen"),
  },
} as const satisfies Record<string, CompanyFields>;

type DemoContact = Omit<ContactFields, "company"> & { company: keyof typeof CRMOFFICE_DEMO_COMPANIES };

export const CRMOFFICE_DEMO_CONTACTS = {
  matchedInExact: {
    givenName: "Kari",
    familyName: "Nordmann",
    email: "kari.nordmann@example.com",
    directPhone: "+47 22 00 00 01",
    mobilePhone: "+47 900 00 001",
    company: "linked",
  },
  onlyInCrmOffice: {
    givenName: "Ola",
    familyName: "Hansen",
    email: "ola.hansen@example.com",
    directPhone: null,
    mobilePhone: null,
    company: "withoutOrgNr",
  },
} as const satisfies Record<string, DemoContact>;

/** Loads the demo data; ids and order are the same on every start. */
export function seedDemoData(store: CrmOfficeStore): void {
  const companyIds = Object.fromEntries(
    Object.entries(CRMOFFICE_DEMO_COMPANIES).map(([key, fields]) => [key, store.createCompany(structuredClone(fields)).id]),
  ) as Record<keyof typeof CRMOFFICE_DEMO_COMPANIES, string>;
  for (const { company, ...fields } of Object.values(CRMOFFICE_DEMO_CONTACTS)) {
    store.createContact({ ...fields, company: { id: companyIds[company] } });
  }
}
