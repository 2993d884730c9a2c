import { createHash } from "node:crypto";

/** Fixed namespace of the CRMOffice sandbox's name-based UUIDs. */
const CRMOFFICE_SANDBOX_NAMESPACE = "3f0c5a7e-8b21-4d6a-9e43-7c1d2b5f8a60";

/** A name-based (version 5, RFC 9562) UUID: the same name always gives the same id. */
function uuidV5(namespace: string, name: string): string {
  const hash = createHash("sha1")
    .update(Buffer.from(namespace.replaceAll("-", ""), "hex"))
    .update(name, "utf8")
    .digest()
    .subarray(0, 16);
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Deterministic UUIDs: the n-th id of a kind is UUIDv5("<kind>:<n>"), so a sandbox started
 * the same way hands out the same ids, while ids still look (and must be treated) as opaque
 * as the real service's. Counters survive a reset, so an id is never reused within a run and
 * a stale link can never point at a newer record.
 */
export class IdSequence {
  private readonly counters = new Map<string, number>();

  next(kind: string): string {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    return uuidV5(CRMOFFICE_SANDBOX_NAMESPACE, `${kind}:${n}`);
  }
}
