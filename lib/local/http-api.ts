/**
 * API Gateway's HTTP API in front of Lambda handlers, on node:http: each request becomes a
 * payload format 2.0 event, the handler's result becomes the HTTP response, and the gateway's
 * own answers (404 unknown route, 413 over 10 MB, 500 when the function fails) are its JSON
 * `{"message": ...}` bodies.
 */
import { randomBytes } from "node:crypto";
import { listen, type ListeningServer } from "#lib/util/listen";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { z } from "zod";
import { createLambdaContext } from "./lambda-context";
import { LOCAL_ACCOUNT_ID } from "./local-aws";
import { consoleRuntimeLog, type RuntimeLog } from "./runtime-log";

/** A deployed HTTP handler (e.g. a middy-wrapped function). Its result is checked at runtime. */
export type HttpApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

/** API Gateway's payload limit for HTTP APIs. */
export const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface HttpApiOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Route key ("POST /webhooks/exactonline") → handler; matched exactly, as API Gateway does without path variables. */
  routes: Record<string, HttpApiHandler>;
  log?: RuntimeLog;
  /** The function timeout the handlers' contexts count down from. */
  functionTimeoutMs?: number;
}

export type HttpApi = ListeningServer;

export class InvalidRouteKeyError extends Error {
  override name = "InvalidRouteKeyError";
}

const ROUTE_KEY = /^([A-Z]+) (\/\S*)$/;

export async function startHttpApi({
  port,
  host = "127.0.0.1",
  routes,
  log = consoleRuntimeLog,
  functionTimeoutMs,
}: HttpApiOptions): Promise<HttpApi> {
  for (const routeKey of Object.keys(routes)) {
    if (!ROUTE_KEY.test(routeKey)) throw new InvalidRouteKeyError(`"${routeKey}" is not a route key like "POST /path"`);
  }
  const server = createServer((req, res) => {
    handleRequest(req, res, routes, log, functionTimeoutMs).catch((error: unknown) => {
      log.error("http-api: could not answer a request", error);
      if (!res.headersSent) sendGatewayError(res, 500, "Internal Server Error", newRequestId());
      else res.destroy();
    });
  });
  return listen(server, { port, host });
}

async function handleRequest(
  req: IncomingMessage,
  res: ServerResponse,
  routes: Record<string, HttpApiHandler>,
  log: RuntimeLog,
  functionTimeoutMs: number | undefined,
): Promise<void> {
  const requestId = newRequestId();
  const target = req.url ?? "/";
  const queryStart = target.indexOf("?");
  const rawPath = queryStart === -1 ? target : target.slice(0, queryStart);
  const rawQueryString = queryStart === -1 ? "" : target.slice(queryStart + 1);
  const routeKey = `${req.method ?? "GET"} ${rawPath}`;
  const handler = routes[routeKey];
  if (!handler) return sendGatewayError(res, 404, "Not Found", requestId);

  const body = await readBody(req, API_GATEWAY_MAX_BODY_BYTES);
  if (body === "too large") {
    // Do not keep reading an oversized upload on this connection.
    res.setHeader("connection", "close");
    return sendGatewayError(res, 413, "Request Entity Too Large", requestId);
  }

  const event = toEvent(req, { routeKey, rawPath, rawQueryString, requestId, body });
  const context = createLambdaContext({ functionName: functionNameOf(routeKey), timeoutMs: functionTimeoutMs });
  let result: unknown;
  try {
    result = await handler(event, context);
  } catch (error) {
    log.error(`http-api: ${routeKey} failed (request ${requestId})`, error);
    return sendGatewayError(res, 500, "Internal Server Error", requestId);
  }
  const response = toHttpResponse(result);
  if (!response) {
    log.error(`http-api: ${routeKey} returned an invalid response (request ${requestId})`);
    return sendGatewayError(res, 500, "Internal Server Error", requestId);
  }
  send(res, response, requestId);
}

/** The body, or "too large" as soon as it passes `limit` bytes (the rest is not kept). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | "too large"> {
  if (Number(req.headers["content-length"] ?? 0) > limit) {
    req.resume();
    return Promise.resolve("too large");
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        resolve("too large");
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

interface RequestParts {
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  requestId: string;
  body: Buffer;
}

function toEvent(req: IncomingMessage, { routeKey, rawPath, rawQueryString, requestId, body }: RequestParts): APIGatewayProxyEventV2 {
  const { headers, cookies } = collectHeaders(req.rawHeaders);
  const sourceIp = (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
  // API Gateway appends the caller to X-Forwarded-For and says how it was reached.
  headers["x-forwarded-for"] = headers["x-forwarded-for"] ? `${headers["x-forwarded-for"]}, ${sourceIp}` : sourceIp;
  headers["x-forwarded-port"] = String(req.socket.localPort ?? "");
  headers["x-forwarded-proto"] = "http";
  const domainName = (headers.host ?? "localhost").replace(/:\d+$/, "");
  const now = new Date();
  const encodedBody = encodeBody(body, headers["content-type"]);
  return {
    version: "2.0",
    routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...queryStringParameters(rawQueryString),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: "local",
      domainName,
      domainPrefix: domainName.split(".")[0] ?? domainName,
      http: {
        method: req.method ?? "GET",
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers["user-agent"] ?? "",
      },
      requestId,
      routeKey,
      stage: "$default",
      time: apacheTime(now),
      timeEpoch: now.getTime(),
    },
    ...encodedBody,
  };
}

/** Lower-cased names, repeated headers joined with commas; cookies go to their own list (format 2.0). */
function collectHeaders(rawHeaders: string[]): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    if (name === "cookie") cookies.push(...value.split(/;\s*/).filter(Boolean));
    else headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return { headers, cookies };
}

function queryStringParameters(rawQueryString: string): { queryStringParameters?: Record<string, string> } {
  if (!rawQueryString) return {};
  const parameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    parameters[name] = name in parameters ? `${parameters[name]},${value}` : value;
  }
  return { queryStringParameters: parameters };
}

/**
 * API Gateway passes text media types as text and base64-encodes everything else (also a body
 * without a content type). Text that is not valid UTF-8 is base64-encoded too, so the handler
 * always gets the exact bytes that were sent.
 */
function encodeBody(body: Buffer, contentType: string | undefined): { body?: string; isBase64Encoded: boolean } {
  if (body.length === 0) return { isBase64Encoded: false };
  if (isTextMediaType(contentType)) {
    try {
      return { body: new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body), isBase64Encoded: false };
    } catch {
      // not UTF-8: fall through to base64
    }
  }
  return { body: body.toString("base64"), isBase64Encoded: true };
}

function isTextMediaType(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  return (
    mediaType.startsWith("text/") ||
    ["application/json", "application/javascript", "application/xml"].includes(mediaType) ||
    /^application\/[\w.+-]+\+(json|xml)$/.test(mediaType)
  );
}

const StructuredResultSchema = z.object({
  statusCode: z.number().int().min(100).max(599),
  headers: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  cookies: z.array(z.string()).optional(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
});

interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: Buffer;
}

/**
 * A result with a statusCode is a structured response; anything else is, as with API Gateway's
 * format 2.0, a 200 application/json response whose body is the result (a string as it is).
 * Undefined means the structured response is malformed.
 */
function toHttpResponse(result: unknown): HttpResponse | undefined {
  if (result !== null && typeof result === "object" && !Array.isArray(result) && "statusCode" in result) {
    const parsed = StructuredResultSchema.safeParse(result);
    if (!parsed.success) return undefined;
    const { statusCode, headers = {}, cookies = [], body = "", isBase64Encoded = false } = parsed.data;
    return {
      statusCode,
      headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), String(value)])),
      cookies,
      body: Buffer.from(body, isBase64Encoded ? "base64" : "utf8"),
    };
  }
  return {
    statusCode: 200,
    headers: { "content-type": "application/json" },
    cookies: [],
    body: Buffer.from(typeof result === "string" ? result : JSON.stringify(result ?? null), "utf8"),
  };
}

function send(res: ServerResponse, { statusCode, headers, cookies, body }: HttpResponse, requestId: string): void {
  res.statusCode = statusCode;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  res.setHeader("content-length", body.length);
  res.setHeader("apigw-requestid", requestId);
  res.end(body);
}

function sendGatewayError(res: ServerResponse, statusCode: number, message: string, requestId: string): void {
  send(
    res,
    { statusCode, headers: { "content-type": "application/json" }, cookies: [], body: Buffer.from(JSON.stringify({ message })) },
    requestId,
  );
}

/** API Gateway request ids look like "JKJaXmPLvHcESHA=". */
function newRequestId(): string {
  return randomBytes(10).toString("base64");
}

/** "POST /webhooks/exactonline" → "post-webhooks-exactonline" (names the function in logs). */
function functionNameOf(routeKey: string): string {
  return routeKey
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** requestContext.time's format: "12/Mar/2020:19:03:58 +0000". */
function apacheTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(
    date.getUTCMinutes(),
  )}:${pad(date.getUTCSeconds())} +0000`;
}
