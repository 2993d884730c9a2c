/**
 * Counting external API calls. The totals come from the sandboxes' own counters
 * (`GET /_sandbox/stats`, keyed "<METHOD> <path>"); a trace of the same requests, taken from
 * Node's `http.server.request.start` diagnostics channel in this process, says which of them
 * the bench's own driver made (it marks its requests with a header) and in what order the
 * product's came, so a change's calls and its echo's can be told apart.
 *
 * A read is a GET; a write is a POST, PUT, PATCH or DELETE. Token requests (Exact's
 * `/api/oauth2/…`, CRMOffice's `/connect/token`) are neither: they are counted as `auth`.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { IncomingMessage, Server } from "node:http";
import type { Socket } from "node:net";
import { round, type CallCounts, type DirectionCalls } from "./report";

export type SystemName = "exactonline" | "crmoffice";
export const SYSTEMS: readonly SystemName[] = ["exactonline", "crmoffice"];

/** The header that marks the bench driver's own requests. */
export const DRIVER_HEADER = "x-bench-driver";

export type CallKind = "read" | "write" | "auth";

export function callKind(key: string): CallKind {
  const [method = "", path = ""] = key.split(" ", 2);
  if (path.includes("/oauth2/") || path.startsWith("/connect/token")) return "auth";
  return method.toUpperCase() === "GET" ? "read" : "write";
}

export interface StatsLike {
  calls: Record<string, number>;
}

/** Calls per key made between two snapshots of one sandbox's stats. */
export function statsDelta(before: StatsLike, after: StatsLike): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [key, count] of Object.entries(after.calls)) {
    const made = count - (before.calls[key] ?? 0);
    if (made !== 0) delta[key] = made;
  }
  return delta;
}

export interface KindCounts extends CallCounts {
  auth: number;
}

export function countKinds(calls: Record<string, number> | readonly { key: string }[]): KindCounts {
  const counts: KindCounts = { reads: 0, writes: 0, auth: 0 };
  const entries: [string, number][] = Array.isArray(calls) ? calls.map((call: { key: string }) => [call.key, 1]) : Object.entries(calls);
  for (const [key, count] of entries) {
    const kind = callKind(key);
    if (kind === "read") counts.reads += count;
    else if (kind === "write") counts.writes += count;
    else counts.auth += count;
  }
  return counts;
}

export const subtract = (a: KindCounts, b: KindCounts): KindCounts => ({
  reads: a.reads - b.reads,
  writes: a.writes - b.writes,
  auth: a.auth - b.auth,
});
export const add = (a: KindCounts, b: KindCounts): KindCounts => ({
  reads: a.reads + b.reads,
  writes: a.writes + b.writes,
  auth: a.auth + b.auth,
});
export const NO_CALLS: KindCounts = { reads: 0, writes: 0, auth: 0 };

/** One request a traced server received. */
export interface TracedCall {
  /** performance.now() when the request arrived. */
  at: number;
  system: SystemName | "api";
  /** "<METHOD> <path without query>", as the sandboxes' stats key it. */
  key: string;
  driver: boolean;
}

/**
 * Records every request that reaches the given local ports (the two sandboxes and the webhook
 * API) while recording. `/_sandbox/` controls are left out, as the sandboxes' stats leave them out.
 */
export class CallTrace {
  private calls: TracedCall[] = [];
  /** performance.now() of the latest request not made by the driver (kept across clear()). */
  lastProductCallAt = 0;
  private readonly listener = (message: unknown) => {
    const { request, socket } = message as { request: IncomingMessage; socket: Socket; server: Server };
    const system = this.ports.get(socket.localPort ?? -1);
    if (!system) return;
    const path = new URL(request.url ?? "/", "http://trace").pathname;
    if (path.startsWith("/_sandbox/")) return;
    const call = {
      at: performance.now(),
      system,
      key: `${(request.method ?? "GET").toUpperCase()} ${path}`,
      driver: request.headers[DRIVER_HEADER] !== undefined,
    };
    if (!call.driver) this.lastProductCallAt = call.at;
    this.calls.push(call);
  };

  constructor(private readonly ports: Map<number, SystemName | "api">) {
    subscribe("http.server.request.start", this.listener);
  }

  /** Forgets what was recorded so far. */
  clear(): void {
    this.calls = [];
  }

  /** What was recorded since the last clear. */
  taken(): TracedCall[] {
    return [...this.calls];
  }

  stop(): void {
    unsubscribe("http.server.request.start", this.listener);
  }
}

export type Direction = "exactToCrm" | "crmToExact";
export const directionOf = (index: number): Direction => (index % 2 === 0 ? "exactToCrm" : "crmToExact");
export const sourceOf = (direction: Direction): SystemName => (direction === "exactToCrm" ? "exactonline" : "crmoffice");
export const targetOf = (direction: Direction): SystemName => (direction === "exactToCrm" ? "crmoffice" : "exactonline");

export interface CycleCalls {
  direction: Direction;
  change: Record<SystemName, KindCounts>;
  echo: Record<SystemName, KindCounts>;
  echoes: number;
  /** Product calls the sandboxes counted that the trace did not see (should be none). */
  untraced: number;
}

const bySystem = (calls: readonly TracedCall[]): Record<SystemName, KindCounts> =>
  Object.fromEntries(SYSTEMS.map((system) => [system, countKinds(calls.filter((call) => call.system === system))])) as Record<
    SystemName,
    KindCounts
  >;

/** Splits one quiet-to-quiet cycle's trace into the change's calls and its echo's. */
export function splitCycle(direction: Direction, traced: readonly TracedCall[]): Omit<CycleCalls, "untraced"> {
  const echoPath = `POST /webhooks/${targetOf(direction)}`;
  const deliveries = traced.filter((call) => call.system === "api" && call.key === echoPath);
  const echoAt = deliveries[0]?.at ?? Number.POSITIVE_INFINITY;
  const product = traced.filter((call) => !call.driver && call.system !== "api");
  return {
    direction,
    change: bySystem(product.filter((call) => call.at < echoAt)),
    echo: bySystem(product.filter((call) => call.at >= echoAt)),
    echoes: deliveries.length,
  };
}

export const DIRECTIONS: readonly Direction[] = ["exactToCrm", "crmToExact"];

/** Exact calls per change in each direction (the change, and the change with its echo), from the product's cycles or the naive baseline's. */
export function exactCallsByDirection(
  cycles: readonly Pick<CycleCalls, "direction" | "change" | "echo">[],
): Record<Direction, DirectionCalls> {
  const of = (direction: Direction): DirectionCalls => {
    const mine = cycles.filter((cycle) => cycle.direction === direction);
    const n = Math.max(1, mine.length);
    const sum = (pick: (cycle: Pick<CycleCalls, "change" | "echo">) => number) => mine.reduce((total, cycle) => total + pick(cycle), 0);
    return {
      changes: mine.length,
      exact: {
        reads: round(sum((cycle) => cycle.change.exactonline.reads) / n),
        writes: round(sum((cycle) => cycle.change.exactonline.writes) / n),
      },
      exactWithEcho: round(
        sum(
          (cycle) =>
            cycle.change.exactonline.reads + cycle.change.exactonline.writes + cycle.echo.exactonline.reads + cycle.echo.exactonline.writes,
        ) / n,
      ),
    };
  };
  return { exactToCrm: of("exactToCrm"), crmToExact: of("crmToExact") };
}
