import { CrmOfficeApiError } from "./errors";
import type { Address, CompanyBody, CompanyFields, ContactBody, ContactFields } from "./schemas";

/**
 * The content rules of a write (422 when broken), applied after the shape is known good.
 * Absent writable fields become null: a PUT replaces all of them.
 */

/** Longest accepted values, in characters. */
const MAX_LENGTH = {
  name: 255,
  email: 255,
  phone: 50,
  orgNr: 50,
  streetAddress: 255,
  postCode: 20,
  postalArea: 255,
  country: 100,
} as const;

class ProblemList {
  private readonly problems: string[] = [];

  checkLength(field: string, value: string | null | undefined, max: number): void {
    if (value != null && [...value].length > max) this.problems.push(`${field} is longer than ${max} characters`);
  }

  add(problem: string): void {
    this.problems.push(problem);
  }

  throwIfAny(): void {
    if (this.problems.length > 0) throw new CrmOfficeApiError(422, "validation_failed", this.problems.join("; "));
  }
}

const isBlank = (value: string | null | undefined): boolean => value == null || value.trim() === "";

export function contactFieldsFrom(body: ContactBody, companyExists: (id: string) => boolean): ContactFields {
  const problems = new ProblemList();
  if (isBlank(body.givenName) && isBlank(body.familyName)) problems.add("a contact needs givenName or familyName");
  problems.checkLength("givenName", body.givenName, MAX_LENGTH.name);
  problems.checkLength("familyName", body.familyName, MAX_LENGTH.name);
  problems.checkLength("email", body.email, MAX_LENGTH.email);
  problems.checkLength("directPhone", body.directPhone, MAX_LENGTH.phone);
  problems.checkLength("mobilePhone", body.mobilePhone, MAX_LENGTH.phone);
  if (body.company && !companyExists(body.company.id)) problems.add(`company ${body.company.id} does not exist`);
  problems.throwIfAny();
  return {
    givenName: body.givenName ?? null,
    familyName: body.familyName ?? null,
    email: body.email ?? null,
    directPhone: body.directPhone ?? null,
    mobilePhone: body.mobilePhone ?? null,
    company: body.company ? { id: body.company.id } : null,
  };
}

function addressFrom(field: string, body: Partial<Address> | null | undefined, problems: ProblemList): Address {
  problems.checkLength(`${field}.streetAddress`, body?.streetAddress, MAX_LENGTH.streetAddress);
  problems.checkLength(`${field}.postCode`, body?.postCode, MAX_LENGTH.postCode);
  problems.checkLength(`${field}.postalArea`, body?.postalArea, MAX_LENGTH.postalArea);
  problems.checkLength(`${field}.country`, body?.country, MAX_LENGTH.country);
  return {
    streetAddress: body?.streetAddress ?? null,
    postCode: body?.postCode ?? null,
    postalArea: body?.postalArea ?? null,
    country: body?.country ?? null,
  };
}

export function companyFieldsFrom(body: CompanyBody): CompanyFields {
  const problems = new ProblemList();
  if (isBlank(body.name)) problems.add("a company needs a name");
  problems.checkLength("name", body.name, MAX_LENGTH.name);
  problems.checkLength("orgNr", body.orgNr, MAX_LENGTH.orgNr);
  const postAddress = addressFrom("postAddress", body.postAddress, problems);
  const visitAddress = addressFrom("visitAddress", body.visitAddress, problems);
  problems.throwIfAny();
  // name is non-blank here: checked above, before throwIfAny.
  return { name: body.name!, orgNr: body.orgNr ?? null, postAddress, visitAddress };
}
