/**
 * Errors the CRMOffice sandbox answers with. Routes throw them; the server turns them into
 * the wire body, so every failure looks the same to a client.
 */

/** An API error: answered as `{ "error": code, "message": message }`. */
export class CrmOfficeApiError extends Error {
  override readonly name = "CrmOfficeApiError";

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * An error of the token endpoint: answered the OAuth2 way (RFC 6749 §5.2) as
 * `{ "error": code, "error_description": description }`, as IdentityServer does.
 */
export class OAuthTokenError extends Error {
  override readonly name = "OAuthTokenError";

  constructor(
    readonly status: 400 | 401,
    readonly code: "invalid_request" | "invalid_client" | "invalid_grant" | "unsupported_grant_type" | "invalid_scope",
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }
}

/** The error code CRMOffice answers for a status when nothing more specific applies. */
const CODE_BY_STATUS: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "validation_failed",
  429: "too_many_requests",
  500: "internal_error",
  503: "service_unavailable",
};

/** CRMOffice's error body: `{ "error": "<code>", "message": "<text>" }`. */
export function errorBody(status: number, message: string): { error: string; message: string } {
  return { error: CODE_BY_STATUS[status] ?? "error", message };
}
