/**
 * What every `/api/v1/…` call goes through before its route runs, in Exact's order: a
 * valid bearer token (401), the rate budget of the app and division (headers on every
 * charged answer, 429 when spent), JSON negotiation, and the division being accessible.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "#lib/sandbox/common/http";
import type { RouteContext, RouteHandler } from "#lib/sandbox/common/http";
import { RESOURCE_PATH } from "./entities";
import type { ResourceKind } from "./entities";
import { ExactApiError } from "./errors";
import type { AccessGrant, OAuthAuthority } from "./oauth";
import type { RateLimiter } from "./rate-limit";
import type { WireFormat } from "./serialize";
import type { ExactStore } from "./store";
import type { WebhookHub } from "./webhooks";
import { isGuid } from "./write-body";

/** Bodies larger than this are refused with 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface ExactApp {
  division: number;
  store: ExactStore;
  /** The sandbox's clock (epoch ms). */
  now: () => number;
  format: WireFormat;
  oauth: OAuthAuthority;
  rateLimiter: RateLimiter;
  webhooks: WebhookHub;
}

export interface ApiCall extends RouteContext {
  grant: AccessGrant;
}

export type ApiHandler = (req: IncomingMessage, res: ServerResponse, call: ApiCall) => void | Promise<void>;

/**
 * Exact answers Atom XML unless the client asks for JSON; the sandbox speaks only JSON, so
 * it refuses a body-returning call without `Accept: application/json` instead of silently
 * answering in a format the real service would not use.
 */
function acceptsJson(req: IncomingMessage): boolean {
  return /application\/json/i.test(req.headers.accept ?? "");
}

export function apiRoute(app: ExactApp, handler: ApiHandler): RouteHandler {
  return async (req, res, context) => {
    const grant = app.oauth.verify(req.headers.authorization);
    if (!grant) throw new ExactApiError(401, "Unauthorized", { "WWW-Authenticate": 'Bearer realm="Exact Online"' });
    const division = context.params.division ?? String(grant.division);
    const decision = app.rateLimiter.charge(`${grant.clientId}|${division}`);
    for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
    if (!decision.allowed) throw new ExactApiError(429, "Too many requests: the API rate limit was exceeded.");
    const method = (req.method ?? "GET").toUpperCase();
    if ((method === "GET" || method === "POST") && !acceptsJson(req)) {
      throw new ExactApiError(
        406,
        "Send 'Accept: application/json': without it Exact answers in Atom XML, which the sandbox does not speak.",
      );
    }
    if (division !== String(app.division)) throw new ExactApiError(403, `Forbidden: division ${division} is not accessible.`);
    await handler(req, res, { ...context, grant });
  };
}

/** A write body, which must be JSON (Exact would parse anything else as Atom XML). */
export async function readJsonBody(req: IncomingMessage): Promise<Buffer> {
  if (!/application\/json/i.test(req.headers["content-type"] ?? "")) {
    throw new ExactApiError(400, "Content-Type must be application/json.");
  }
  return readBody(req, MAX_BODY_BYTES);
}

/** The `guid'…'` key of a single-record URL, lower-cased; 400 when it is not a Guid. */
export function keyParam(call: RouteContext): string {
  const id = call.params.id ?? "";
  if (!isGuid(id)) {
    throw new ExactApiError(400, `Bad request: '${id}' is not a valid Guid key.`);
  }
  return id.toLowerCase();
}

export function recordUri(origin: string, division: number, kind: ResourceKind, id: string): string {
  return `${origin}/api/v1/${division}/${RESOURCE_PATH[kind]}(guid'${id}')`;
}
