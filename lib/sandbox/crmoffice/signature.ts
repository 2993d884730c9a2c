import { createHmac } from "node:crypto";

/** The delivery header that carries the signature. */
export const SIGNATURE_HEADER = "CRMOffice-Signature";

/**
 * `t=<unix seconds>,v1=<lower-case hex HMAC-SHA256 of "<t>.<raw body>">` (crmoffice-api.md):
 * the time is signed with the body so a captured delivery cannot be replayed later.
 */
export function signatureHeaderValue(secret: string, unixSeconds: number, rawBody: string): string {
  const v1 = createHmac("sha256", secret).update(`${unixSeconds}.${rawBody}`, "utf8").digest("hex");
  return `t=${unixSeconds},v1=${v1}`;
}
