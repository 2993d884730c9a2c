import { describe, expect, it } from "vitest";
import type { AgreedValues, SideValues } from "#lib/flows/definition";
import { exactContactsFlow } from "#lib/flows/exact-contacts";
import { exactEmployeesFlow } from "#lib/flows/exact-employees";
import { exactItemsFlow } from "#lib/flows/exact-items";
import { mergeRecords, type SideState } from "#lib/flows/merge";

const EARLY = "2026-11-25T10:00:00.000Z";
const LATE = "2026-11-25T10:05:00.000Z";

const contact = (values: Partial<Record<"firstName" | "lastName" | "phone" | "mobile" | "email", string | null>>): SideValues => ({
  firstName: null,
  lastName: null,
  phone: null,
  mobile: null,
  email: null,
  ...values,
});
const state = (
  exact: SideValues,
  crm: SideValues,
  exactModified = EARLY,
  crmModified = EARLY,
): Record<"exactonline" | "crmoffice", SideState> => ({
  exactonline: { values: exact, modifiedAt: exactModified },
  crmoffice: { values: crm, modifiedAt: crmModified },
});
const agreedBoth = (values: SideValues): AgreedValues => ({ exactonline: values, crmoffice: values });

const kari = contact({ firstName: "Kari", lastName: "Nordmann", email: "kari@example.com" });

describe("three-way merge, Contacts flow", () => {
  it("writes nothing when neither side moved from the agreed values (the echo)", () => {
    const result = mergeRecords(exactContactsFlow, state(kari, kari), agreedBoth(kari), "crmoffice");
    expect(result).toEqual({ writes: {}, conflicts: [], kept: [] });
  });

  it("takes a field changed on one side only, to the other side only", () => {
    const edited = { ...kari, phone: "+47 22 00 00 00" };
    const result = mergeRecords(exactContactsFlow, state(kari, edited), agreedBoth(kari), "crmoffice");
    expect(result.writes).toEqual({ exactonline: { phone: "+47 22 00 00 00" } });
    expect(result.conflicts).toEqual([]);
  });

  it("keeps both edits when the two sides changed different fields", () => {
    const result = mergeRecords(
      exactContactsFlow,
      state({ ...kari, lastName: "Nordmann-Hansen" }, { ...kari, mobile: "+47 900 00 000" }),
      agreedBoth(kari),
      "exactonline",
    );
    expect(result.writes).toEqual({ crmoffice: { lastName: "Nordmann-Hansen" }, exactonline: { mobile: "+47 900 00 000" } });
  });

  it("resolves a field changed on both sides by the most recently modified side, and reports it", () => {
    const result = mergeRecords(
      exactContactsFlow,
      state({ ...kari, firstName: "Karin" }, { ...kari, firstName: "Kaja" }, EARLY, LATE),
      agreedBoth(kari),
      "exactonline",
    );
    expect(result.writes).toEqual({ exactonline: { firstName: "Kaja" } });
    expect(result.conflicts).toEqual([
      { field: "firstName", values: { exactonline: "Karin", crmoffice: "Kaja" }, winner: "crmoffice", reason: "most recently modified" },
    ]);
  });

  it("sees no conflict when both sides made the same edit", () => {
    const both = { ...kari, firstName: "Karin" };
    expect(mergeRecords(exactContactsFlow, state(both, both), agreedBoth(kari), "crmoffice").writes).toEqual({});
  });

  it("carries a deliberate clearing of a field", () => {
    const cleared = { ...kari, email: null };
    expect(mergeRecords(exactContactsFlow, state(kari, cleared), agreedBoth(kari), "crmoffice").writes).toEqual({
      exactonline: { email: null },
    });
  });

  it("on a new link, fills empty fields from the other side and never wipes a filled one", () => {
    const exact = contact({ firstName: "Kari", email: "kari@example.com", phone: "+47 1" });
    const crm = contact({ firstName: "Kari", email: "kari@example.com", mobile: "+47 2" });
    const result = mergeRecords(exactContactsFlow, state(exact, crm), null, "exactonline");
    expect(result.writes).toEqual({ crmoffice: { phone: "+47 1" }, exactonline: { mobile: "+47 2" } });
  });
});

describe("three-way merge, Items flow", () => {
  const longName = "A company name that is considerably longer than sixty characters, surely";
  it("shortens Description to 60 characters for Exact, and then sees the shortened value as agreed", () => {
    const crm = { name: longName, code: "NO-1" };
    const first = mergeRecords(exactItemsFlow, state({ name: null, code: "NO-1" }, crm), null, "crmoffice");
    const written = first.writes.exactonline?.name as string;
    expect(written.length).toBeLessThanOrEqual(60);
    expect(longName.startsWith(written)).toBe(true);
    const agreed = { exactonline: { name: written, code: "NO-1" }, crmoffice: crm };
    expect(mergeRecords(exactItemsFlow, state(agreed.exactonline, crm), agreed, "exactonline").writes).toEqual({});
  });
});

describe("three-way merge, Employees flow (Exact is read-only and owns every field)", () => {
  const employee = contact({ firstName: "Per", lastName: "Olsen", email: "per@example.com" });
  it("keeps a CRMOffice edit in CRMOffice and says why", () => {
    const result = mergeRecords(exactEmployeesFlow, state(employee, { ...employee, phone: "+47 3" }), agreedBoth(employee), "crmoffice");
    expect(result.writes).toEqual({});
    expect(result.kept).toEqual([
      { field: "phone", side: "crmoffice", reason: expect.stringContaining("does not write phone to exactonline") },
    ]);
  });

  it("lets Exact win a conflict even when CRMOffice changed later", () => {
    const result = mergeRecords(
      exactEmployeesFlow,
      state({ ...employee, lastName: "Olsen-Berg" }, { ...employee, lastName: "Berg" }, EARLY, LATE),
      agreedBoth(employee),
      "crmoffice",
    );
    expect(result.writes).toEqual({ crmoffice: { lastName: "Olsen-Berg" } });
    expect(result.conflicts[0]).toMatchObject({ field: "lastName", winner: "exactonline", reason: "field owner" });
  });
});
