/** Exact's OData error body, and the error routes throw to produce it. */
import { HttpError } from "#lib/sandbox/common/http";

export interface ExactErrorBody {
  error: { code: string; message: { lang: string; value: string } };
}

export function exactErrorBody(message: string): ExactErrorBody {
  return { error: { code: "", message: { lang: "", value: message } } };
}

/** A failed API call, answered with Exact's error body. */
export class ExactApiError extends HttpError {
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(status, message, headers);
    this.name = "ExactApiError";
  }
}

/** A failed OAuth call, answered the OAuth way: `{"error": code, "error_description"?}`. */
export class OAuthError extends HttpError {
  constructor(
    readonly code: "invalid_request" | "invalid_client" | "invalid_grant" | "unsupported_grant_type",
    readonly description?: string,
  ) {
    super(400, description ?? code);
    this.name = "OAuthError";
  }

  body(): { error: string; error_description?: string } {
    return this.description === undefined ? { error: this.code } : { error: this.code, error_description: this.description };
  }
}
