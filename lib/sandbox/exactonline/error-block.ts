/**
 * Exact's error block (exactonline-api.md, Limits): more than 10 answers of 400, 401, 403 or
 * 404 to one app (client id) in one division on one endpoint within a sliding hour block that
 * endpoint for that app for an hour. While blocked, the endpoint answers 403 at once, with
 * Exact's error body saying so and until when; those answers are not counted again.
 *
 * An endpoint is the method plus the resource path with any `(guid'…')` key removed, so
 * by-key 404s for different records add up (the reason a client must not read records that
 * may be gone by key). Only calls the sandbox can attribute to an app count: a valid token,
 * or an expired one it issued; a token it never issued belongs to no one.
 */
import type { IncomingMessage } from "node:http";
import { toAmsterdamIsoWithOffset } from "./amsterdam-time";
import type { TokenOwner } from "./oauth";

/** More errors than this within the window block the endpoint. */
const ERRORS_BEFORE_BLOCK = 10;
const WINDOW_MS = 60 * 60_000;
const BLOCK_MS = 60 * 60_000;

const COUNTED_STATUSES = new Set([400, 401, 403, 404]);

export function isCountedClientError(status: number): boolean {
  return COUNTED_STATUSES.has(status);
}

/** Who called which endpoint, for the error block. */
export interface Caller {
  clientId: string;
  division: string;
  /** `"<METHOD> <path without query and key>"`, e.g. `GET /api/v1/3183061/crm/Contacts`. */
  endpoint: string;
}

const API_PATH = /^\/api\/v1\/([^/]+)\//i;
const GUID_KEY = /\(guid'[^']*'\)/gi;

function decodedPath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** The endpoint a call is counted under: method and path, without the record key. */
function endpointOf(method: string, path: string): string {
  return `${method.toUpperCase()} ${decodedPath(path).replace(GUID_KEY, "")}`;
}

/** The caller of an `/api/v1/…` request, when its token says whose it is. */
export function callerOf(
  req: IncomingMessage,
  identify: (authorization: string | undefined) => TokenOwner | undefined,
): Caller | undefined {
  const path = new URL(req.url ?? "/", "http://sandbox").pathname;
  const division = API_PATH.exec(path)?.[1];
  if (division === undefined) return undefined;
  const owner = identify(req.headers.authorization);
  if (!owner) return undefined;
  return {
    clientId: owner.clientId,
    division: division.toLowerCase() === "current" ? String(owner.division) : division,
    endpoint: endpointOf(req.method ?? "GET", path),
  };
}

/** The text of a blocked answer (HTTP 403, Exact's error body), in the division's language. */
export function blockedMessage(endpoint: string, until: number): string {
  return (
    `Te veel fouten: ${endpoint} is geblokkeerd tot ${toAmsterdamIsoWithOffset(until)} ` +
    `(meer dan ${ERRORS_BEFORE_BLOCK} antwoorden 400/401/403/404 binnen een uur).`
  );
}

export class ErrorBlock {
  private readonly errors = new Map<string, number[]>();
  private readonly blocks = new Map<string, { endpoint: string; until: number }>();

  constructor(private readonly now: () => number) {}

  /** When the caller's endpoint is blocked: the end of the block; otherwise undefined. */
  blockedUntil(caller: Caller): number | undefined {
    const block = this.blocks.get(keyOf(caller));
    if (!block) return undefined;
    if (block.until > this.now()) return block.until;
    this.blocks.delete(keyOf(caller));
    return undefined;
  }

  /** One more counted error; the one past the threshold starts the block. */
  countError(caller: Caller): void {
    const key = keyOf(caller);
    const now = this.now();
    const recent = (this.errors.get(key) ?? []).filter((at) => at > now - WINDOW_MS);
    recent.push(now);
    if (recent.length > ERRORS_BEFORE_BLOCK) {
      this.blocks.set(key, { endpoint: caller.endpoint, until: now + BLOCK_MS });
      this.errors.delete(key);
    } else {
      this.errors.set(key, recent);
    }
  }

  /** The endpoints blocked now (for any app), `"<METHOD> <path>"`. */
  blockedEndpoints(): string[] {
    const now = this.now();
    return [...new Set([...this.blocks.values()].filter((block) => block.until > now).map((block) => block.endpoint))].sort();
  }

  reset(): void {
    this.errors.clear();
    this.blocks.clear();
  }
}

function keyOf(caller: Caller): string {
  return `${caller.clientId}|${caller.division}|${caller.endpoint}`;
}
