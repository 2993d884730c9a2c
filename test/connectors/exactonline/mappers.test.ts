import { describe, expect, it } from "vitest";
import { ClientRequestError } from "#lib/connectors/errors";
import { toSystemRecord, toWriteBody } from "#lib/connectors/exactonline/mappers";
import { exactResource } from "#lib/connectors/exactonline/resources";
import { wireRecordSchema } from "#lib/connectors/exactonline/schemas";
import contactFixture from "#lib/connectors/exactonline/fixtures/contact.json";
import employeeFixture from "#lib/connectors/exactonline/fixtures/employee.json";
import itemFixture from "#lib/connectors/exactonline/fixtures/item.json";

const [contact, item, employee] = (["contact", "item", "employee"] as const).map(exactResource) as [
  ReturnType<typeof exactResource>,
  ReturnType<typeof exactResource>,
  ReturnType<typeof exactResource>,
];
const read = (resource: typeof contact, fixture: { d: unknown }) =>
  toSystemRecord(resource, wireRecordSchema(resource.fields).parse(fixture.d));

describe("Exact wire record → SystemRecord", () => {
  it("maps a contact: modifiedAt from Modified (Amsterdam time, winter: UTC+1), main fields only, nulls kept", () => {
    // The fixture's Modified, /Date(1709543730000)/, reads 09:15:30 on 4 March in Amsterdam: 08:15:30 UTC.
    expect(read(contact, contactFixture)).toEqual({
      id: "0c7b3e52-8f41-4a1d-9d3e-6a2f1b8c4d01",
      modifiedAt: "2024-03-04T08:15:30.000Z",
      fields: {
        Account: "5b1a7c2e-0d3f-4e8a-9c61-2f7b8d4e1a90",
        AccountName: "Demo Holding BV",
        FirstName: "Kari",
        LastName: "Nordmann",
        FullName: "Kari Nordmann",
        Email: "kari.nordmann@example.com",
        Phone: "+31 20 000 0001",
        Mobile: null,
        JobTitleDescription: "Buyer",
      },
    });
  });

  it("maps an item with its dates as ISO instants (Amsterdam time, summer: UTC+2) and booleans as booleans", () => {
    const record = read(item, itemFixture);
    // /Date(1717243200000)/ is 12:00 on 1 June in Amsterdam; StartDate, a date, is Amsterdam's midnight.
    expect(record.modifiedAt).toBe("2024-06-01T10:00:00.000Z");
    expect(record.fields).toMatchObject({
      Code: "NO-918273645",
      Description: "Fjordkraft Consulting AS",
      StartDate: "2023-12-31T23:00:00.000Z",
      EndDate: null,
      IsSalesItem: true,
      IsStockItem: false,
    });
    // Fields the connector does not read stay out of the record.
    expect(record.fields).not.toHaveProperty("Barcode");
  });

  it("maps an employee's business contact fields, never the private ones", () => {
    const fields = read(employee, employeeFixture).fields;
    expect(fields).toMatchObject({
      FirstName: "Ola",
      LastName: "Berg",
      BusinessEmail: "ola.berg@example.com",
      BusinessPhone: "+31 20 000 0100",
      BusinessMobile: "+31 6 0000 0100",
      IsActive: true,
    });
    expect(fields).not.toHaveProperty("Phone");
  });

  it("trims Exact's fixed-width padding: a padded Code or Country is the plain value", () => {
    const padded = { ...contactFixture.d, FirstName: "Kari  ", LastName: "  Nordmann" };
    expect(read(contact, { d: padded }).fields).toMatchObject({ FirstName: "Kari", LastName: "Nordmann" });
    const paddedItem = { ...itemFixture.d, Code: "      NO-918273645" };
    expect(read(item, { d: paddedItem }).fields.Code).toBe("NO-918273645");
  });

  it("reads a field absent from the wire (outside the $select) as null", () => {
    const { Mobile: _mobile, ...withoutMobile } = contactFixture.d;
    expect(read(contact, { d: withoutMobile }).fields.Mobile).toBeNull();
  });

  it("refuses a record without a Guid ID or a Modified date", () => {
    const schema = wireRecordSchema(contact.fields);
    expect(schema.safeParse({ ...contactFixture.d, ID: "42" }).success).toBe(false);
    expect(schema.safeParse({ ...contactFixture.d, Modified: "2024-03-04" }).success).toBe(false);
  });
});

describe("Fields → Exact write body", () => {
  it("sends the writable fields given and never the read-only ones", () => {
    const record = read(contact, contactFixture);
    expect(toWriteBody(contact, { ...record.fields, Email: "new@example.com" })).toEqual({
      Account: "5b1a7c2e-0d3f-4e8a-9c61-2f7b8d4e1a90",
      FirstName: "Kari",
      LastName: "Nordmann",
      Email: "new@example.com",
      Phone: "+31 20 000 0001",
      Mobile: null,
      JobTitleDescription: "Buyer",
    });
  });

  it("writes dates as zone-less ISO 8601 in Amsterdam time, calendar dates as they are, never /Date(ms)/", () => {
    expect(toWriteBody(item, { StartDate: "2024-01-01", EndDate: "2024-12-31T23:00:00+01:00" })).toEqual({
      StartDate: "2024-01-01",
      EndDate: "2024-12-31T23:00:00.000",
    });
    expect(toWriteBody(item, { EndDate: "2024-07-01T10:00:00.000Z" })).toEqual({ EndDate: "2024-07-01T12:00:00.000" });
  });

  it("never writes padding back", () => {
    expect(toWriteBody(item, { Code: "  NO-1  ", Description: "Fjord " })).toEqual({ Code: "NO-1", Description: "Fjord" });
  });

  it("refuses the Business* twins of a contact's main fields, unknown fields and wrong kinds", () => {
    expect(() => toWriteBody(contact, { BusinessEmail: "x@example.com" })).toThrow(ClientRequestError);
    expect(() => toWriteBody(contact, { Nickname: "K" })).toThrow(/no writable field Nickname/);
    expect(() => toWriteBody(contact, { Account: "not-a-guid" })).toThrow(/Account must be a guid/);
    expect(() => toWriteBody(item, { IsSalesItem: "yes" })).toThrow(/IsSalesItem must be a boolean/);
    expect(() => toWriteBody(item, { StartDate: "soon" })).toThrow(/StartDate must be a date/);
  });
});
