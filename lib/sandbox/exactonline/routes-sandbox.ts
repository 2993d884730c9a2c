/**
 * Exact-only sandbox extras: edits "made in Exact's UI" to employees, which the API cannot
 * write. `PUT /_sandbox/employees/{id}` creates or replaces (Exact Employee field names),
 * `DELETE /_sandbox/employees/{id}` removes (a `sync/Deleted` row with EntityType 42).
 */
import { readBody, sendEmpty, sendJson } from "#lib/sandbox/common/http";
import type { Router } from "#lib/sandbox/common/http";
import { keyParam, MAX_BODY_BYTES, recordUri } from "./api-guard";
import type { ExactApp } from "./api-guard";
import { ExactApiError } from "./errors";
import { EMPLOYEE } from "./model";
import { employeeAfterReplace } from "./rules";
import { serializeRecord } from "./serialize";
import { parseWriteBody } from "./write-body";

export function mountSandboxEmployeeRoutes(router: Router, app: ExactApp): void {
  router.add("PUT", "/_sandbox/employees/:id", async (req, res, call) => {
    const id = keyParam(call);
    const fields = employeeAfterReplace(parseWriteBody(await readBody(req, MAX_BODY_BYTES), EMPLOYEE));
    const existed = app.store.get("Employees", id) !== undefined;
    const record = existed ? app.store.update("Employees", id, fields) : app.store.create("Employees", fields, id);
    const uri = recordUri(call.url.origin, app.division, "Employees", record.ID);
    sendJson(res, existed ? 200 : 201, { d: serializeRecord(record, EMPLOYEE, uri) });
  });
  router.add("DELETE", "/_sandbox/employees/:id", (_req, res, call) => {
    const id = keyParam(call);
    if (!app.store.get("Employees", id)) throw new ExactApiError(404, "Not found: the employee does not exist.");
    app.store.remove("Employees", id);
    sendEmpty(res, 204);
  });
}
