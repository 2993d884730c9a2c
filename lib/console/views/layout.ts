import { html, type Html } from "#lib/console/html";
import type { Session } from "#lib/console/sessions";
import type { RecordRef } from "#lib/links/store";

export type Section = "overview" | "unsyncable" | "dead-letters" | "history";

const NAV: [Section, string, string][] = [
  ["overview", "/", "Overview"],
  ["unsyncable", "/unsyncable", "Unsyncable records"],
  ["dead-letters", "/dead-letters", "Dead letters"],
  ["history", "/history", "Record history"],
];

export interface PageInput {
  title: string;
  section: Section;
  /** e.g. `local stack`, `stage prod`. */
  environment: string;
  session: Session;
  body: Html;
  /** The overview's live updates. */
  live?: boolean;
}

/** The whole page: header, navigation, the one-time message an action left, the body. */
export function page({ title, section, environment, session, body, live }: PageInput): string {
  const flash = session.flash;
  delete session.flash;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · sync console</title>
        <link rel="stylesheet" href="/static/console.css" />
        ${live ? html`<script src="/static/console.js" defer></script>` : ""}
      </head>
      <body>
        <header class="top">
          <span class="brand">Exact Online ⇄ CRMOffice sync</span>
          <span class="environment">${environment}</span>
          <nav>
            ${NAV.map(([name, href, label]) => html`<a href="${href}" ${name === section ? html` aria-current="page"` : ""}>${label}</a>`)}
          </nav>
        </header>
        <main>
          ${flash ? html`<p class="flash${flash.failed ? " failed" : ""}" role="status">${flash.text}</p>` : ""}
          <h1>${title}</h1>
          ${body}
        </main>
      </body>
    </html>`.text;
}

/** The hidden field every form carries. */
export const csrfField = (session: Session) => html`<input type="hidden" name="csrf" value="${session.csrfToken}" />`;

export const historyHref = (record: RecordRef) =>
  `/history?${new URLSearchParams({ system: record.side, type: record.type, id: record.id }).toString()}`;

/** A record as a link to its history. */
export const recordLink = (record: RecordRef) =>
  html`<a class="record" href="${historyHref(record)}">${record.side} ${record.type} <code>${record.id}</code></a>`;

/** ISO time, as syncctl prints it, in a <time> element. */
export const timeOf = (iso: string) => html`<time datetime="${iso}">${iso.replace("T", " ").replace(/\.\d+Z$/, "Z")}</time>`;
