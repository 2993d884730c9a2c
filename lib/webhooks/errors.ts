import type * as z from "#lib/util/zod-mini";

/** Why a webhook delivery was refused; each maps to one HTTP status in the handlers. */
export class WebhookSignatureError extends Error {
  override name = "WebhookSignatureError";
}

export class WebhookPayloadError extends Error {
  override name = "WebhookPayloadError";
}

export class WebhookTooLargeError extends Error {
  override name = "WebhookTooLargeError";
}

/** A zod error as one line naming the paths, never the values (they may be personal data). */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ");
}
