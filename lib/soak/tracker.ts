/**
 * What the product is doing to each record, seen from the soak's own process (the sandboxes
 * run in it): every request the two sandboxes receive, through Node's `http.server.request.start`
 * diagnostics channel, until its response closes (answered, or cut off by a caller that gave up
 * waiting or died: then no `finish` ever comes, and the call may still be served later). The soak's own requests carry the
 * bench driver's header (lib/bench/driver.ts) and are told apart.
 *
 * It answers three questions: is one of the product's writes to this record in flight (the
 * soak does not edit a record the product is writing, as a person whose screen is not up to
 * date would not either, and flags an edit that overlapped one); how many calls did the
 * product make (the soak's own taken out); and when did the poller last finish a run (its last
 * feed is `sync/Deleted`), which "quiet" waits for.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { callKind, DRIVER_HEADER, type SystemName } from "#lib/bench/calls";

interface InFlight {
  system: SystemName;
  path: string;
  write: boolean;
}

export interface CallCount {
  reads: number;
  writes: number;
}

/** A record's path as both the product and the soak address it, e.g. `/contacts/<id>`. */
export const recordPath = (path: string): string => path.toLowerCase();

export class ProductTracker {
  private readonly writesInFlight = new Map<string, number>();
  private readonly lastWriteEndedAt = new Map<string, number>();
  private readonly calls: Record<SystemName, { product: CallCount; soak: CallCount }> = {
    exactonline: { product: { reads: 0, writes: 0 }, soak: { reads: 0, writes: 0 } },
    crmoffice: { product: { reads: 0, writes: 0 }, soak: { reads: 0, writes: 0 } },
  };
  /** performance.now() of the product's latest write (to either system) or webhook delivery to it. */
  lastActivityAt = 0;
  /** performance.now() when the poller's latest `sync/Deleted` read was answered. */
  lastPollEndedAt = 0;

  private readonly started = (message: unknown) => {
    const { request, response, socket } = message as { request: IncomingMessage; response: ServerResponse; socket: Socket };
    const system = this.ports.get(socket.localPort ?? -1);
    if (!system) return;
    if (system === "api") {
      // A webhook delivery reaching the product.
      this.lastActivityAt = performance.now();
      return;
    }
    const path = new URL(request.url ?? "/", "http://trace").pathname;
    if (path.startsWith("/_sandbox/")) return;
    const key = `${(request.method ?? "GET").toUpperCase()} ${path}`;
    const kind = callKind(key);
    if (kind === "auth") return;
    const soak = request.headers[DRIVER_HEADER] !== undefined;
    const counts = this.calls[system][soak ? "soak" : "product"];
    if (kind === "read") counts.reads += 1;
    else counts.writes += 1;
    if (soak) return;
    const write = kind === "write";
    const entry = { system, path: recordPath(path), write };
    const startedAt = performance.now();
    response.once("close", () => {
      // A caller that gave up waiting cut the answer off, but a held write still lands (the
      // sandbox serves it after its delay): it counts as in flight until then.
      const landsBy = response.writableFinished ? 0 : startedAt + this.longestHoldMs - performance.now();
      if (landsBy > 0) setTimeout(() => this.ended(entry), landsBy).unref();
      else this.ended(entry);
    });
    if (write) {
      this.writesInFlight.set(entry.path, (this.writesInFlight.get(entry.path) ?? 0) + 1);
      this.lastActivityAt = performance.now();
    }
  };

  private ended(entry: InFlight): void {
    const now = performance.now();
    if (entry.write) {
      const left = (this.writesInFlight.get(entry.path) ?? 1) - 1;
      if (left > 0) this.writesInFlight.set(entry.path, left);
      else this.writesInFlight.delete(entry.path);
      this.lastWriteEndedAt.set(entry.path, now);
      this.lastActivityAt = now;
    } else if (entry.system === "exactonline" && entry.path.endsWith("/sync/deleted")) {
      this.lastPollEndedAt = now;
    }
  }

  constructor(
    private readonly ports: Map<number, SystemName | "api">,
    /** The longest a sandbox holds a call before serving it (the soak's delay faults). */
    private readonly longestHoldMs: number,
  ) {
    subscribe("http.server.request.start", this.started);
  }

  /** True while one of the product's writes to this record has not been answered. */
  writing(path: string): boolean {
    return this.writesInFlight.has(recordPath(path));
  }

  /** True when a product write to this record was in flight at, or ended after, `since` (performance.now()). */
  wroteSince(path: string, since: number): boolean {
    return this.writing(path) || (this.lastWriteEndedAt.get(recordPath(path)) ?? 0) >= since;
  }

  /** Calls per system so far, the product's and the soak's apart (token requests are neither). */
  counts(): Record<SystemName, { product: CallCount; soak: CallCount }> {
    return structuredClone(this.calls);
  }

  stop(): void {
    unsubscribe("http.server.request.start", this.started);
  }
}
