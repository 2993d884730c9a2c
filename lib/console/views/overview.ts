import type { StatusReport } from "#lib/cli/commands/status";
import { age, count } from "#lib/cli/format";
import { decisionsChart, exactCallsChart } from "#lib/console/charts";
import { html, type Html } from "#lib/console/html";
import { recordLink, timeOf } from "#lib/console/views/layout";
import { FLOWS } from "#lib/flows/index";
import type { LoggedDecision } from "#lib/links/sync-log";
import { activityKind, type ActivitySeries } from "#lib/ops/activity";

const sum = (values: Record<string, number>) => Object.values(values).reduce((total, n) => total + n, 0);
const ago = (iso: string, now: number) => `${age(Math.max(0, now - Date.parse(iso)) / 1000)} ago`;

/** The parts the live updates redraw, by element id. */
export function overviewSections(report: StatusReport, series: ActivitySeries, now: number): Record<string, Html> {
  return {
    flows: flowsSection(report),
    queues: queuesSection(report),
    exact: exactSection(report, now),
    poller: pollerSection(report, now),
    errors: errorsSection(report),
    charts: chartsSection(series),
  };
}

export function overviewBody(report: StatusReport, series: ActivitySeries, recent: readonly LoggedDecision[], now: number): Html {
  const sections = overviewSections(report, series, now);
  return html`<div class="grid">
    <section class="card wide" id="flows">${sections.flows}</section>
    <section class="card" id="queues">${sections.queues}</section>
    <section class="card" id="exact">${sections.exact}</section>
    <section class="card" id="poller">${sections.poller}</section>
    <section class="card wide" id="charts">${sections.charts}</section>
    <section class="card wide" id="errors">${sections.errors}</section>
    <section class="card wide">
      <h2>Live decisions <span class="hint">(newest first; new ones appear as they are logged)</span></h2>
      <ol class="live" id="live">
        ${recent.map(liveItem)}
      </ol>
    </section>
  </div>`;
}

function flowsSection(report: StatusReport): Html {
  return html`<h2>Flows</h2>
    <table class="numbers">
      <thead>
        <tr>
          <th>flow</th>
          <th>links</th>
          <th>unsyncable</th>
          <th>decisions in the last hour</th>
        </tr>
      </thead>
      <tbody>
        ${FLOWS.map(
          (flow) =>
            html`<tr data-flow="${flow.name}">
              <th scope="row">${flow.name}<span class="hint">${flow.title}</span></th>
              <td data-figure="links">${count(report.linksByFlow[flow.name] ?? 0)}</td>
              <td data-figure="unsyncable">
                ${
                  report.unsyncableByFlow[flow.name]
                    ? html`<a href="/unsyncable">${count(report.unsyncableByFlow[flow.name] ?? 0)}</a>`
                    : "0"
                }
              </td>
              <td data-figure="decisions">${count(report.decisionsLastHourByFlow[flow.name] ?? 0)}</td>
            </tr>`,
        )}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row">total</th>
          <td>${count(sum(report.linksByFlow))}</td>
          <td>${count(report.unsyncable)}</td>
          <td>${count(sum(report.decisionsLastHourByFlow))}</td>
        </tr>
      </tfoot>
    </table>`;
}

function queuesSection(report: StatusReport): Html {
  return html`<h2>Queues</h2>
    <dl class="figures">
      <dt>events queue</dt>
      <dd data-figure="queue">${count(report.queueDepth)}</dd>
      <dt>dead letters</dt>
      <dd data-figure="dead-letters">
        ${report.deadLetterDepth ? html`<a href="/dead-letters">${count(report.deadLetterDepth)}</a>` : "0"}
      </dd>
    </dl>
    <p class="hint">waiting, in flight and delayed</p>`;
}

function gauge(label: string, used: number, limit: number): Html {
  return html`<div class="gauge">
    <label>${label} <b>${count(used)}</b> of ${count(limit)}</label>
    <meter min="0" max="${limit}" low="${Math.round(limit * 0.6)}" high="${Math.round(limit * 0.85)}" optimum="0" value="${used}">
      ${used} of ${limit}
    </meter>
  </div>`;
}

function exactSection(report: StatusReport, now: number): Html {
  const { minute, day } = report.exactBudget;
  const connection = report.exactConnection;
  return html`<h2>Exact Online</h2>
    ${gauge("calls this minute", minute.used, minute.limit)} ${gauge("calls today", day.used, day.limit)}
    <p class="connection ${connection ? "ok" : "bad"}">
      ${
        connection
          ? html`connected since ${timeOf(connection.connectedAt)} (${ago(connection.connectedAt, now)}) by Exact user
              <code>${connection.exactUserId}</code>`
          : html`not connected: <code>syncctl connect exactonline</code> prints the link`
      }
    </p>`;
}

function pollerSection(report: StatusReport, now: number): Html {
  return html`<h2>Exact poller</h2>
    <table class="numbers">
      <thead>
        <tr>
          <th>feed</th>
          <th>cursor</th>
          <th>last read</th>
          <th>next read</th>
        </tr>
      </thead>
      <tbody>
        ${report.exactFeeds.map(
          (feed) =>
            html`<tr>
              <th scope="row">${feed.feed}</th>
              <td>${feed.position}</td>
              <td>${feed.readAt ? ago(feed.readAt, now) : "not read yet"}</td>
              <td>${feed.nextReadAt ? timeOf(feed.nextReadAt) : "at the next wake"}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${
      report.deletionsMayBeMissed
        ? html`<p class="bad">
            sync/Deleted was last read ${ago(report.deletionsMayBeMissed.lastReadAt, now)}, longer than Exact keeps deletions: run
            <code>syncctl backfill --full</code>.
          </p>`
        : ""
    }`;
}

function errorsSection(report: StatusReport): Html {
  return html`<h2>Last errors</h2>
    ${
      report.lastErrors.length === 0
        ? html`<p class="hint">none</p>`
        : html`<table>
            <thead>
              <tr>
                <th>time</th>
                <th>record</th>
                <th>error</th>
                <th>reason</th>
              </tr>
            </thead>
            <tbody>
              ${report.lastErrors.map(
                (failure) =>
                  html`<tr>
                    <td>${timeOf(failure.at)}</td>
                    <td>${recordLink(failure.record)}</td>
                    <td>${failure.error}</td>
                    <td>${failure.reason}${failure.receiveCount ? ` (attempt ${failure.receiveCount})` : ""}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }`;
}

function chartsSection(series: ActivitySeries): Html {
  return html`<h2>Activity</h2>
    <div class="charts">${decisionsChart(series)}${exactCallsChart(series)}</div>`;
}

/** One decision in the live list: what happened to which record, the fields' names, never their values. */
export function liveItem(decision: LoggedDecision): Html {
  const kind = activityKind(decision);
  const written = Object.entries(decision.fields ?? {})
    .filter(([, names]) => names?.length)
    .map(([side, names]) => `${side}: ${(names ?? []).join(", ")}`)
    .join("; ");
  const conflicts = (decision.conflicts ?? []).map((conflict) => conflict.field).join(", ");
  return html`<li class="decision" data-kind="${decision.kind}" data-event="${decision.eventId}" data-record="${decision.record.id}">
    ${timeOf(decision.at)} <span class="badge kind-${kind}">${decision.kind}</span> <span class="flow">${decision.flow}</span>
    ${recordLink(decision.record)}${decision.partner ? html` → ${recordLink(decision.partner)}` : ""}
    ${written ? html`<span class="detail">wrote ${written}</span>` : ""}
    ${conflicts ? html`<span class="detail">conflict on ${conflicts}</span>` : ""}
    ${decision.reason ? html`<span class="detail">${decision.reason}</span>` : ""}
  </li>`;
}
