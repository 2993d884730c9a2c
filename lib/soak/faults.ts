/**
 * The faults the soak puts the product through, each from a control the sandboxes or the stack
 * already have: the sandboxes' `/_sandbox/faults` (500/503 bursts, 429 storms, answers held past
 * the product's timeout while the write still lands), their delivery options (duplicate and
 * late deliveries), the stack's TCP proxies (DynamoDB refusing connections; the webhook API
 * unreachable, so deliveries come late, retried, out of order), Exact's webhook subscriptions
 * (removed for a while: its notifications are lost, the poller must find the changes), Exact's
 * division moved to another database (its Timestamps renumbered) and the worker processes
 * (SIGKILLed mid-batch, a new one started).
 *
 * Each fault is a `FaultClass`: adding one is one more entry in `faultClasses`. The schedule
 * gives every class windows over the run (by the share of changes made), placed by the seed, so
 * faults come in phases and overlap; while its window is open a class acts about once a second.
 */
import type { SystemName } from "#lib/bench/calls";
import type { WorkerProcess } from "#lib/local/worker-processes";
import type { Random } from "./random";
import { SOAK_TIMING, type SoakStack } from "./stack";

export interface FaultContext {
  soak: SoakStack;
  rng: Random;
  /**
   * How hard faults strike, 0..1: 1 with Exact's limits lifted; less at its real limit, where
   * the product makes a call every second or so and armed faults would otherwise pile up.
   */
  intensity: number;
  duplicates: DuplicateDeliveries;
  log: (line: string) => void;
}

export interface FaultClass {
  /** The class's name in the report. */
  name: string;
  /** When its window opens. */
  open?(ctx: FaultContext): Promise<void>;
  /** About once a second while its window is open; `first` on the window's first second (each window strikes at least once). */
  tick?(ctx: FaultContext, first: boolean): Promise<void>;
  /** When its window closes (and at the end of the run, for a window still open). */
  close?(ctx: FaultContext): Promise<void>;
  /** How often it struck: injections, kills, outages, duplicated or lost deliveries. */
  count(): number;
}

/**
 * The sandboxes' source of chance for duplicate deliveries (their `random` option, with
 * `duplicateRate: 1`): a copy is sent when this says so, at the rate the fault sets.
 */
export class DuplicateDeliveries {
  rate = 0;
  duplicated = 0;

  constructor(private readonly rng: Random) {}

  readonly random = (): number => {
    if (this.rate > 0 && this.rng.chance(this.rate)) {
      this.duplicated += 1;
      return 0;
    }
    return 1;
  };
}

/** Arms one fault on one sandbox through its `/_sandbox/faults` route. */
export async function armFault(soak: SoakStack, system: SystemName, spec: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${soak.stack.urls[system]}/_sandbox/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(spec),
  });
  await response.arrayBuffer();
  if (response.status !== 201) throw new Error(`arming ${JSON.stringify(spec)} on ${system}: HTTP ${response.status}`);
}

export async function clearFaults(soak: SoakStack): Promise<void> {
  for (const system of ["exactonline", "crmoffice"] as const) {
    const response = await fetch(`${soak.stack.urls[system]}/_sandbox/faults`, { method: "DELETE" });
    await response.arrayBuffer();
  }
}

/** How long the sandboxes go on retrying a delivery (0.5 + 1 + 2 s of back-off, and a margin). */
const DELIVERY_RETRIES_MS = 4_000;

const SYSTEM_CHOICES = [["exactonline"], ["crmoffice"], ["exactonline", "crmoffice"]] as const;

/** Bursts of one status on one system or both: `times` calls each. */
function statusBursts(name: string, status: 429 | 500 | 503, chance: number, times: [number, number]): FaultClass {
  let count = 0;
  return {
    name,
    async tick({ soak, rng, intensity }, first) {
      if (!first && !rng.chance(chance * intensity)) return;
      const systems = status === 429 ? (["exactonline", "crmoffice"] as const) : rng.pick(SYSTEM_CHOICES);
      for (const system of systems) {
        const spec = { status, times: Math.max(1, Math.round(rng.int(...times) * intensity)) };
        await armFault(soak, system, spec);
        count += spec.times;
      }
    },
    count: () => count,
  };
}

/** Writes answered only after the product has given up waiting (its HTTP timeout), which still land. */
function landingTimeouts(): FaultClass {
  let count = 0;
  return {
    name: "timeouts whose writes land",
    async tick({ soak, rng, intensity }, first) {
      if (!first && !rng.chance(0.3 * intensity)) return;
      const spec = { delayMs: SOAK_TIMING.heldCallMs, times: rng.int(1, 3), method: rng.pick(["PUT", "POST"]) };
      await armFault(soak, rng.pick(["exactonline", "crmoffice"] as const), spec);
      count += spec.times;
    },
    count: () => count,
  };
}

/** A worker process SIGKILLed right after it took a batch, and a new one started. */
function workerKills(): FaultClass {
  let count = 0;
  const busiest = async (soak: SoakStack): Promise<WorkerProcess | undefined> => {
    const before = soak.workers().map((worker) => worker.taken());
    for (let waited = 0; waited < 3_000; waited += 20) {
      const worker = soak.workers().find((candidate, index) => candidate.taken() > (before[index] ?? 0));
      if (worker) return worker;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return undefined;
  };
  return {
    name: "worker killed mid-batch",
    async tick({ soak, rng, intensity }, first) {
      if (!first && !rng.chance(0.15 * intensity)) return;
      const worker = await busiest(soak);
      if (!worker) return;
      await soak.replaceWorker(worker);
      count += 1;
    },
    count: () => count,
  };
}

function dynamoOutages(): FaultClass {
  let count = 0;
  return {
    name: "DynamoDB refusing connections",
    async tick({ soak, rng, intensity }, first) {
      if (!first && !rng.chance(0.07 * intensity)) return;
      count += 1;
      await soak.dynamoProxy.outage(rng.int(1_500, 4_000));
    },
    count: () => count,
  };
}

/**
 * The webhook API unreachable for up to 2.5 s: the sandboxes retry each delivery with back-off
 * (0.5, 1, 2 s), so the ones that failed arrive late and after newer ones. Each outage is
 * shorter than those retries last and is followed by at least as long with the API reachable,
 * so no delivery is given up: CRMOffice promises at-least-once delivery, and the product has no
 * fallback for a CRMOffice notification that never comes.
 */
function webhookOutages(): FaultClass {
  let count = 0;
  return {
    name: "late and out-of-order deliveries",
    async tick({ soak, rng, intensity }, first) {
      if (!first && !rng.chance(0.12 * intensity)) return;
      count += 1;
      await soak.webhookProxy.outage(rng.int(600, 2_500));
      await new Promise((resolve) => setTimeout(resolve, DELIVERY_RETRIES_MS));
    },
    count: () => count,
  };
}

function duplicateDeliveries(): FaultClass {
  let before = 0;
  let count = 0;
  return {
    name: "duplicate deliveries",
    async open({ duplicates }) {
      before = duplicates.duplicated;
      duplicates.rate = 0.3;
    },
    async close({ duplicates }) {
      duplicates.rate = 0;
      count += duplicates.duplicated - before;
    },
    count: () => count,
  };
}

/**
 * Exact's notifications lost: its webhook subscriptions removed for the window and made again
 * after it. Only the poller's fallback over the sync API can find what changed meanwhile.
 * (CRMOffice delivers at least once, by its contract, and the product has no fallback for it.)
 */
function lostExactWebhooks(): FaultClass {
  let writesAtOpen = 0;
  let count = 0;
  const retrying = async (what: () => Promise<void>, log: (line: string) => void) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await what();
      } catch (error) {
        if (attempt >= 30) throw error;
        log(`lost webhooks: ${String(error)}; again in a second`);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  };
  const exactWrites = (soak: SoakStack) => soak.tracker.counts().exactonline.soak.writes;
  return {
    name: "lost Exact webhooks",
    async open({ soak, log }) {
      await retrying(() => soak.unsubscribeExact(), log);
      writesAtOpen = exactWrites(soak);
    },
    async close({ soak, log }) {
      count += exactWrites(soak) - writesAtOpen;
      await retrying(() => soak.subscribe(), log);
    },
    count: () => count,
  };
}

/**
 * The Exact division moved to another database (`POST /_sandbox/move-division`): every
 * Timestamp is renumbered from 1, so the poller's cursors point past every row until it sees
 * the move date on `system/Divisions` and restarts its feeds. Changes made meanwhile whose
 * webhooks are lost (that window may overlap) are found only then. Once per window.
 */
function divisionMoves(): FaultClass {
  let count = 0;
  return {
    name: "division move",
    async tick({ soak }, first) {
      if (!first) return;
      const response = await fetch(`${soak.stack.urls.exactonline}/_sandbox/move-division`, { method: "POST" });
      await response.arrayBuffer();
      if (response.status !== 204) throw new Error(`moving the division: HTTP ${response.status}`);
      count += 1;
    },
    count: () => count,
  };
}

/** Every fault class the soak knows, in the report's order. */
export function faultClasses(): FaultClass[] {
  return [
    statusBursts("500 bursts", 500, 0.35, [2, 6]),
    statusBursts("503 bursts", 503, 0.35, [2, 6]),
    statusBursts("429 storms", 429, 0.25, [10, 25]),
    landingTimeouts(),
    workerKills(),
    dynamoOutages(),
    webhookOutages(),
    duplicateDeliveries(),
    lostExactWebhooks(),
    divisionMoves(),
  ];
}

interface Window {
  from: number;
  to: number;
}

/** Where each class's windows lie, as shares of the run's changes (seeded). */
export function faultWindows(classes: readonly FaultClass[], rng: Random, changes: number): Map<FaultClass, Window[]> {
  const perClass = Math.max(1, Math.min(4, Math.round(changes / 2_500)));
  const windows = new Map<FaultClass, Window[]>();
  for (const fault of classes) {
    const list: Window[] = [];
    for (let i = 0; i < perClass; i++) {
      // Each of the class's windows in its own stretch of the run, between 5 % and 92 %.
      const stretch = 0.87 / perClass;
      const length = stretch * (0.45 + 0.4 * rng.next());
      const from = 0.05 + stretch * i + (stretch - length) * rng.next();
      list.push({ from, to: from + length });
    }
    windows.set(fault, list);
  }
  return windows;
}

/** Runs the schedule: opens and closes each class's windows as the run progresses, ticking the open ones. */
export class FaultSchedule {
  private readonly open = new Set<FaultClass>();
  private readonly busy = new Set<FaultClass>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly windows: Map<FaultClass, Window[]>,
    private readonly ctx: FaultContext,
    /** The share of the run's changes made so far, 0..1. */
    private readonly progress: () => number,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.step(), 1_000);
    this.step();
  }

  /** The classes whose window is open now. */
  active(): string[] {
    return [...this.open].map((fault) => fault.name);
  }

  /** Each class acts on its own: one that takes long (a kill, an outage) holds up no other. */
  private step(): void {
    if (this.stopped) return;
    const at = this.progress();
    for (const [fault, windows] of this.windows) {
      if (this.busy.has(fault)) continue;
      this.busy.add(fault);
      void this.act(
        fault,
        windows.some((window) => at >= window.from && at < window.to),
      ).finally(() => this.busy.delete(fault));
    }
  }

  private async act(fault: FaultClass, inside: boolean): Promise<void> {
    try {
      if (inside && !this.open.has(fault)) {
        this.open.add(fault);
        this.ctx.log(`fault on: ${fault.name}`);
        await fault.open?.(this.ctx);
        await fault.tick?.(this.ctx, true);
      } else if (!inside && this.open.has(fault)) {
        this.open.delete(fault);
        this.ctx.log(`fault off: ${fault.name}`);
        await fault.close?.(this.ctx);
      } else if (inside) {
        await fault.tick?.(this.ctx, false);
      }
    } catch (error) {
      this.ctx.log(`fault ${fault.name} failed to act: ${String(error)}`);
    }
  }

  /** Closes every open window and clears what the sandboxes still hold armed. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    while (this.busy.size > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    for (const fault of this.open) await fault.close?.(this.ctx);
    this.open.clear();
    await clearFaults(this.ctx.soak);
  }

  counts(): Record<string, number> {
    return Object.fromEntries([...this.windows.keys()].map((fault) => [fault.name, fault.count()]));
  }
}
