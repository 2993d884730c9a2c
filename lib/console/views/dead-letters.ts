import { age } from "#lib/cli/format";
import { html, type Html } from "#lib/console/html";
import type { Session } from "#lib/console/sessions";
import { csrfField, recordLink } from "#lib/console/views/layout";
import { FLOWS } from "#lib/flows/index";
import type { Failure } from "#lib/links/failures";
import type { ReplayedEvent, ReplaySummary } from "#lib/sync/replay";

const recordOf = (event: ReplayedEvent) => ({ side: event.system, type: event.recordType, id: event.recordId });

function eventRows(events: readonly ReplayedEvent[], lastErrors: ReadonlyMap<string, Failure>, selectable: boolean): Html {
  return html`<table class="dead-letters">
    <thead>
      <tr>
        ${selectable ? html`<th><span class="hint">pick</span></th>` : ""}
        <th>record</th>
        <th>flows</th>
        <th>receives</th>
        <th>age</th>
        <th>last error</th>
        <th>correlation id</th>
      </tr>
    </thead>
    <tbody>
      ${events.map((event) => {
        const failure = lastErrors.get(event.correlationId);
        return html`<tr data-message="${event.messageId}">
          ${selectable ? html`<td><input type="checkbox" name="message" value="${event.messageId}" aria-label="pick ${event.system} ${event.recordType} ${event.recordId}" /></td>` : ""}
          <td>${recordLink(recordOf(event))}</td>
          <td>${event.flows.join(", ")}</td>
          <td>${event.receiveCount}</td>
          <td>${age(event.ageSeconds)}</td>
          <td>${failure ? html`${failure.error}: ${failure.reason}` : html`<span class="hint">none recorded</span>`}</td>
          <td><code>${event.correlationId}</code></td>
        </tr>`;
      })}
    </tbody>
  </table>`;
}

const malformedList = (summary: ReplaySummary) =>
  summary.malformedMessages.length
    ? html`<p>Malformed, left in the dead-letter queue:</p>
        <ul>
          ${summary.malformedMessages.map((message) => html`<li><code>${message.messageId}</code>: ${message.reason}</li>`)}
        </ul>`
    : "";

/** The dead-letter queue as a dry run lists it, with the choice of what to preview for replay. */
export function deadLettersBody(session: Session, summary: ReplaySummary, lastErrors: ReadonlyMap<string, Failure>): Html {
  if (summary.events.length === 0)
    return html`<p>The dead-letter queue is empty.</p>
      ${malformedList(summary)}`;
  const flows = FLOWS.filter((flow) => summary.events.some((event) => event.flows.includes(flow.name)));
  return html`<form method="post" action="/dead-letters/preview">
      ${csrfField(session)}
      <p class="hint">
        ${summary.events.length} dead-lettered event${summary.events.length === 1 ? "" : "s"}. Replaying sends each back to the events queue
        as a new event (the worker reads the record's current state, so it is always safe); you see what would move first.
      </p>
      ${eventRows(summary.events, lastErrors, true)}
      <p class="actions">
        <button type="submit" name="scope" value="selected">Preview replay of the picked</button>
        ${flows.map((flow) => html`<button type="submit" name="flow" value="${flow.name}">Preview replay of all ${flow.name}</button>`)}
        <button type="submit" name="scope" value="all">Preview replay of all</button>
      </p>
    </form>
    ${malformedList(summary)}`;
}

/** The dry run's answer, and the button that replays exactly those events. */
export function replayPreviewBody(session: Session, summary: ReplaySummary, lastErrors: ReadonlyMap<string, Failure>): Html {
  if (summary.events.length === 0)
    return html`<p>Nothing to replay: no dead letter matches.</p>
      <p><a href="/dead-letters">Back to the dead letters</a></p>`;
  return html`<p>
      Dry run: these ${summary.events.length} event${summary.events.length === 1 ? "" : "s"} would move back to the events queue. Nothing
      has moved yet.
    </p>
    ${eventRows(summary.events, lastErrors, false)}
    <form method="post" action="/dead-letters/replay">
      ${csrfField(session)} ${summary.events.map((event) => html`<input type="hidden" name="message" value="${event.messageId}" />`)}
      <button type="submit" class="primary">Replay these ${summary.events.length}</button> <a href="/dead-letters">Cancel</a>
    </form>`;
}

export function replayResultBody(summary: ReplaySummary, deadLetterDepth: number): Html {
  return html`<p role="status" class="result">
      Moved ${summary.moved} dead-lettered event${summary.moved === 1 ? "" : "s"} back to the events
      queue${summary.skipped ? html`; ${summary.skipped} others left in the dead-letter queue` : ""}.
    </p>
    ${summary.events.length ? eventRows(summary.events, new Map(), false) : ""}
    <p>Dead letters now: <b data-figure="dead-letters">${deadLetterDepth}</b>. <a href="/dead-letters">Back to the dead letters</a></p>`;
}
