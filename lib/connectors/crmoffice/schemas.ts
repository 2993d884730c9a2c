/**
 * CRMOffice's wire shapes, per the contract we assume (crmoffice-api.md): nested `company`
 * and addresses, ISO timestamps, `{ items, page, pageSize, totalCount }` lists. Optional
 * fields may be null or absent; `id` and `modifiedAt` are required, since the sync keys and
 * orders on them.
 */
import * as z from "#lib/util/zod-mini";

const text = z.nullish(z.string());

export const contactSchema = z.object({
  id: z.string().check(z.minLength(1)),
  givenName: text,
  familyName: text,
  email: text,
  directPhone: text,
  mobilePhone: text,
  company: z.nullish(z.object({ id: z.string().check(z.minLength(1)) })),
  createdAt: z.nullish(z.iso.datetime({ offset: true })),
  modifiedAt: z.iso.datetime({ offset: true }),
});

const addressSchema = z.object({
  streetAddress: text,
  postCode: text,
  postalArea: text,
  country: text,
});

export const companySchema = z.object({
  id: z.string().check(z.minLength(1)),
  name: text,
  orgNr: text,
  postAddress: z.nullish(addressSchema),
  visitAddress: z.nullish(addressSchema),
  createdAt: z.nullish(z.iso.datetime({ offset: true })),
  modifiedAt: z.iso.datetime({ offset: true }),
});

export type CrmOfficeContact = z.output<typeof contactSchema>;
export type CrmOfficeCompany = z.output<typeof companySchema>;

export function pageSchema<Item extends z.ZodMiniType>(item: Item) {
  return z.object({
    items: z.array(item),
    page: z.number().check(z.int(), z.positive()),
    pageSize: z.number().check(z.int(), z.positive()),
    totalCount: z.number().check(z.int(), z.nonnegative()),
  });
}

/** IdentityServer's token answer; `expires_in` in seconds. */
export const tokenResponseSchema = z.object({
  access_token: z.string().check(z.minLength(1)),
  token_type: z.string(),
  expires_in: z.number().check(z.int(), z.positive()),
});

export const tokenErrorSchema = z.object({
  error: z.string(),
  error_description: z.nullish(z.string()),
});

/** `{ "error": "<code>", "message": "<text>" }` */
export const errorBodySchema = z.object({
  error: z.string(),
  message: z.nullish(z.string()),
});

export const webhookSchema = z.object({
  id: z.string().check(z.minLength(1)),
  url: z.string(),
  events: z.array(z.string()),
});

/** The contract names no list shape for webhooks: a bare array or the `{ items }` of other lists. */
export const webhookListSchema = z.union([
  z.array(webhookSchema),
  z.pipe(
    z.object({ items: z.array(webhookSchema) }),
    z.transform((list: { items: z.output<typeof webhookSchema>[] }) => list.items),
  ),
]);
