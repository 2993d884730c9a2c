/**
 * The REST resources: `current/Me`, `crm/Accounts` (read), `crm/Contacts` and
 * `logistics/Items` (read and write), `payroll/Employees` (read; writes are 405 as on Exact).
 *
 * POST answers 201 with a `d` of nulls but the key unless the request says
 * `Prefer: return=representation`; PUT answers 204, or 200 with the record when asked.
 */
import { sendEmpty, sendJson } from "#lib/sandbox/common/http";
import type { Router } from "#lib/sandbox/common/http";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { utcOffsetAt } from "./amsterdam-time";
import { apiRoute, keyParam, readJsonBody, recordUri } from "./api-guard";
import type { ExactApp } from "./api-guard";
import { ENTITY_BY_KIND, ME, RESOURCE_KINDS, RESOURCE_PATH } from "./entities";
import type { ResourceKind } from "./entities";
import { ExactApiError } from "./errors";
import type { Row, StoredRecord } from "./model";
import { queryCollection, selectOption } from "./odata-query";
import { contactAfterWrite, itemAfterWrite } from "./rules";
import { serializeRecord, thinRecord, wantsRepresentation } from "./serialize";
import { SANDBOX_USER_ID } from "./store";
import type { ExactStore, RecordFields } from "./store";
import { parseWriteBody } from "./write-body";
import type { WriteChanges } from "./write-body";

type WriteRule = (store: ExactStore, existing: StoredRecord | undefined, changes: WriteChanges) => RecordFields;

/** The resources the API may write, with the rules a write must pass. */
const WRITE_RULES: Partial<Record<ResourceKind, WriteRule>> = { Contacts: contactAfterWrite, Items: itemAfterWrite };

/** The signed-in user, with Exact's clock: `ServerTime` and `ServerUtcOffset` (seconds) are Amsterdam's now. */
function meRow(app: ExactApp): Row {
  const now = app.now();
  const owner = app.store.get("Accounts", EXACT_SANDBOX.defaultAccountId);
  return {
    UserID: SANDBOX_USER_ID,
    AccountingDivision: app.division,
    CurrentDivision: app.division,
    DivisionCustomer: owner?.ID ?? null,
    DivisionCustomerCode: owner?.Code ?? null,
    DivisionCustomerName: owner?.Name ?? null,
    Email: "sandbox.user@example.com",
    FirstName: "Sandbox",
    FullName: "Sandbox User",
    Initials: "S.",
    Language: "EN",
    LanguageCode: "en-GB",
    LastName: "User",
    UserName: "sandbox.user",
    ServerTime: now,
    ServerUtcOffset: utcOffsetAt(now) / 1000,
  };
}

export function mountResourceRoutes(router: Router, app: ExactApp): void {
  router.add(
    "GET",
    "/api/v1/current/Me",
    apiRoute(app, (_req, res, call) => {
      const uri = `${call.url.origin}/api/v1/current/Me(guid'${SANDBOX_USER_ID}')`;
      const me = serializeRecord(meRow(app), ME, uri, app.format, selectOption(call.url.searchParams, ME));
      sendJson(res, 200, { d: { results: [me] } });
    }),
  );
  for (const kind of RESOURCE_KINDS) mountResource(router, app, kind);
}

function mountResource(router: Router, app: ExactApp, kind: ResourceKind): void {
  const entity = ENTITY_BY_KIND[kind];
  const collection = `/api/v1/:division/${RESOURCE_PATH[kind]}`;
  const single = `${collection}(guid':id')`;
  const uriOf = (origin: string) => (record: Row) => recordUri(origin, app.division, kind, String(record.ID));
  const find = (id: string): StoredRecord => {
    const record = app.store.get(kind, id);
    if (!record) throw new ExactApiError(404, "Not found: the record does not exist.");
    return record;
  };

  router.add(
    "GET",
    collection,
    apiRoute(app, (_req, res, call) => {
      sendJson(
        res,
        200,
        queryCollection({
          records: app.store.list(kind),
          entity,
          url: call.url,
          mode: "ordinary",
          uriOf: uriOf(call.url.origin),
          format: app.format,
        }),
      );
    }),
  );
  router.add(
    "GET",
    single,
    apiRoute(app, (_req, res, call) => {
      const record = find(keyParam(call));
      const select = selectOption(call.url.searchParams, entity);
      sendJson(res, 200, { d: serializeRecord(record, entity, uriOf(call.url.origin)(record), app.format, select) });
    }),
  );

  const rule = WRITE_RULES[kind];
  if (!rule) {
    // Employees are read-only on Exact itself; Accounts are writable there, but not in the sandbox.
    const message =
      kind === "Employees"
        ? "Method not allowed: payroll/Employees is read-only."
        : `Method not allowed: the sandbox serves ${RESOURCE_PATH[kind]} read-only.`;
    const refuse = apiRoute(app, () => {
      throw new ExactApiError(405, message, { Allow: "GET" });
    });
    router.add("POST", collection, refuse).add("PUT", single, refuse).add("DELETE", single, refuse);
    return;
  }

  router.add(
    "POST",
    collection,
    apiRoute(app, async (req, res, call) => {
      const changes = parseWriteBody(await readJsonBody(req), entity);
      const record = app.store.create(kind, rule(app.store, undefined, changes));
      const uri = uriOf(call.url.origin)(record);
      const d = wantsRepresentation(req.headers.prefer)
        ? serializeRecord(record, entity, uri, app.format)
        : thinRecord(record, entity, uri, app.format);
      sendJson(res, 201, { d }, { Location: uri });
    }),
  );
  router.add(
    "PUT",
    single,
    apiRoute(app, async (req, res, call) => {
      const existing = find(keyParam(call));
      const changes = parseWriteBody(await readJsonBody(req), entity);
      const record = app.store.update(kind, existing.ID, rule(app.store, existing, changes));
      if (wantsRepresentation(req.headers.prefer)) {
        sendJson(res, 200, { d: serializeRecord(record, entity, uriOf(call.url.origin)(record), app.format) });
      } else {
        sendEmpty(res, 204);
      }
    }),
  );
  router.add(
    "DELETE",
    single,
    apiRoute(app, (_req, res, call) => {
      app.store.remove(kind, find(keyParam(call)).ID);
      sendEmpty(res, 204);
    }),
  );
}
