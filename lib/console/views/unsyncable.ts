import { html, type Html } from "#lib/console/html";
import type { Session } from "#lib/console/sessions";
import { csrfField, recordLink, timeOf } from "#lib/console/views/layout";
import type { SideValues } from "#lib/flows/definition";
import type { RecordRef } from "#lib/links/store";
import type { RecordValues, UnsyncableRecord } from "#lib/ops/unsyncable";

const cell = (values: SideValues | null | undefined, name: string) =>
  values === undefined ? html`<td class="unknown">?</td>` : values === null ? html`<td class="gone">gone</td>` : valueCell(values[name]);

function valueCell(value: unknown): Html {
  return value === null || value === undefined ? html`<td class="empty">–</td>` : html`<td>${String(value)}</td>`;
}

/** The hidden fields that name a record in an action's form. */
const recordFields = (flow: string, record: RecordRef) =>
  html`<input type="hidden" name="flow" value="${flow}" /><input type="hidden" name="system" value="${record.side}" /><input
      type="hidden"
      name="type"
      value="${record.type}"
    /><input type="hidden" name="id" value="${record.id}" />`;

function linkForm(session: Session, entry: UnsyncableRecord, candidate: RecordValues, index: number): Html {
  return html`<form method="post" action="/unsyncable/link" class="inline">
    ${csrfField(session)}${recordFields(entry.flow, entry.record)}<input type="hidden" name="candidate" value="${candidate.record.id}" />
    <button
      type="submit"
      aria-label="Link to candidate ${index + 1}, ${candidate.record.side} ${candidate.record.type} ${candidate.record.id}"
    >
      Link to this candidate
    </button>
  </form>`;
}

function recordCard(session: Session, entry: UnsyncableRecord): Html {
  const columns: { heading: Html; values: SideValues | null }[] = [];
  if (entry.partner) columns.push({ heading: html`partner<br />${recordLink(entry.partner.record)}`, values: entry.partner.values });
  entry.candidates.forEach((candidate, index) =>
    columns.push({
      heading: html`candidate ${index + 1}<br />${recordLink(candidate.record)}<br />${linkForm(session, entry, candidate, index)}`,
      values: candidate.values,
    }),
  );
  return html`<article class="card unsyncable" data-record="${entry.record.id}" data-flow="${entry.flow}">
    <header>
      <span class="badge kind-unsyncable">${entry.flow}</span> ${recordLink(entry.record)}
      <span class="hint">since ${timeOf(entry.at)}</span>
    </header>
    <p class="reason">${entry.reason}</p>
    ${
      entry.readError
        ? html`<p class="hint">values not read: ${entry.readError}</p>`
        : html`<table class="values">
            <thead>
              <tr>
                <th>field</th>
                <th>this record<br />${entry.record.side}</th>
                ${columns.map((column) => html`<th>${column.heading}</th>`)}
              </tr>
            </thead>
            <tbody>
              ${entry.rows.map(
                (row) =>
                  html`<tr>
                    <th scope="row">${row.name}<span class="hint">${row.exactonline} / ${row.crmoffice}</span></th>
                    ${cell(entry.values, row.name)}${columns.map((column) => cell(column.values, row.name))}
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    ${entry.candidates.length === 0 && !entry.partner && !entry.readError ? html`<p class="hint">no unlinked record on the other side matches it</p>` : ""}
    <form method="post" action="/unsyncable/retry" class="inline">
      ${csrfField(session)}${recordFields(entry.flow, entry.record)}
      <button type="submit">Retry now</button>
      <span class="hint">a change event for it through the normal queue; the worker decides again</span>
    </form>
  </article>`;
}

export function unsyncableBody(session: Session, records: readonly UnsyncableRecord[]): Html {
  if (records.length === 0) return html`<p>No record is unsyncable.</p>`;
  return html`<p class="hint">
      ${records.length} record${records.length === 1 ? "" : "s"}, oldest first. Values are read from both systems now.
    </p>
    ${records.map((entry) => recordCard(session, entry))}`;
}
