import { createHmac, timingSafeEqual } from "node:crypto";

export function hmacSha256Hex(secret: string, text: string): string {
  return createHmac("sha256", secret).update(text, "utf8").digest("hex");
}

/** Compares two hex digests in constant time (for equal lengths), ignoring letter case. */
export function hexDigestsEqual(expected: string, received: string): boolean {
  const a = Buffer.from(expected.toLowerCase(), "utf8");
  const b = Buffer.from(received.toLowerCase(), "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}
