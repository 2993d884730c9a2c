/**
 * What both systems must hold, and a comparison of their full contents with it: every expected
 * record present exactly once on each side with the expected values, nothing else. Contacts
 * are keyed by email, items/companies by code (Exact Code = CRMOffice orgNr).
 */
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import type { CrmUser, ExactUser } from "./sandbox-users";

export interface ContactValues {
  firstName: string | null;
  lastName: string | null;
  phone: string | null;
  mobile: string | null;
}

export interface Comparison {
  /** Expected records missing on a side (one per side missing). */
  lost: number;
  /** Extra copies of expected records, and records nobody made (per side). */
  duplicated: number;
  /** Records present once but with other values. */
  wrong: number;
  problems: string[];
}

const norm = (value: unknown): string | null => {
  if (value === null || value === undefined) return null;
  const text = String(value).trim();
  return text === "" ? null : text;
};

/** The model of both systems' contents, kept by the test as it makes changes. */
export class ExpectedContents {
  readonly contacts = new Map<string, ContactValues>();
  readonly items = new Map<string, string>();

  contact(email: string, values: Partial<ContactValues>): void {
    const key = email.toLowerCase();
    const current = this.contacts.get(key) ?? { firstName: null, lastName: null, phone: null, mobile: null };
    this.contacts.set(key, { ...current, ...values });
  }

  item(code: string, name: string): void {
    this.items.set(code, name);
  }

  get size(): number {
    return this.contacts.size + this.items.size;
  }
}

function groupBy<T>(rows: T[], key: (row: T) => string | null): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const value = key(row) ?? "(none)";
    groups.set(value, [...(groups.get(value) ?? []), row]);
  }
  return groups;
}

interface Side<Row> {
  name: string;
  rows: Row[];
  key: (row: Row) => string | null;
  values: (row: Row) => Record<string, string | null>;
}

function compareSide<Row>(expected: Map<string, Record<string, string | null>>, side: Side<Row>, result: Comparison): void {
  const groups = groupBy(side.rows, side.key);
  for (const [key, want] of expected) {
    const found = groups.get(key) ?? [];
    if (found.length === 0) {
      result.lost += 1;
      result.problems.push(`${side.name}: ${key} missing`);
      continue;
    }
    if (found.length > 1) {
      result.duplicated += found.length - 1;
      result.problems.push(`${side.name}: ${key} ${found.length} times`);
    }
    const got = side.values(found[0] as Row);
    if (Object.entries(want).some(([field, value]) => got[field] !== value)) {
      result.wrong += 1;
      result.problems.push(`${side.name}: ${key} holds ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    }
  }
  for (const [key, rows] of groups) {
    if (expected.has(key)) continue;
    result.duplicated += rows.length;
    result.problems.push(`${side.name}: unexpected ${key} (${rows.length})`);
  }
}

/** Reads both systems in full (as their users would) and compares them with `expected`. */
export async function compareContents(expected: ExpectedContents, exact: ExactUser, crm: CrmUser): Promise<Comparison> {
  const [exactContacts, crmContacts, exactItems, crmCompanies] = await Promise.all([
    exact.list("crm/Contacts?$select=ID,FirstName,LastName,Email,Phone,Mobile,Account"),
    crm.list("/contacts"),
    exact.list("logistics/Items?$select=ID,Code,Description"),
    crm.list("/companies"),
  ]);
  const result: Comparison = { lost: 0, duplicated: 0, wrong: 0, problems: [] };
  const contacts = new Map([...expected.contacts].map(([email, values]) => [email, { ...values } as Record<string, string | null>]));
  compareSide(
    contacts,
    {
      name: "exactonline contact",
      rows: exactContacts,
      key: (row) => norm(row.Email)?.toLowerCase() ?? null,
      values: (row) => ({ firstName: norm(row.FirstName), lastName: norm(row.LastName), phone: norm(row.Phone), mobile: norm(row.Mobile) }),
    },
    result,
  );
  compareSide(
    contacts,
    {
      name: "crmoffice contact",
      rows: crmContacts,
      key: (row) => norm(row.email)?.toLowerCase() ?? null,
      values: (row) => ({
        firstName: norm(row.givenName),
        lastName: norm(row.familyName),
        phone: norm(row.directPhone),
        mobile: norm(row.mobilePhone),
      }),
    },
    result,
  );
  // Contacts born in CRMOffice live under the default Account in Exact.
  for (const row of exactContacts) {
    if (row.Account !== EXACT_SANDBOX.defaultAccountId)
      result.problems.push(`exactonline contact ${String(row.Email)} has Account ${String(row.Account)}`);
  }
  const items = new Map([...expected.items].map(([code, name]) => [code, { name } as Record<string, string | null>]));
  compareSide(
    items,
    { name: "exactonline item", rows: exactItems, key: (row) => norm(row.Code), values: (row) => ({ name: norm(row.Description) }) },
    result,
  );
  compareSide(
    items,
    { name: "crmoffice company", rows: crmCompanies, key: (row) => norm(row.orgNr), values: (row) => ({ name: norm(row.name) }) },
    result,
  );
  return result;
}

export const agrees = (comparison: Comparison): boolean => comparison.problems.length === 0;

/** Messages in a queue: waiting, in flight and delayed. */
export async function queueDepth(queueUrl: string): Promise<number> {
  const sqs = new SQSClient({});
  try {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
      }),
    );
    return (
      Number(Attributes.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
    );
  } finally {
    sqs.destroy();
  }
}
