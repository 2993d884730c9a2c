import { createHmac } from "node:crypto";
import { hexDigestsEqual } from "#lib/webhooks/hmac";

/** How long a person has between starting the Exact authorisation and coming back. */
const STATE_LIFETIME_MS = 10 * 60_000;

/**
 * The OAuth `state`: a timestamp signed with a secret only this deployment knows, so the
 * callback accepts only authorisations it started itself (CSRF protection) without storing them.
 */
export function signState(secret: string, now = Date.now()): string {
  const issued = String(now);
  return `${issued}.${createHmac("sha256", secret).update(issued).digest("hex")}`;
}

export function verifyState(secret: string, state: string, now = Date.now()): boolean {
  const [issued = "", signature = ""] = state.split(".", 2);
  const age = now - Number(issued);
  if (!/^\d+$/.test(issued) || age < 0 || age > STATE_LIFETIME_MS) return false;
  return hexDigestsEqual(createHmac("sha256", secret).update(issued).digest("hex"), signature);
}
