import type { IncomingMessage } from "node:http";
import type { z } from "zod";
import { readBody, sendEmpty, sendJson } from "#lib/sandbox/common/http";
import type { RouteHandler, Router } from "#lib/sandbox/common/http";
import type { CrmOfficeTokenService } from "./auth";
import { CrmOfficeApiError, OAuthTokenError } from "./errors";
import { singleValuedParams } from "./params";
import { companyFieldsFrom, contactFieldsFrom } from "./rules";
import { companyBodySchema, companyListQuerySchema, contactBodySchema, contactListQuerySchema, webhookBodySchema } from "./schemas";
import type { CrmOfficeStore } from "./store";
import type { CrmOfficeWebhooks } from "./webhooks";

/** Larger request bodies get 413: no CRMOffice record comes near it. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface CrmOfficeApi {
  store: CrmOfficeStore;
  tokens: CrmOfficeTokenService;
  webhooks: CrmOfficeWebhooks;
}

function hasMediaType(req: IncomingMessage, mediaType: string): boolean {
  return (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() === mediaType;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ");
}

/** A JSON body of the given shape, or the 400/415 error the contract prescribes. */
async function readJson<T extends z.ZodType>(req: IncomingMessage, schema: T): Promise<z.output<T>> {
  if (!hasMediaType(req, "application/json")) {
    req.resume();
    throw new CrmOfficeApiError(415, "unsupported_media_type", "Content-Type must be application/json");
  }
  const raw = (await readBody(req, MAX_BODY_BYTES)).toString("utf8");
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new CrmOfficeApiError(400, "invalid_json", "the body is not valid JSON");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new CrmOfficeApiError(400, "invalid_request", describeIssues(parsed.error));
  return parsed.data;
}

function parseQuery<T extends z.ZodType>(url: URL, schema: T): z.output<T> {
  const { values, repeated } = singleValuedParams(url.searchParams);
  if (repeated !== undefined) throw new CrmOfficeApiError(400, "invalid_query", `query parameter ${repeated} is repeated`);
  const parsed = schema.safeParse(values);
  if (!parsed.success) throw new CrmOfficeApiError(400, "invalid_query", describeIssues(parsed.error));
  return parsed.data;
}

function notFound(kind: string, id: string): CrmOfficeApiError {
  return new CrmOfficeApiError(404, "not_found", `${kind} ${id} not found`);
}

function found<T>(record: T | undefined, kind: string, id: string): T {
  if (record === undefined) throw notFound(kind, id);
  return record;
}

/** A PUT body may repeat the record's id (a GET sent back), but not name another record. */
function checkBodyId(body: { id?: string | undefined }, id: string): void {
  if (body.id !== undefined && body.id !== id) {
    throw new CrmOfficeApiError(400, "invalid_request", `id ${body.id} in the body does not match ${id} in the path`);
  }
}

/** Mounts `/connect/token` and the Bearer-protected `/contacts`, `/companies` and `/webhooks`. */
export function mountCrmOfficeRoutes(router: Router, { store, tokens, webhooks }: CrmOfficeApi): void {
  const authenticated =
    (handler: RouteHandler): RouteHandler =>
    (req, res, ctx) => {
      tokens.verifyBearer(req.headers.authorization);
      return handler(req, res, ctx);
    };
  const idParam = (params: Record<string, string>): string => params.id ?? "";
  const companyExists = (id: string) => store.hasCompany(id);

  router.add("POST", "/connect/token", async (req, res) => {
    if (!hasMediaType(req, "application/x-www-form-urlencoded")) {
      req.resume();
      throw new OAuthTokenError(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded");
    }
    const form = new URLSearchParams((await readBody(req, MAX_BODY_BYTES)).toString("utf8"));
    // RFC 6749 §5.1: token responses must not be cached.
    sendJson(res, 200, tokens.grant(form, req.headers.authorization), { "Cache-Control": "no-store", Pragma: "no-cache" });
  });

  router
    .add(
      "GET",
      "/contacts",
      authenticated((_req, res, { url }) => {
        sendJson(res, 200, store.listContacts(parseQuery(url, contactListQuerySchema)));
      }),
    )
    .add(
      "POST",
      "/contacts",
      authenticated(async (req, res) => {
        const body = await readJson(req, contactBodySchema);
        const contact = store.createContact(contactFieldsFrom(body, companyExists));
        sendJson(res, 201, contact, { Location: `/contacts/${contact.id}` });
      }),
    )
    .add(
      "GET",
      "/contacts/:id",
      authenticated((_req, res, { params }) => {
        sendJson(res, 200, found(store.getContact(idParam(params)), "contact", idParam(params)));
      }),
    )
    .add(
      "PUT",
      "/contacts/:id",
      authenticated(async (req, res, { params }) => {
        const id = idParam(params);
        const body = await readJson(req, contactBodySchema);
        checkBodyId(body, id);
        found(store.getContact(id), "contact", id);
        sendJson(res, 200, store.replaceContact(id, contactFieldsFrom(body, companyExists)));
      }),
    )
    .add(
      "DELETE",
      "/contacts/:id",
      authenticated((_req, res, { params }) => {
        if (!store.deleteContact(idParam(params))) throw notFound("contact", idParam(params));
        sendEmpty(res, 204);
      }),
    );

  router
    .add(
      "GET",
      "/companies",
      authenticated((_req, res, { url }) => {
        sendJson(res, 200, store.listCompanies(parseQuery(url, companyListQuerySchema)));
      }),
    )
    .add(
      "POST",
      "/companies",
      authenticated(async (req, res) => {
        const company = store.createCompany(companyFieldsFrom(await readJson(req, companyBodySchema)));
        sendJson(res, 201, company, { Location: `/companies/${company.id}` });
      }),
    )
    .add(
      "GET",
      "/companies/:id",
      authenticated((_req, res, { params }) => {
        sendJson(res, 200, found(store.getCompany(idParam(params)), "company", idParam(params)));
      }),
    )
    .add(
      "PUT",
      "/companies/:id",
      authenticated(async (req, res, { params }) => {
        const id = idParam(params);
        const body = await readJson(req, companyBodySchema);
        checkBodyId(body, id);
        found(store.getCompany(id), "company", id);
        sendJson(res, 200, store.replaceCompany(id, companyFieldsFrom(body)));
      }),
    )
    .add(
      "DELETE",
      "/companies/:id",
      authenticated((_req, res, { params }) => {
        if (!store.deleteCompany(idParam(params))) throw notFound("company", idParam(params));
        sendEmpty(res, 204);
      }),
    );

  router
    .add(
      "POST",
      "/webhooks",
      authenticated(async (req, res) => {
        const subscription = webhooks.register(await readJson(req, webhookBodySchema));
        sendJson(res, 201, subscription, { Location: `/webhooks/${subscription.id}` });
      }),
    )
    .add(
      "GET",
      "/webhooks",
      authenticated((_req, res) => {
        sendJson(res, 200, { items: webhooks.list() });
      }),
    )
    .add(
      "DELETE",
      "/webhooks/:id",
      authenticated((_req, res, { params }) => {
        if (!webhooks.unregister(idParam(params))) throw notFound("webhook", idParam(params));
        sendEmpty(res, 204);
      }),
    );
}
