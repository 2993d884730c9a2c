/**
 * Exact's business rules per resource: what a write turns into (mirrored fields, derived
 * names, a new contact's number) and what it must satisfy (mandatory fields, an existing
 * Account, a unique Code). Each function returns the record's complete writable fields after
 * the write, plus the derived ones.
 *
 * A missing mandatory field and a duplicate are *functional* refusals: Exact answers them with
 * HTTP 500 and its error body, in the division's language (Dutch here), not with a 4xx.
 */
import { CONTACT, EMPLOYEE, ITEM } from "./entities";
import { ExactApiError, FunctionalRefusal } from "./errors";
import type { EntityDef, StoredRecord, StoredValue } from "./model";
import type { ExactStore, RecordFields } from "./store";
import type { WriteChanges } from "./write-body";

/** Exact keeps each pair in step: writing either one sets both. */
const CONTACT_MIRRORS: Record<string, string> = {
  Email: "BusinessEmail",
  BusinessEmail: "Email",
  Phone: "BusinessPhone",
  BusinessPhone: "Phone",
  Mobile: "BusinessMobile",
  BusinessMobile: "Mobile",
};

function writableFields(entity: EntityDef, from: StoredRecord | undefined): RecordFields {
  const fields: RecordFields = {};
  for (const [name, def] of Object.entries(entity.fields)) {
    if (def.writable) fields[name] = from?.[name] ?? null;
  }
  return fields;
}

function isBlank(value: StoredValue | undefined): boolean {
  return value === null || value === undefined || (typeof value === "string" && value.trim() === "");
}

function fullName(fields: RecordFields): string {
  return [fields.FirstName, fields.MiddleName, fields.LastName]
    .filter((part): part is string => typeof part === "string" && part.trim() !== "")
    .join(" ");
}

/** A contact after `changes` are applied to `existing` (undefined for a POST). */
export function contactAfterWrite(store: ExactStore, existing: StoredRecord | undefined, changes: WriteChanges): RecordFields {
  const fields = writableFields(CONTACT, existing);
  for (const [name, value] of changes) {
    fields[name] = value;
    const mirror = CONTACT_MIRRORS[name];
    if (mirror) fields[mirror] = value;
  }
  if (isBlank(fields.Account)) throw FunctionalRefusal.mandatory("Account");
  const account = store.get("Accounts", String(fields.Account));
  if (!account) throw new ExactApiError(400, `Account: the account '${String(fields.Account)}' does not exist.`);
  if (isBlank(fields.FirstName) && isBlank(fields.LastName)) throw FunctionalRefusal.mandatory("FirstName of LastName");
  const derived: RecordFields = { FullName: fullName(fields), AccountName: account.Name ?? null };
  if (!existing) {
    const number = store.nextContactNumber();
    Object.assign(derived, { Code: String(number), HID: number });
  }
  return { ...fields, ...derived };
}

/** An item after `changes`; a new item gets Exact's defaults (sales item, unit "pc"). */
export function itemAfterWrite(store: ExactStore, existing: StoredRecord | undefined, changes: WriteChanges): RecordFields {
  const fields = writableFields(ITEM, existing);
  if (!existing) Object.assign(fields, { Unit: "pc", IsSalesItem: true, IsStockItem: false });
  for (const [name, value] of changes) fields[name] = value;
  if (isBlank(fields.Code)) throw FunctionalRefusal.mandatory("Code");
  if (isBlank(fields.Description)) throw FunctionalRefusal.mandatory("Description");
  // Code uniqueness follows the database's case-insensitive collation.
  const code = String(fields.Code).toLowerCase();
  const clash = store.list("Items").find((item) => item.ID !== existing?.ID && String(item.Code).toLowerCase() === code);
  if (clash) throw FunctionalRefusal.duplicate("Code");
  return fields;
}

/** An employee as the sandbox's UI route replaces it: fields not given are cleared. */
export function employeeAfterReplace(changes: WriteChanges): RecordFields {
  const fields = writableFields(EMPLOYEE, undefined);
  fields.IsActive = true;
  for (const [name, value] of changes) fields[name] = value;
  return { ...fields, FullName: fullName(fields) };
}
