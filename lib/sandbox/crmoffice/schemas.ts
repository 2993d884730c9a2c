import { z } from "zod";

/**
 * The CRMOffice wire shapes (crmoffice-api.md). Request bodies are parsed in two steps: these
 * schemas check the *shape* (types, unknown fields: 400), `rules.ts` checks the *content*
 * (required names, lengths, references: 422), as the contract separates the two.
 */

const optionalText = z.string().nullable().optional();

/**
 * Read-only fields a client may send back unchanged (a GET, edited, then PUT): accepted and
 * ignored, so that round trip works. Any other unknown field is refused (400): a misspelt
 * field silently dropped would hide a connector bug.
 */
const readOnlyFields = {
  id: z.string().optional(),
  createdAt: z.string().optional(),
  modifiedAt: z.string().optional(),
};

export const contactBodySchema = z.strictObject({
  ...readOnlyFields,
  givenName: optionalText,
  familyName: optionalText,
  email: optionalText,
  directPhone: optionalText,
  mobilePhone: optionalText,
  company: z.strictObject({ id: z.string() }).nullable().optional(),
});
export type ContactBody = z.infer<typeof contactBodySchema>;

const addressBodySchema = z.strictObject({
  streetAddress: optionalText,
  postCode: optionalText,
  postalArea: optionalText,
  country: optionalText,
});

export const companyBodySchema = z.strictObject({
  ...readOnlyFields,
  name: optionalText,
  orgNr: optionalText,
  postAddress: addressBodySchema.nullable().optional(),
  visitAddress: addressBodySchema.nullable().optional(),
});
export type CompanyBody = z.infer<typeof companyBodySchema>;

export interface Address {
  streetAddress: string | null;
  postCode: string | null;
  postalArea: string | null;
  country: string | null;
}

/** What a client can write to a contact: all of it, every PUT (full replacement). */
export interface ContactFields {
  givenName: string | null;
  familyName: string | null;
  email: string | null;
  directPhone: string | null;
  mobilePhone: string | null;
  company: { id: string } | null;
}

export interface CompanyFields {
  name: string;
  orgNr: string | null;
  postAddress: Address;
  visitAddress: Address;
}

/** Set by the sandbox on every record. */
export interface RecordMeta {
  id: string;
  createdAt: string;
  modifiedAt: string;
}

export type Contact = RecordMeta & ContactFields;
export type Company = RecordMeta & CompanyFields;

export const WEBHOOK_EVENTS = [
  "contact.created",
  "contact.updated",
  "contact.deleted",
  "company.created",
  "company.updated",
  "company.deleted",
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const webhookBodySchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: "url must be an absolute http(s) URL" }),
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1, "events must name at least one event"),
  secret: z.string().min(1, "secret must not be empty").max(255, "secret is at most 255 characters"),
});

/** What a receiver gets: only which record changed (the receiver reads it itself). */
export interface WebhookPayload {
  id: string;
  type: WebhookEvent;
  occurredAt: string;
  data: { id: string };
}

const positiveInteger = z
  .string()
  .regex(/^[1-9]\d{0,8}$/, "must be a positive integer")
  .transform(Number);

export const MAX_PAGE_SIZE = 200;
const DEFAULT_PAGE_SIZE = 50;

const listQueryShape = {
  page: positiveInteger.default(1),
  pageSize: positiveInteger.default(DEFAULT_PAGE_SIZE).transform((size) => Math.min(size, MAX_PAGE_SIZE)),
  modifiedSince: z.iso
    .datetime({ offset: true, error: "must be an ISO 8601 date-time" })
    .transform((iso) => Date.parse(iso))
    .optional(),
};

/**
 * List queries. `modifiedSince` keeps records modified at or after it (≥), so a poller that
 * resumes from the last `modifiedAt` it saw misses nothing (it sees that record again).
 * Unknown parameters are refused (400) for the same reason as unknown body fields.
 */
export const contactListQuerySchema = z.strictObject({
  ...listQueryShape,
  email: z.string().min(1, "must not be empty").optional(),
});
export const companyListQuerySchema = z.strictObject({
  ...listQueryShape,
  orgNr: z.string().min(1, "must not be empty").optional(),
});
export type ContactListQuery = z.infer<typeof contactListQuerySchema>;
export type CompanyListQuery = z.infer<typeof companyListQuerySchema>;

export interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  totalCount: number;
}
