import { html, type Html } from "#lib/console/html";
import type { Session } from "#lib/console/sessions";
import { csrfField, recordLink, timeOf } from "#lib/console/views/layout";
import { RECORD_TYPES } from "#lib/events/change-event";
import { SIDES } from "#lib/flows/definition";
import type { RecordRef } from "#lib/links/store";
import type { LoggedDecision } from "#lib/links/sync-log";
import { activityKind } from "#lib/ops/activity";
import { SEARCH_FIELDS, type SearchField } from "#lib/ops/find";

const SEARCH_LABELS: Record<SearchField, string> = { email: "email address", code: "Code (Exact Item Code = CRMOffice orgNr)" };

/** The two ways to find a record: by system, type and id (a link anyone may share), or by email or Code (sent in the body, never in a URL). */
export function historySearch(session: Session, record?: RecordRef): Html {
  const types = [...new Set(SIDES.flatMap((side) => RECORD_TYPES[side]))];
  return html`<div class="searches">
    <form method="get" action="/history" class="card">
      <h2>By system and id</h2>
      <label
        >system
        <select name="system">
          ${SIDES.map((side) => html`<option${side === record?.side ? html` selected` : ""}>${side}</option>`)}
        </select></label
      >
      <label
        >type
        <select name="type">
          ${types.map((type) => html`<option${type === record?.type ? html` selected` : ""}>${type}</option>`)}
        </select></label
      >
      <label>id <input name="id" required size="38" value="${record?.id ?? ""}" /></label>
      <button type="submit">Show history</button>
    </form>
    <form method="post" action="/history/find" class="card">
      ${csrfField(session)}
      <h2>By email or Code</h2>
      <label
        >by
        <select name="field">
          ${SEARCH_FIELDS.map((field) => html`<option value="${field}">${SEARCH_LABELS[field]}</option>`)}
        </select></label
      >
      <label>value <input name="value" required size="30" autocomplete="off" /></label>
      <button type="submit">Find</button>
    </form>
  </div>`;
}

export function foundBody(session: Session, records: readonly RecordRef[]): Html {
  return html`${historySearch(session)}
    <h2>Found</h2>
    ${
      records.length === 0
        ? html`<p>No record in either system matches.</p>`
        : html`<ul class="found">
            ${records.map((record) => html`<li>${recordLink(record)}</li>`)}
          </ul>`
    }`;
}

function decisionItem(decision: LoggedDecision): Html {
  const written = Object.entries(decision.fields ?? {}).filter(([, names]) => names?.length);
  return html`<li class="decision" data-kind="${decision.kind}">
    <div class="when">${timeOf(decision.at)}</div>
    <div class="what">
      <span class="badge kind-${activityKind(decision)}">${decision.kind}</span> <span class="flow">${decision.flow}</span>
      ${decision.partner ? html`with ${recordLink(decision.partner)}` : ""}
      ${
        written.length
          ? html`<p>
              fields written: ${written.map(([side, names]) => html`<span class="side">${side}</span> ${(names ?? []).join(", ")} `)}
            </p>`
          : ""
      }
      ${
        decision.conflicts?.length
          ? html`<table class="conflicts">
              <thead>
                <tr>
                  <th>conflict on</th>
                  <th>exactonline</th>
                  <th>crmoffice</th>
                  <th>won by</th>
                </tr>
              </thead>
              <tbody>
                ${decision.conflicts.map(
                  (conflict) =>
                    html`<tr>
                      <th scope="row">${conflict.field}</th>
                      <td>${JSON.stringify(conflict.values.exactonline ?? null)}</td>
                      <td>${JSON.stringify(conflict.values.crmoffice ?? null)}</td>
                      <td>${conflict.winner} (${conflict.reason})</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : ""
      }
      ${decision.reason ? html`<p class="reason">${decision.reason}</p>` : ""}
    </div>
  </li>`;
}

/** A record's decisions as a timeline, oldest first: what syncctl history shows. */
export function historyBody(session: Session, record: RecordRef, decisions: readonly LoggedDecision[]): Html {
  return html`${historySearch(session, record)}
    <h2>${recordLink(record)}</h2>
    ${
      decisions.length === 0
        ? html`<p>No decisions recorded about this record.</p>`
        : html`<p class="hint">${decisions.length} decision${decisions.length === 1 ? "" : "s"}, oldest first (kept 30 days).</p>
            <ol class="timeline">
              ${decisions.map(decisionItem)}
            </ol>`
    }`;
}
