/** Exact's OData error body, and the error routes throw to produce it. */
import type { FaultStatus } from "#lib/sandbox/common/faults";
import { HttpError } from "#lib/sandbox/common/http";

export interface ExactErrorBody {
  error: { code: string; message: { lang: string; value: string } };
}

export function exactErrorBody(message: string): ExactErrorBody {
  return { error: { code: "", message: { lang: "", value: message } } };
}

/**
 * What an outage looks like from outside: a load balancer's short HTML page, not Exact's JSON
 * body (which Exact keeps for functional refusals). Injected 500 and 503 faults answer with it;
 * an injected 429 keeps Exact's body.
 */
export function outagePage(status: FaultStatus): string | undefined {
  if (status === 429) return undefined;
  const title = status === 500 ? "500 - Internal server error." : "503 - Service Unavailable";
  return `<!DOCTYPE html>\n<html><head><title>${title}</title></head><body><h1>${title}</h1><p>Please try again later.</p></body></html>\n`;
}

/** A failed API call, answered with Exact's error body. */
export class ExactApiError extends HttpError {
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(status, message, headers);
    this.name = "ExactApiError";
  }
}

/**
 * A functional refusal: Exact answers a request that is wrong about the data (a duplicate, a
 * missing mandatory field, a callback that fails validation) with HTTP 500 and its error body,
 * in the division's language. It is not an outage (those come without Exact's body), and
 * retrying it cannot succeed.
 */
export class FunctionalRefusal extends ExactApiError {
  constructor(message: string) {
    super(500, message);
    this.name = "FunctionalRefusal";
  }

  /** "Gegeven bestaat reeds" ("record already exists"), naming the field that clashes. */
  static duplicate(field: string): FunctionalRefusal {
    return new FunctionalRefusal(`Gegeven bestaat reeds: ${field}`);
  }

  /** "Verplicht: <field>" ("mandatory"), as Exact words it (`Verplicht: Serie`). */
  static mandatory(field: string): FunctionalRefusal {
    return new FunctionalRefusal(`Verplicht: ${field}`);
  }
}

/** A failed OAuth call, answered the OAuth way: `{"error": code, "error_description"?}`. */
export class OAuthError extends HttpError {
  constructor(
    readonly code: "invalid_request" | "invalid_client" | "invalid_grant" | "unsupported_grant_type" | "access_denied",
    readonly description?: string,
    headers: Record<string, string> = {},
  ) {
    super(400, description ?? code, headers);
    this.name = "OAuthError";
  }

  body(): { error: string; error_description?: string } {
    return this.description === undefined ? { error: this.code } : { error: this.code, error_description: this.description };
  }
}
