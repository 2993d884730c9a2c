/**
 * The small HTTP layer both sandboxes stand on: a server that can be stopped cleanly, a
 * path router, and body/response helpers. Built on node:http so the sandboxes need no
 * framework and behave the same in tests, the local stack and the CLI.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { listen, type ListeningServer } from "#lib/util/listen";

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export type RunningServer = ListeningServer;

export interface ListenOptions {
  /** 0 picks a free port. */
  port: number;
  host: string;
}

/** Listens with `handler`; a handler that throws answers 500 rather than hanging the client. */
export async function startHttpServer(handler: RequestHandler, { port, host }: ListenOptions): Promise<RunningServer> {
  const server = createServer((req, res) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((error: unknown) => {
        console.error("sandbox: unhandled error in request handler", error);
        if (!res.headersSent) sendJson(res, 500, { error: "internal_error" });
        else res.end();
      });
  });
  return listen(server, { port, host });
}

/** An error that already knows its HTTP status; route handlers throw it, the error hook answers it. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(maxBytes: number) {
    super(413, `Request body is larger than ${maxBytes} bytes`);
    this.name = "PayloadTooLargeError";
  }
}

/** Reads the whole body; rejects with PayloadTooLargeError as soon as it passes `maxBytes`. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        settled = true;
        req.off("data", onData);
        // Keep draining (and discarding) so the response can still be written on this socket.
        req.resume();
        reject(new PayloadTooLargeError(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => {
      if (!settled) resolve(Buffer.concat(chunks));
    });
    req.once("error", (error) => {
      if (!settled) reject(error);
    });
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

export function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...headers,
    "Content-Type": "text/html; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(html)),
  });
  res.end(html);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, "Content-Length": "0" });
  res.end();
}

export interface RouteContext {
  /** Path parameters, percent-decoded. */
  params: Record<string, string>;
  /** The full request URL (absolute, on the server's own origin). */
  url: URL;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, ctx: RouteContext) => void | Promise<void>;

/** Called when no route matched; `allowedMethods` is non-empty when the path exists under another method. */
export type NotFoundHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  ctx: { url: URL; allowedMethods: string[] },
) => void | Promise<void>;

export type ErrorHandler = (req: IncomingMessage, res: ServerResponse, error: unknown) => void | Promise<void>;

export interface Router {
  /**
   * `pattern` is a path whose segments may hold `:name` parameters, also inside a segment
   * (`/crm/Contacts(guid':id')`). Segments are matched after percent-decoding each one.
   */
  add(method: string, pattern: string, handler: RouteHandler): Router;
  onNotFound(handler: NotFoundHandler): Router;
  /** Answers errors thrown by routes (HttpError carries its status). */
  onError(handler: ErrorHandler): Router;
  handle: RequestHandler;
}

export interface RouterOptions {
  /** Match the literal parts of patterns regardless of case (IIS-hosted APIs such as Exact do). */
  caseInsensitive?: boolean;
}

interface CompiledRoute {
  method: string;
  segments: RegExp[];
  paramNames: string[][];
  handler: RouteHandler;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function compileSegment(segment: string, flags: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  let source = "";
  let last = 0;
  for (const match of segment.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)) {
    source += escapeRegExp(segment.slice(last, match.index));
    source += "(.+?)";
    names.push(match[1] ?? "");
    last = match.index + match[0].length;
  }
  source += escapeRegExp(segment.slice(last));
  return { regex: new RegExp(`^${source}$`, flags), names };
}

function decodeSegments(pathname: string): string[] | undefined {
  try {
    return pathname.split("/").map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
}

const defaultNotFound: NotFoundHandler = (_req, res) => sendJson(res, 404, { error: "not_found" });

const defaultOnError: ErrorHandler = (_req, res, error) => {
  if (error instanceof HttpError) sendJson(res, error.status, { error: error.message }, error.headers);
  else throw error;
};

/**
 * The scheme the client used: `https` when a TLS front says so (`X-Forwarded-Proto`), as
 * real clients that refuse plain HTTP need one; otherwise the sandbox's own `http`. Links the
 * sandbox builds from the request URL (`__next`, `__metadata.uri`) then use it.
 */
function schemeOf(req: IncomingMessage): "http" | "https" {
  const forwarded = String(req.headers["x-forwarded-proto"] ?? "")
    .split(",")[0]
    ?.trim()
    .toLowerCase();
  return forwarded === "https" ? "https" : "http";
}

export function createRouter(options: RouterOptions = {}): Router {
  const flags = options.caseInsensitive ? "i" : "";
  const routes: CompiledRoute[] = [];
  let notFound = defaultNotFound;
  let onError = defaultOnError;

  const match = (route: CompiledRoute, segments: string[]): Record<string, string> | undefined => {
    if (route.segments.length !== segments.length) return undefined;
    const params: Record<string, string> = {};
    for (const [index, regex] of route.segments.entries()) {
      const found = regex.exec(segments[index] ?? "");
      if (!found) return undefined;
      for (const [position, name] of (route.paramNames[index] ?? []).entries()) {
        params[name] = found[position + 1] ?? "";
      }
    }
    return params;
  };

  const router: Router = {
    add(method, pattern, handler) {
      const compiled = pattern.split("/").map((segment) => compileSegment(segment, flags));
      routes.push({
        method: method.toUpperCase(),
        segments: compiled.map((part) => part.regex),
        paramNames: compiled.map((part) => part.names),
        handler,
      });
      return router;
    },
    onNotFound(handler) {
      notFound = handler;
      return router;
    },
    onError(handler) {
      onError = handler;
      return router;
    },
    async handle(req, res) {
      const url = new URL(req.url ?? "/", `${schemeOf(req)}://${req.headers.host ?? "localhost"}`);
      const method = (req.method ?? "GET").toUpperCase();
      const segments = decodeSegments(url.pathname);
      const allowedMethods: string[] = [];
      try {
        if (segments) {
          for (const route of routes) {
            const params = match(route, segments);
            if (!params) continue;
            if (route.method === method) {
              await route.handler(req, res, { params, url });
              return;
            }
            allowedMethods.push(route.method);
          }
        }
        await notFound(req, res, { url, allowedMethods });
      } catch (error) {
        await onError(req, res, error);
      }
    },
  };
  return router;
}
