/**
 * The Exact entities the sandbox serves: their fields, types and which fields a client may
 * write. Everything else (validation, $select, $filter, serialisation) reads these tables.
 */

/** Edm types in use; dates are held as epoch milliseconds. */
export type FieldType = "Edm.Guid" | "Edm.String" | "Edm.DateTime" | "Edm.Boolean" | "Edm.Int32" | "Edm.Int64";

export interface FieldDef {
  type: FieldType;
  /** A client may set it (POST/PUT, or the sandbox's own employee route). */
  writable: boolean;
  maxLength?: number;
}

export type StoredValue = string | number | boolean | null;
/** One record as held in memory: Exact field names, dates as epoch ms. */
export type StoredRecord = Record<string, StoredValue> & { ID: string };

export interface EntityDef {
  /** The OData type name Exact reports in `__metadata.type`. */
  odataType: string;
  fields: Record<string, FieldDef>;
}

const guid = (writable = false): FieldDef => ({ type: "Edm.Guid", writable });
const text = (writable = false, maxLength?: number): FieldDef => ({ type: "Edm.String", writable, maxLength });
const date = (writable = false): FieldDef => ({ type: "Edm.DateTime", writable });
const bool = (writable = false): FieldDef => ({ type: "Edm.Boolean", writable });
const int32 = (writable = false): FieldDef => ({ type: "Edm.Int32", writable });

const audit = {
  Created: date(),
  Creator: guid(),
  Modified: date(),
  Modifier: guid(),
  Division: int32(),
};

export const ACCOUNT: EntityDef = {
  odataType: "Exact.Web.Api.Models.Account",
  fields: {
    ID: guid(),
    Code: text(),
    Name: text(),
    City: text(),
    Country: text(),
    ...audit,
  },
};

export const CONTACT: EntityDef = {
  odataType: "Exact.Web.Api.Models.Contact",
  fields: {
    ID: guid(),
    Account: guid(true),
    AccountName: text(),
    FirstName: text(true),
    MiddleName: text(true),
    LastName: text(true),
    FullName: text(),
    Initials: text(true),
    Title: text(true),
    Email: text(true),
    BusinessEmail: text(true),
    Phone: text(true),
    BusinessPhone: text(true),
    Mobile: text(true),
    BusinessMobile: text(true),
    JobTitleDescription: text(true),
    Notes: text(true),
    ...audit,
  },
};

export const ITEM: EntityDef = {
  odataType: "Exact.Web.Api.Models.Logistics.Item",
  fields: {
    ID: guid(),
    Code: text(true),
    Description: text(true, 60),
    ExtraDescription: text(true, 255),
    SearchCode: text(true),
    Barcode: text(true),
    Notes: text(true),
    Unit: text(true),
    IsSalesItem: bool(true),
    IsStockItem: bool(true),
    ItemGroup: guid(true),
    StartDate: date(true),
    EndDate: date(true),
    ...audit,
  },
};

/**
 * The API cannot write employees (405); `writable` here means what the sandbox's own
 * `PUT /_sandbox/employees/{id}` (an edit in Exact's UI) may set.
 */
export const EMPLOYEE: EntityDef = {
  odataType: "Exact.Web.Api.Models.Payroll.Employee",
  fields: {
    ID: guid(),
    Code: text(true),
    FirstName: text(true),
    MiddleName: text(true),
    LastName: text(true),
    FullName: text(),
    Initials: text(true),
    Title: text(true),
    BusinessEmail: text(true),
    Email: text(true),
    PrivateEmail: text(true),
    Phone: text(true),
    BusinessPhone: text(true),
    BusinessMobile: text(true),
    Mobile: text(true),
    AddressStreet: text(true),
    AddressLine2: text(true),
    AddressLine3: text(true),
    Postcode: text(true),
    City: text(true),
    Country: text(true),
    BirthDate: date(true),
    StartDate: date(true),
    EndDate: date(true),
    IsActive: bool(true),
    Created: date(),
    Modified: date(),
    Division: int32(),
  },
};

export const DELETED: EntityDef = {
  odataType: "Exact.Web.Api.Models.Sync.Deleted",
  fields: {
    Timestamp: { type: "Edm.Int64", writable: false },
    ID: guid(),
    EntityKey: guid(),
    EntityType: int32(),
    DeletedBy: guid(),
    DeletedDate: date(),
    Division: int32(),
  },
};

export const WEBHOOK_SUBSCRIPTION: EntityDef = {
  odataType: "Exact.Web.Api.Models.Webhooks.WebhookSubscription",
  fields: {
    ID: guid(),
    CallbackURL: text(true),
    ClientID: guid(),
    Created: date(),
    Description: text(true),
    Division: int32(),
    Topic: text(true),
    UserID: guid(),
  },
};

/** A sync endpoint's rows: the entity's fields plus its row version. */
export function syncEntity(entity: EntityDef): EntityDef {
  return {
    odataType: `${entity.odataType}.Sync`,
    fields: { Timestamp: { type: "Edm.Int64", writable: false }, ...entity.fields },
  };
}

/** The resources with a lifecycle in the store, by their collection name. */
export type ResourceKind = "Accounts" | "Contacts" | "Items" | "Employees";

export const ENTITY_BY_KIND: Record<ResourceKind, EntityDef> = {
  Accounts: ACCOUNT,
  Contacts: CONTACT,
  Items: ITEM,
  Employees: EMPLOYEE,
};

/** `sync/Deleted` EntityType codes. */
export const DELETED_ENTITY_TYPE: Partial<Record<ResourceKind, number>> = { Contacts: 5, Items: 9, Employees: 42 };

/** Where each resource lives under `/api/v1/{division}/`. */
export const RESOURCE_PATH: Record<ResourceKind, string> = {
  Accounts: "crm/Accounts",
  Contacts: "crm/Contacts",
  Items: "logistics/Items",
  Employees: "payroll/Employees",
};
