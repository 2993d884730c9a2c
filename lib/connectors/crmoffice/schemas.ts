/**
 * CRMOffice's wire shapes, per the contract we assume (crmoffice-api.md): nested `company`
 * and addresses, ISO timestamps, `{ items, page, pageSize, totalCount }` lists. Optional
 * fields may be null or absent; `id` and `modifiedAt` are required, since the sync keys and
 * orders on them.
 */
import { z } from "zod";

const text = z.string().nullish();

export const contactSchema = z.object({
  id: z.string().min(1),
  givenName: text,
  familyName: text,
  email: text,
  directPhone: text,
  mobilePhone: text,
  company: z.object({ id: z.string().min(1) }).nullish(),
  createdAt: z.iso.datetime({ offset: true }).nullish(),
  modifiedAt: z.iso.datetime({ offset: true }),
});

const addressSchema = z.object({
  streetAddress: text,
  postCode: text,
  postalArea: text,
  country: text,
});

export const companySchema = z.object({
  id: z.string().min(1),
  name: text,
  orgNr: text,
  postAddress: addressSchema.nullish(),
  visitAddress: addressSchema.nullish(),
  createdAt: z.iso.datetime({ offset: true }).nullish(),
  modifiedAt: z.iso.datetime({ offset: true }),
});

export type CrmOfficeContact = z.output<typeof contactSchema>;
export type CrmOfficeCompany = z.output<typeof companySchema>;

export function pageSchema<Item extends z.ZodType>(item: Item) {
  return z.object({
    items: z.array(item),
    page: z.number().int().positive(),
    pageSize: z.number().int().positive(),
    totalCount: z.number().int().nonnegative(),
  });
}

/** IdentityServer's token answer; `expires_in` in seconds. */
export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string(),
  expires_in: z.number().int().positive(),
});

export const tokenErrorSchema = z.object({
  error: z.string(),
  error_description: z.string().nullish(),
});

/** `{ "error": "<code>", "message": "<text>" }` */
export const errorBodySchema = z.object({
  error: z.string(),
  message: z.string().nullish(),
});

export const webhookSchema = z.object({
  id: z.string().min(1),
  url: z.string(),
  events: z.array(z.string()),
});

/** The contract names no list shape for webhooks: a bare array or the `{ items }` of other lists. */
export const webhookListSchema = z.union([
  z.array(webhookSchema),
  z.object({ items: z.array(webhookSchema) }).transform((list) => list.items),
]);
