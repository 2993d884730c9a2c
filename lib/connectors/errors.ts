/**
 * Why a call to Exact Online or CRMOffice failed, as named classes the sync engine can act on:
 * wait (RateLimitedError), retry later (TransientError), stop and record (ClientRequestError,
 * UnexpectedResponseError), treat as gone (RecordNotFoundError) or ask a person to
 * re-authorise (AuthorizationError). Messages name the operation (method and path, never the
 * query, which can hold an email) and the system's own error text with personal data masked;
 * they never hold tokens or secrets.
 */
import type { SystemName } from "./types";

export abstract class ConnectorError extends Error {
  constructor(
    readonly system: SystemName,
    /** The HTTP status that failed, or null when no response came (network, timeout, refused before calling). */
    readonly status: number | null,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Over the system's rate limit: try again after `retryAfterMs`. */
export class RateLimitedError extends ConnectorError {
  override name = "RateLimitedError";
  constructor(
    system: SystemName,
    readonly retryAfterMs: number,
    message: string,
  ) {
    super(system, 429, message);
  }
}

/** 5xx, network failure or timeout: the same call may well succeed later. */
export class TransientError extends ConnectorError {
  override name = "TransientError";
}

/**
 * The system refused the request as it stands (400/403/409/422, or Exact's functional 500s):
 * retrying it unchanged will fail again.
 */
export class ClientRequestError extends ConnectorError {
  override name = "ClientRequestError";
}

/** 404 where the record had to exist (update). */
export class RecordNotFoundError extends ConnectorError {
  override name = "RecordNotFoundError";
}

/** Credentials refused even after a token refresh, or the refresh grant itself refused: a person must re-authorise. */
export class AuthorizationError extends ConnectorError {
  override name = "AuthorizationError";
}

/** The system answered success with a body that does not match its documented shape. */
export class UnexpectedResponseError extends ConnectorError {
  override name = "UnexpectedResponseError";
}

/** Used when a 429 names no wait at all: one minute matches the shortest window either system counts. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;
const MAX_ERROR_TEXT_LENGTH = 300;

/**
 * Masks what looks like an email address or a phone number, so a system's error text
 * (which may quote the rejected value) can go into messages and logs.
 */
export function redactPersonalData(text: string): string {
  return text
    .replace(/[^\s'"<>(),;:@]+@[^\s'"<>(),;:@]+/g, "<email>")
    .replace(/\+?\d(?:[\s().-]*\d){7,}/g, "<number>")
    .slice(0, MAX_ERROR_TEXT_LENGTH);
}

/** How long a 429's `Retry-After` (seconds or an HTTP date) asks to wait, or undefined when it names none. */
function retryAfterHeaderMs(headers: Headers, now: number): number | undefined {
  const retryAfter = headers.get("retry-after")?.trim();
  if (!retryAfter) return undefined;
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(retryAfter);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

export interface FailedResponse {
  status: number;
  headers: Headers;
}

export interface FailureContext {
  /** "METHOD /path", no query. */
  operation: string;
  /** The system's own description of the failure, taken from its error body by the connector. */
  errorText: string | undefined;
  /** A 429's wait as the system's own headers tell it (Exact's reset headers); else `Retry-After`, else a minute. */
  retryAfterMs?: number;
  /** The system said, whatever the status, that the request itself is refused (Exact's functional 500s). */
  refusal?: boolean;
  now?: number;
}

/**
 * The error for a non-2xx answer. 401 and 404 are classified here too; the clients first
 * handle them as their contract says (refresh once; null on get; done on delete).
 */
export function classifyHttpFailure(system: SystemName, response: FailedResponse, context: FailureContext): ConnectorError {
  const { status, headers } = response;
  const detail = context.errorText ? `: ${redactPersonalData(context.errorText)}` : "";
  const message = `${system} ${context.operation} answered ${status}${detail}`;
  if (status === 429) {
    const waitMs = context.retryAfterMs ?? retryAfterHeaderMs(headers, context.now ?? Date.now()) ?? DEFAULT_RATE_LIMIT_WAIT_MS;
    return new RateLimitedError(system, waitMs, message);
  }
  if (context.refusal) return new ClientRequestError(system, status, message);
  if (status >= 500) return new TransientError(system, status, message);
  if (status === 401) return new AuthorizationError(system, status, message);
  if (status === 404) return new RecordNotFoundError(system, status, message);
  // 408 (request timeout) is the one 4xx that says nothing about the request itself.
  if (status === 408) return new TransientError(system, status, message);
  return new ClientRequestError(system, status, message);
}
