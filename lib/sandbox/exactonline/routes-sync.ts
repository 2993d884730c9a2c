/**
 * The sync API: `sync/CRM/Contacts`, `sync/Logistics/Items`, `sync/Payroll/Employees`
 * (rows with their Timestamp row version, in Timestamp order, 1000 a page) and
 * `sync/Deleted` (one row per deletion, EntityType 5/9/42).
 */
import { sendJson } from "#lib/sandbox/common/http";
import type { Router } from "#lib/sandbox/common/http";
import { apiRoute } from "./api-guard";
import type { ExactApp } from "./api-guard";
import { DELETED, SYNC_CONTACT, SYNC_EMPLOYEE, SYNC_ITEM } from "./entities";
import type { ResourceKind } from "./entities";
import type { EntityDef, Row } from "./model";
import { queryCollection } from "./odata-query";

const SYNC_ENDPOINTS: Array<{ path: string; kind: ResourceKind; entity: EntityDef }> = [
  { path: "sync/CRM/Contacts", kind: "Contacts", entity: SYNC_CONTACT },
  { path: "sync/Logistics/Items", kind: "Items", entity: SYNC_ITEM },
  { path: "sync/Payroll/Employees", kind: "Employees", entity: SYNC_EMPLOYEE },
];

export function mountSyncRoutes(router: Router, app: ExactApp): void {
  for (const endpoint of SYNC_ENDPOINTS) {
    mountSyncEndpoint(router, app, endpoint.path, endpoint.entity, () => app.store.list(endpoint.kind));
  }
  mountSyncEndpoint(router, app, "sync/Deleted", DELETED, () => app.store.deletedRows());
}

function mountSyncEndpoint(router: Router, app: ExactApp, path: string, entity: EntityDef, rows: () => Row[]): void {
  router.add(
    "GET",
    `/api/v1/:division/${path}`,
    apiRoute(app, (_req, res, call) => {
      const base = `${call.url.origin}/api/v1/${app.division}/${path}`;
      sendJson(
        res,
        200,
        queryCollection({
          records: rows(),
          entity,
          url: call.url,
          mode: "sync",
          // Sync rows are keyed by their row version.
          uriOf: (record) => `${base}(${String(record.Timestamp)}L)`,
          format: app.format,
        }),
      );
    }),
  );
}
