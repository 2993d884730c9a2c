import type { MonotonicClock } from "./clock";
import { RecordCollection } from "./collection";
import type { IdSequence } from "./ids";
import { modifiedSince, pageOf } from "./paging";
import type { Company, CompanyFields, CompanyListQuery, Contact, ContactFields, ContactListQuery, Page, WebhookEvent } from "./schemas";

/** One accepted write, as webhooks announce it. */
export interface RecordChange {
  type: WebhookEvent;
  recordId: string;
  occurredAt: string;
}

/**
 * The CRMOffice data: contacts and companies, the rules that tie them together, and a change
 * announced for every accepted write. Input is already validated (see rules.ts).
 */
export class CrmOfficeStore {
  private readonly contacts: RecordCollection<ContactFields>;
  private readonly companies: RecordCollection<CompanyFields>;

  constructor(
    clock: MonotonicClock,
    ids: IdSequence,
    private readonly onChange: (change: RecordChange) => void,
  ) {
    this.contacts = new RecordCollection<ContactFields>("contact", ids, clock);
    this.companies = new RecordCollection<CompanyFields>("company", ids, clock);
  }

  getContact(id: string): Contact | undefined {
    return this.contacts.get(id);
  }

  listContacts(query: ContactListQuery): Page<Contact> {
    const email = query.email?.toLowerCase();
    const matching = this.contacts.all().filter((contact) => email === undefined || contact.email?.toLowerCase() === email);
    return pageOf(modifiedSince(matching, query.modifiedSince), query.page, query.pageSize);
  }

  createContact(fields: ContactFields): Contact {
    const contact = this.contacts.create(fields);
    this.announce("contact.created", contact.id, contact.modifiedAt);
    return contact;
  }

  replaceContact(id: string, fields: ContactFields): Contact | undefined {
    const contact = this.contacts.replace(id, fields);
    if (contact) this.announce("contact.updated", contact.id, contact.modifiedAt);
    return contact;
  }

  deleteContact(id: string): boolean {
    const deletedAt = this.contacts.delete(id);
    if (deletedAt) this.announce("contact.deleted", id, deletedAt);
    return deletedAt !== undefined;
  }

  hasCompany(id: string): boolean {
    return this.companies.has(id);
  }

  getCompany(id: string): Company | undefined {
    return this.companies.get(id);
  }

  listCompanies(query: CompanyListQuery): Page<Company> {
    const matching = this.companies.all().filter((company) => query.orgNr === undefined || company.orgNr === query.orgNr);
    return pageOf(modifiedSince(matching, query.modifiedSince), query.page, query.pageSize);
  }

  createCompany(fields: CompanyFields): Company {
    const company = this.companies.create(fields);
    this.announce("company.created", company.id, company.modifiedAt);
    return company;
  }

  replaceCompany(id: string, fields: CompanyFields): Company | undefined {
    const company = this.companies.replace(id, fields);
    if (company) this.announce("company.updated", company.id, company.modifiedAt);
    return company;
  }

  /**
   * Deleting a company detaches its contacts (their `company` becomes null, which is a write
   * to each of them), so no contact ever points at a company that is gone.
   */
  deleteCompany(id: string): boolean {
    const deletedAt = this.companies.delete(id);
    if (!deletedAt) return false;
    this.announce("company.deleted", id, deletedAt);
    for (const contact of this.contacts.all()) {
      if (contact.company?.id !== id) continue;
      const { id: contactId, createdAt: _createdAt, modifiedAt: _modifiedAt, ...fields } = contact;
      this.replaceContact(contactId, { ...fields, company: null });
    }
    return true;
  }

  /** Empties both collections (ids keep counting: see IdSequence). */
  clear(): void {
    this.contacts.clear();
    this.companies.clear();
  }

  private announce(type: WebhookEvent, recordId: string, occurredAt: string): void {
    this.onChange({ type, recordId, occurredAt });
  }
}
