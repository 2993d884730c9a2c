/**
 * One HTTP exchange with a system, as both connectors make it: a timeout on every request,
 * the whole body read (so the connection is reused), a failure to get any answer turned into
 * a TransientError, and bodies checked against their zod schema (of either zod API).
 * Statuses are left to the caller, which knows its system's rules.
 */
import * as z from "#lib/util/zod-mini";
import { describeIssues } from "#lib/webhooks/errors";
import { TransientError, UnexpectedResponseError } from "./errors";
import type { SystemName } from "./types";

export interface HttpExchange {
  system: SystemName;
  /** "METHOD /path" for messages: never the query or the headers. */
  operation: string;
  response: Response;
  bodyText: string;
}

export interface ExchangeOptions {
  system: SystemName;
  fetch: typeof fetch;
  timeoutMs: number;
}

export async function exchange(url: string, init: RequestInit, options: ExchangeOptions): Promise<HttpExchange> {
  const { system } = options;
  const operation = `${init.method ?? "GET"} ${new URL(url).pathname}`;
  try {
    const response = await options.fetch(url, { ...init, signal: AbortSignal.timeout(options.timeoutMs) });
    const bodyText = await response.text();
    return { system, operation, response, bodyText };
  } catch (error) {
    const reason =
      error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")
        ? `timed out after ${options.timeoutMs} ms`
        : `failed without an answer (${error instanceof Error ? error.message : String(error)})`;
    throw new TransientError(system, null, `${system} ${operation} ${reason}`, { cause: error });
  }
}

/** The body as JSON matching `schema`, else UnexpectedResponseError naming the paths at fault (never the values). */
export function parseBody<S extends z.core.$ZodType>(schema: S, { system, operation, response, bodyText }: HttpExchange): z.output<S> {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    throw new UnexpectedResponseError(system, response.status, `${system} ${operation} answered a body that is not JSON`);
  }
  const parsed = z.safeParse(schema, body);
  if (!parsed.success) {
    throw new UnexpectedResponseError(
      system,
      response.status,
      `${system} ${operation} answered an unexpected shape: ${describeIssues(parsed.error)}`,
    );
  }
  return parsed.data;
}

/** The text parsed as JSON matching `schema`, or undefined: for optional bodies such as error texts. */
export function tryParseBody<S extends z.core.$ZodType>(schema: S, bodyText: string): z.output<S> | undefined {
  try {
    const parsed = z.safeParse(schema, JSON.parse(bodyText));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
