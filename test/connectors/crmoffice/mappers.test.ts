import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ClientRequestError } from "#lib/connectors/errors";
import { flatten, toSystemRecord, toWriteBody, unflatten } from "#lib/connectors/crmoffice/mappers";
import { CRMOFFICE_RESOURCES } from "#lib/connectors/crmoffice/resources";
import { companySchema, contactSchema } from "#lib/connectors/crmoffice/schemas";
import companyFixture from "#lib/connectors/crmoffice/fixtures/company.json";
import contactFixture from "#lib/connectors/crmoffice/fixtures/contact.json";

const { contact, company } = CRMOFFICE_RESOURCES;

describe("CRMOffice record → flat fields", () => {
  it("flattens a contact's company to company.id", () => {
    expect(toSystemRecord(contact, contactSchema.parse(contactFixture))).toEqual({
      id: "c-0001",
      modifiedAt: "2024-03-04T09:15:30.000Z",
      fields: {
        givenName: "Kari",
        familyName: "Nordmann",
        email: "kari.nordmann@example.com",
        directPhone: "+47 00 00 00 01",
        mobilePhone: null,
        "company.id": "co-0001",
      },
    });
  });

  it("flattens addresses to dotted keys and normalises modifiedAt to UTC", () => {
    const record = toSystemRecord(company, companySchema.parse(companyFixture));
    expect(record.modifiedAt).toBe("2024-03-02T09:00:00.000Z");
    expect(record.fields).toEqual({
      name: "Fjordkraft Consulting AS",
      orgNr: "NO-918273645",
      "postAddress.streetAddress": "Postboks 100",
      "postAddress.postCode": "0101",
      "postAddress.postalArea": "Oslo",
      "postAddress.country": "NO",
      "visitAddress.streetAddress": null,
      "visitAddress.postCode": null,
      "visitAddress.postalArea": null,
      "visitAddress.country": null,
    });
  });

  it("reads a null or absent nested object as nulls", () => {
    expect(flatten({ company: null }, ["company.id"])).toEqual({ "company.id": null });
    expect(flatten({}, ["postAddress.postCode"])).toEqual({ "postAddress.postCode": null });
  });
});

describe("flat fields → CRMOffice body", () => {
  it("nests dotted keys and writes an all-null object as null", () => {
    expect(unflatten({ givenName: "Kari", "company.id": "co-1" })).toEqual({ givenName: "Kari", company: { id: "co-1" } });
    expect(unflatten({ "company.id": null })).toEqual({ company: null });
    expect(unflatten({ "postAddress.postCode": "0101", "postAddress.country": null })).toEqual({
      postAddress: { postCode: "0101", country: null },
    });
  });

  it("round-trips: flat → nested → flat gives the same fields", () => {
    const text = fc.option(fc.string({ maxLength: 20 }), { nil: null });
    const companyFields = fc.record(Object.fromEntries(company.fields.map((name) => [name, text])));
    fc.assert(
      fc.property(companyFields, (fields) => {
        expect(flatten(unflatten(fields), company.fields)).toEqual(fields);
      }),
    );
  });

  it("round-trips: a wire record → flat → nested gives the record's writable part", () => {
    const { id: _id, createdAt: _created, modifiedAt: _modified, ...writable } = companyFixture;
    const fields = toSystemRecord(company, companySchema.parse(companyFixture)).fields;
    // The all-null visit address comes back as null, which CRMOffice reads the same way.
    expect(toWriteBody(company, fields)).toEqual({ ...writable, visitAddress: null });
  });

  it("drops read-only fields and refuses unknown fields and non-strings before any call", () => {
    expect(toWriteBody(contact, { id: "c-1", modifiedAt: "2024-01-01T00:00:00Z", givenName: "Kari" })).toEqual({ givenName: "Kari" });
    expect(() => toWriteBody(contact, { nickname: "K" })).toThrow(ClientRequestError);
    expect(() => toWriteBody(company, { name: 42 })).toThrow(/name must be a string or null/);
  });
});
