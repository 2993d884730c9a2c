/**
 * The operator's console: a web page over the same library code as syncctl (collectStatus, the
 * sync log, replay, lib/ops), served by `npm start` and `syncctl console` on 127.0.0.1 only.
 *
 * Pages are HTML drawn on the server (no build step, no client framework: the overview paints
 * complete with its first response); one small script keeps the overview live over server-sent
 * events. Every action is a POST carrying the session's CSRF token; requests must name the
 * console's own host (a page on another site cannot reach it through DNS rebinding). Field
 * values appear only where syncctl shows them (history's conflicts, the unsyncable records'
 * review) and never in a URL or a log line: a search by email or Code is a POST.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { documentClient } from "#lib/aws/dynamodb";
import { parseRecordRef, READ_ONLY_RETENTION_DAYS } from "#lib/cli/commands/history";
import { collectStatus, queueDepth } from "#lib/cli/commands/status";
import type { CliEnvironment } from "#lib/cli/environment";
import { describeError, UsageError } from "#lib/cli/errors";
import { parseSettings } from "#lib/config/settings";
import { Html, html } from "#lib/console/html";
import { LiveFeed } from "#lib/console/live";
import { Sessions, validCsrfToken, type Session } from "#lib/console/sessions";
import { deadLettersBody, replayPreviewBody, replayResultBody } from "#lib/console/views/dead-letters";
import { foundBody, historyBody, historySearch } from "#lib/console/views/history";
import { page, type Section } from "#lib/console/views/layout";
import { liveItem, overviewBody, overviewSections } from "#lib/console/views/overview";
import { unsyncableBody } from "#lib/console/views/unsyncable";
import { FailureLog, type Failure } from "#lib/links/failures";
import { SyncLog } from "#lib/links/sync-log";
import { exactCallsPerMinute } from "#lib/ops/activity";
import { findRecords, SEARCH_FIELDS, type SearchField } from "#lib/ops/find";
import { LinkRefusedError, linkToCandidate, retryRecord } from "#lib/ops/resolve";
import { listUnsyncable } from "#lib/ops/unsyncable";
import { syncContext } from "#lib/sync/context";
import { emptyReplaySummary, replayDeadLetters, type ReplaySummary } from "#lib/sync/replay";
import { PayloadTooLargeError, readBody } from "#lib/sandbox/common/http";
import { listen, type ListeningServer } from "#lib/util/listen";

/** The console listens here and nowhere else. */
export const CONSOLE_HOST = "127.0.0.1";
const MAX_FORM_BYTES = 64 * 1024;
/** Dead letters stay hidden from other readers while a page lists or replays them; released at the end. */
const HOLD_SECONDS = 60;
/** New decisions are read this often while a page is open. */
const DEFAULT_LIVE_POLL_MS = 500;
/** After new decisions, the overview's figures are drawn again at most this often… */
const OVERVIEW_REFRESH_MS = 1_000;
/** …and at least this often while a page is open (queue depths move without decisions). */
const OVERVIEW_IDLE_REFRESH_MS = 5_000;
const KEEP_ALIVE_MS = 15_000;

const STATIC_FILES: Record<string, { file: string; type: string }> = {
  "/static/console.js": { file: "console.js", type: "text/javascript; charset=utf-8" },
  "/static/console.css": { file: "console.css", type: "text/css; charset=utf-8" },
};

const SECURITY_HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "same-origin",
  "Cache-Control": "no-store",
};

export interface ConsoleOptions {
  environment: CliEnvironment;
  /** 0 picks a free one. */
  port: number;
  /** One line per action and per failed request: method, path, status; never a query, a body or a value. */
  log?: (line: string) => void;
  /** Hours the charts show; default 3. */
  chartHours?: number;
  livePollMs?: number;
}

export type ConsoleServer = ListeningServer;

/** A request the console refuses, with the status and the sentence the page shows. */
class RefusedError extends Error {
  override name = "RefusedError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startConsole(options: ConsoleOptions): Promise<ConsoleServer> {
  const { environment } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const db = documentClient();
  const settings = parseSettings(process.env);
  const syncLog = new SyncLog(db, environment.tableName, READ_ONLY_RETENTION_DAYS);
  const failures = new FailureLog(db, environment.tableName);
  const feed = new LiveFeed({
    log: syncLog,
    failures,
    exactCalls: (minutes) => exactCallsPerMinute(db, environment.tableName, settings.EXACT_DIVISION, minutes),
    exactCallsPerMinute: settings.EXACT_CALLS_PER_MINUTE,
    hours: options.chartHours ?? 3,
    pollMs: options.livePollMs ?? DEFAULT_LIVE_POLL_MS,
  });
  const sessions = new Sessions();
  const staticDir = new URL("./static/", import.meta.url);
  const statics = new Map(
    Object.entries(STATIC_FILES).map(([path, { file, type }]) => [path, { body: readFileSync(new URL(file, staticDir)), type }]),
  );
  let port = options.port;

  const send = (res: ServerResponse, status: number, body: string | Buffer, type = "text/html; charset=utf-8", headers = {}) => {
    res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": type, ...headers });
    res.end(body);
  };
  const sendPage = (res: ServerResponse, session: Session, section: Section, title: string, body: Html, live = false, status = 200) =>
    send(res, status, page({ title, section, environment: environment.name, session, body, live }));
  const redirect = (res: ServerResponse, location: string) => {
    res.writeHead(303, { ...SECURITY_HEADERS, Location: location });
    res.end();
  };

  async function overview() {
    const [report, window, recent] = await Promise.all([collectStatus(environment), feed.activity(), feed.recent()]);
    return { report, series: await window.series(), recent };
  }

  // ------------------------------------------------------------------------------------------
  // Live updates: one stream per open overview, fed by one reader of the sync log.

  const streams = new Set<ServerResponse>();
  let refreshTimer: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  const broadcast = (event: string, data: unknown) => {
    const message = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const stream of streams) stream.write(message);
  };
  const refreshOverview = async () => {
    refreshTimer = undefined;
    try {
      const { report, series } = await overview();
      const sections = Object.fromEntries(
        Object.entries(overviewSections(report, series, Date.now())).map(([id, part]) => [id, part.text]),
      );
      broadcast("overview", { sections });
    } catch (error) {
      log(`console: could not refresh the overview: ${describeError(error)}`);
    }
  };
  const scheduleRefresh = () => (refreshTimer ??= setTimeout(() => void refreshOverview(), OVERVIEW_REFRESH_MS));
  const unsubscribe = feed.subscribe(({ decisions, failures: failed }) => {
    if (streams.size === 0) return;
    for (const decision of decisions) broadcast("decision", { html: liveItem(decision).text });
    if (decisions.length || failed.length) scheduleRefresh();
  });

  function openStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": "text/event-stream; charset=utf-8", Connection: "keep-alive" });
    res.write("retry: 1000\n\n");
    streams.add(res);
    idleTimer ??= setInterval(() => void refreshOverview(), OVERVIEW_IDLE_REFRESH_MS);
    const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), KEEP_ALIVE_MS);
    req.on("close", () => {
      clearInterval(keepAlive);
      streams.delete(res);
      if (streams.size === 0 && idleTimer) {
        clearInterval(idleTimer);
        idleTimer = undefined;
      }
    });
  }

  // ------------------------------------------------------------------------------------------
  // Pages (GET)

  async function deadLetterListing(request: { dryRun: boolean; flow?: string; messageIds?: string[] }): Promise<{
    summary: ReplaySummary;
    lastErrors: Map<string, Failure>;
  }> {
    const summary = await replayDeadLetters({
      queueUrl: environment.queueUrl,
      deadLetterQueueUrl: environment.deadLetterQueueUrl,
      visibilityTimeoutSeconds: HOLD_SECONDS,
      ...request,
    });
    const correlationIds = [...new Set(summary.events.map((event) => event.correlationId))];
    const latest = await Promise.all(correlationIds.map((id) => failures.latest(id)));
    return {
      summary,
      lastErrors: new Map(latest.filter((failure) => failure !== null).map((failure) => [failure.correlationId, failure])),
    };
  }

  async function get(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const file = statics.get(url.pathname);
    if (file) return send(res, 200, file.body, file.type, { "Cache-Control": "no-cache" });
    if (url.pathname === "/favicon.ico") return send(res, 204, "");
    if (url.pathname === "/live") {
      if (!sessions.find(req)) throw new RefusedError(403, "no console session: open the page first");
      return openStream(req, res);
    }
    const session = sessions.findOrStart(req, res);
    switch (url.pathname) {
      case "/": {
        const { report, series, recent } = await overview();
        return sendPage(res, session, "overview", "Overview", overviewBody(report, series, recent, Date.now()), true);
      }
      case "/unsyncable": {
        const records = await listUnsyncable(await syncContext());
        return sendPage(res, session, "unsyncable", "Unsyncable records", unsyncableBody(session, records));
      }
      case "/dead-letters": {
        const depth = await queueDepth(environment.deadLetterQueueUrl);
        const { summary, lastErrors } =
          depth > 0
            ? await deadLetterListing({ dryRun: true })
            : { summary: emptyReplaySummary({ dryRun: true }), lastErrors: new Map<string, Failure>() };
        return sendPage(res, session, "dead-letters", "Dead letters", deadLettersBody(session, summary, lastErrors));
      }
      case "/history": {
        const id = url.searchParams.get("id");
        if (!id) return sendPage(res, session, "history", "Record history", historySearch(session));
        const record = parseRecordRef([url.searchParams.get("system") ?? "", url.searchParams.get("type") ?? "", id]);
        const decisions = await syncLog.history(record);
        return sendPage(res, session, "history", "Record history", historyBody(session, record, decisions));
      }
      default:
        throw new RefusedError(404, "no such page");
    }
  }

  // ------------------------------------------------------------------------------------------
  // Actions (POST, each with the session's CSRF token)

  async function post(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`)
      throw new RefusedError(403, "refused: the form came from another site");
    const form = new URLSearchParams((await readBody(req, MAX_FORM_BYTES)).toString("utf8"));
    const session = sessions.find(req);
    if (!validCsrfToken(session, form.get("csrf")) || !session)
      throw new RefusedError(403, "refused: the form's security token is missing or out of date; reload the page and try again");
    const record = () => parseRecordRef([form.get("system") ?? "", form.get("type") ?? "", form.get("id") ?? ""]);
    const subject = (ref: { side: string; type: string; id: string }) => `${ref.side} ${ref.type} ${ref.id}`;

    switch (url.pathname) {
      case "/unsyncable/retry": {
        const ref = record();
        await retryRecord(environment.queueUrl, ref);
        log(`console: retry ${subject(ref)}`);
        session.flash = { text: `Queued ${subject(ref)} for the worker: it decides again within seconds.`, failed: false };
        return redirect(res, "/unsyncable");
      }
      case "/unsyncable/link": {
        const ref = record();
        const flow = form.get("flow") ?? "";
        const candidateId = form.get("candidate") ?? "";
        try {
          const result = await linkToCandidate(
            { ...(await syncContext()), queueUrl: environment.queueUrl },
            { flow, record: ref, candidateId },
          );
          log(`console: link ${subject(ref)} to ${subject(result.partner)} in ${flow}`);
          session.flash = {
            text: `Linked ${subject(ref)} to ${subject(result.partner)} in ${flow}; the worker merges them next.`,
            failed: false,
          };
        } catch (error) {
          if (!(error instanceof LinkRefusedError)) throw error;
          session.flash = { text: `Not linked: ${error.message}`, failed: true };
        }
        return redirect(res, "/unsyncable");
      }
      case "/dead-letters/preview": {
        const messageIds = form.getAll("message");
        const flow = form.get("flow") ?? undefined;
        const scope = form.get("scope");
        if (scope === "selected" && messageIds.length === 0) {
          session.flash = { text: "Pick at least one dead letter first.", failed: true };
          return redirect(res, "/dead-letters");
        }
        const { summary, lastErrors } = await deadLetterListing({
          dryRun: true,
          ...(flow ? { flow } : {}),
          ...(scope === "selected" ? { messageIds } : {}),
        });
        return sendPage(res, session, "dead-letters", "Replay: dry run", replayPreviewBody(session, summary, lastErrors));
      }
      case "/dead-letters/replay": {
        const messageIds = form.getAll("message");
        if (messageIds.length === 0) throw new RefusedError(400, "nothing chosen to replay");
        const { summary } = await deadLetterListing({ dryRun: false, messageIds });
        log(`console: replayed ${summary.moved} dead letters`);
        const depth = await queueDepth(environment.deadLetterQueueUrl);
        return sendPage(res, session, "dead-letters", "Replay: done", replayResultBody(summary, depth));
      }
      case "/history/find": {
        const field = form.get("field") as SearchField;
        const value = form.get("value")?.trim() ?? "";
        if (!SEARCH_FIELDS.includes(field) || value === "") throw new RefusedError(400, "say what to find: an email address or a Code");
        const records = await findRecords((await syncContext()).connectors, field, value);
        return sendPage(res, session, "history", "Record history", foundBody(session, records));
      }
      default:
        throw new RefusedError(404, "no such action");
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = req.headers.host ?? "";
    if (host !== `${CONSOLE_HOST}:${port}` && host !== `localhost:${port}`)
      throw new RefusedError(421, "this console answers on 127.0.0.1 only");
    const url = new URL(req.url ?? "/", `http://${host}`);
    if (req.method === "GET") return get(req, res, url);
    if (req.method === "POST") return post(req, res, url);
    throw new RefusedError(405, "only GET and POST");
  }

  const server = createServer((req, res) => {
    const started = performance.now();
    const path = (req.url ?? "/").split("?")[0];
    const done = (status: number) => {
      if (req.method !== "GET" || status >= 400)
        log(`console: ${req.method} ${path} ${status} (${Math.round(performance.now() - started)} ms)`);
    };
    handle(req, res)
      .then(() => done(res.statusCode))
      .catch((error: unknown) => {
        const status =
          error instanceof RefusedError
            ? error.status
            : error instanceof UsageError
              ? 400
              : error instanceof PayloadTooLargeError
                ? 413
                : 500;
        const message = error instanceof RefusedError || error instanceof UsageError ? error.message : `failed: ${describeError(error)}`;
        done(status);
        if (status === 500) log(`console: ${req.method} ${path} failed: ${describeError(error)}`);
        if (res.headersSent) return void res.end();
        send(res, status, errorPage(status, message));
      });
  });
  const listening = await listen(server, { port: options.port, host: CONSOLE_HOST });
  port = listening.port;
  return {
    ...listening,
    close: async () => {
      unsubscribe();
      feed.stop();
      if (refreshTimer) clearTimeout(refreshTimer);
      if (idleTimer) clearInterval(idleTimer);
      for (const stream of streams) stream.end();
      await listening.close();
    },
  };
}

function errorPage(status: number, message: string): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${status} · sync console</title>
        <link rel="stylesheet" href="/static/console.css" />
      </head>
      <body>
        <main>
          <h1>${status}</h1>
          <p class="flash failed">${message}</p>
          <p><a href="/">Back to the overview</a></p>
        </main>
      </body>
    </html>`.text;
}

/** The console's view of a local stack started in this process (`npm start`, the tests). */
export function stackEnvironment(stack: {
  tableName: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  urls: { api: string };
}): CliEnvironment {
  return {
    name: "local stack",
    tableName: stack.tableName,
    queueUrl: stack.queueUrl,
    deadLetterQueueUrl: stack.deadLetterQueueUrl,
    apiUrl: stack.urls.api,
  };
}
