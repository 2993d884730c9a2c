/**
 * The sandbox's one division, as Exact lists divisions: `hrm/Divisions` (the divisions of the
 * current user, which public clients use to pick one) and `system/Divisions` (with
 * `DivisionMoveDate`: the last time the division moved to another database and its
 * Timestamps were renumbered; null until `POST /_sandbox/move-division`). Both are lists with
 * `$select`, `$filter`, `$orderby` and `$top` like any other.
 */
import { sendJson } from "#lib/sandbox/common/http";
import type { Router } from "#lib/sandbox/common/http";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { instantOfWallClock } from "./amsterdam-time";
import { apiRoute } from "./api-guard";
import type { ExactApp } from "./api-guard";
import { HRM_DIVISION, SYSTEM_DIVISION } from "./entities";
import type { EntityDef, Row } from "./model";
import { queryCollection } from "./odata-query";
import { SANDBOX_USER_ID } from "./store";

/** When the sandbox's division was set up: Amsterdam midnight, 1 January 2020. */
const DIVISION_STARTED = instantOfWallClock(Date.UTC(2020, 0, 1));

function commonFields(app: ExactApp): Row {
  const owner = app.store.get("Accounts", EXACT_SANDBOX.defaultAccountId);
  return {
    Code: app.division,
    Country: "NL",
    Created: DIVISION_STARTED,
    Creator: SANDBOX_USER_ID,
    Currency: "EUR",
    Customer: owner?.ID ?? null,
    CustomerCode: owner?.Code ?? null,
    CustomerName: owner?.Name ?? null,
    Description: owner?.Name ?? null,
    Modified: DIVISION_STARTED,
    Modifier: SANDBOX_USER_ID,
    StartDate: DIVISION_STARTED,
  };
}

function hrmDivision(app: ExactApp): Row {
  return { ...commonFields(app), CountryDescription: "Nederland", CurrencyDescription: "Euro", HID: 1, Main: true, Status: 0 };
}

function systemDivision(app: ExactApp): Row {
  return {
    ...commonFields(app),
    City: "Amsterdam",
    Current: true,
    DivisionMoveDate: app.store.divisionMoveDate(),
    Hid: 1,
    IsMainDivision: true,
    Legislation: "NL",
    // system/Divisions numbers its statuses differently: 1 is active.
    Status: 1,
  };
}

export function mountDivisionRoutes(router: Router, app: ExactApp): void {
  const mount = (path: string, entity: EntityDef, row: (app: ExactApp) => Row) =>
    router.add(
      "GET",
      `/api/v1/:division/${path}`,
      apiRoute(app, (_req, res, call) => {
        sendJson(
          res,
          200,
          queryCollection({
            records: [row(app)],
            entity,
            url: call.url,
            mode: "ordinary",
            uriOf: (record) => `${call.url.origin}/api/v1/${app.division}/${path}(${String(record.Code)})`,
            format: app.format,
          }),
        );
      }),
    );
  mount("hrm/Divisions", HRM_DIVISION, hrmDivision);
  mount("system/Divisions", SYSTEM_DIVISION, systemDivision);
}
