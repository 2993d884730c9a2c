/**
 * Exact-only sandbox extras: edits "made in Exact's UI" to employees, which the API cannot
 * write. `PUT /_sandbox/employees/{id}` creates or replaces (Exact Employee field names),
 * `DELETE /_sandbox/employees/{id}` removes (a `sync/Deleted` row with EntityType 42).
 * `POST /_sandbox/move-division` moves the division to another database: every Timestamp is
 * renumbered from a restarted counter and `system/Divisions` reports `DivisionMoveDate` = now.
 */
import { readBody, sendEmpty, sendJson } from "#lib/sandbox/common/http";
import type { Router } from "#lib/sandbox/common/http";
import { keyParam, MAX_BODY_BYTES, recordUri } from "./api-guard";
import type { ExactApp } from "./api-guard";
import { ExactApiError } from "./errors";
import { EMPLOYEE } from "./entities";
import { employeeAfterReplace } from "./rules";
import { serializeRecord } from "./serialize";
import { parseWriteBody } from "./write-body";

export function mountSandboxExtraRoutes(router: Router, app: ExactApp): void {
  router.add("PUT", "/_sandbox/employees/:id", async (req, res, call) => {
    const id = keyParam(call);
    const fields = employeeAfterReplace(parseWriteBody(await readBody(req, MAX_BODY_BYTES), EMPLOYEE));
    const existed = app.store.get("Employees", id) !== undefined;
    const record = existed ? app.store.update("Employees", id, fields) : app.store.create("Employees", fields, id);
    const uri = recordUri(call.url.origin, app.division, "Employees", record.ID);
    sendJson(res, existed ? 200 : 201, { d: serializeRecord(record, EMPLOYEE, uri, app.format) });
  });
  router.add("DELETE", "/_sandbox/employees/:id", (_req, res, call) => {
    const id = keyParam(call);
    if (!app.store.get("Employees", id)) throw new ExactApiError(404, "Not found: the employee does not exist.");
    app.store.remove("Employees", id);
    sendEmpty(res, 204);
  });
  router.add("POST", "/_sandbox/move-division", (_req, res) => {
    app.store.moveDivision();
    sendEmpty(res, 204);
  });
}
