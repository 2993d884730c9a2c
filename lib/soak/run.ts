/**
 * One soak run: its own stack, the workload played against it while the faults come and go,
 * then: wait until quiet, replay the dead-letter queue once, wait again, and compare both
 * systems' full contents with the model.
 */
import { randomUUID } from "node:crypto";
import { replayDeadLetters } from "#lib/sync/replay";
import { DuplicateDeliveries, FaultSchedule, faultClasses, faultWindows, type FaultClass } from "./faults";
import type { LoggedDecision } from "#lib/links/sync-log";
import type { Entity, HistoryEntry } from "./model";
import { Random } from "./random";
import { startSoakStack, type SoakStack } from "./stack";
import { SoakSystems } from "./systems";
import { Verifier, type Comparison } from "./verify";
import { SCENARIO_WEIGHTS, Workload, type ScenarioName } from "./workload";

export interface SoakOptions {
  changes: number;
  seed: number;
  /** Exact's limits lifted (sandbox and governor); otherwise its real 60 a minute. */
  fast: boolean;
  /** Already running emulators (the test suite's). */
  aws?: { dynamoEndpoint: string; sqsEndpoint: string };
  /** Changes a second the people make at most; by default 12 with `--fast`, else 0.1 (at Exact's 60 calls a minute, shared with the people's own calls and the poller). */
  changesPerSecond?: number;
  /** Scenarios played side by side. */
  concurrency?: number;
  /** Fault classes (default: all of `faultClasses()`). */
  faults?: FaultClass[];
  /** How long one step may take to show synced (ms). */
  settleTimeoutMs?: number;
  progress?: (line: string) => void;
}

export interface SoakResult extends Comparison {
  changes: number;
  seed: number;
  fast: boolean;
  faults: Record<string, number>;
  deadLettered: { beforeReplay: number; afterReplay: number };
  /** The product's calls to Exact (reads and writes, token requests not counted), and to CRMOffice. */
  exactCalls: number;
  crmofficeCalls: number;
  /** The people's own calls (edits and the reads that wait for them to sync), not the product's. */
  soakCalls: { exactonline: number; crmoffice: number };
  durationMs: number;
  /** Time from the first change to the end of the workload, and from then until quiet (after the replay). */
  phasesMs: { workload: number; settle: number };
  scenarios: Record<string, number>;
  entities: number;
  /** Edits that overlapped one of the product's writes to the same record (either may win: see model.ts). */
  races: number;
  /** Entities whose last step never showed synced before its scenario gave up. */
  notSettled: number;
  /** The first of those, with what the soak did (the product's side of it is in its sync log). */
  slow: { entity: string; history: { soak: HistoryEntry[]; product: LoggedDecision[] } }[];
  /** Calls the people made again after a refusal (injected faults, rate limits). */
  retriedBySoak: number;
  /** Scenarios stopped because a call of the people's own kept failing (not the product's doing; their entities are still compared). */
  soakFailures: string[];
}

/** A budget of changes, taken at a pace. */
class ChangeBudget {
  made = 0;
  private nextAt = performance.now();

  constructor(
    readonly total: number,
    private readonly perSecond: number,
  ) {}

  async take(n: number): Promise<boolean> {
    if (this.made + n > this.total) return false;
    this.made += n;
    const now = performance.now();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + (1_000 * n) / this.perSecond;
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
    return true;
  }
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const progress = options.progress ?? (() => undefined);
  const runStarted = performance.now();
  const rng = new Random(options.seed);
  const workloadRng = rng.fork();
  const faultRng = rng.fork();
  const duplicates = new DuplicateDeliveries(rng.fork());
  const soak: SoakStack = await startSoakStack({
    fast: options.fast,
    ...(options.aws ? { aws: options.aws } : {}),
    resourcePrefix: `exact-crmoffice-sync-soak-${randomUUID().slice(0, 8)}`,
    deliveryRandom: duplicates.random,
    log: progress,
  });
  try {
    progress(
      `stack up in ${((performance.now() - runStarted) / 1000).toFixed(1)} s: two worker processes, poller every ${soak.pollIntervalMs / 1000} s`,
    );
    const systems = await SoakSystems.signIn(soak.stack.urls, soak.tracker);
    const verifier = new Verifier(systems, soak.tracker, soak.db, soak.stack.tableName);
    const entities: Entity[] = [];
    const soakFailures: string[] = [];
    const budget = new ChangeBudget(options.changes, options.changesPerSecond ?? (options.fast ? 12 : 0.1));
    /*
     * Scenario k's name and its own generator come from the plan in the order scenarios start,
     * and its names, emails and codes from its own range of numbers, so one seed plays the same
     * scenarios with the same choices however the machine times them.
     */
    let started = 0;
    const nextScenario = () => {
      const k = started++;
      const name: ScenarioName = workloadRng.weighted(SCENARIO_WEIGHTS);
      let counter = 0;
      const workload = new Workload({
        rng: workloadRng.fork(),
        systems,
        verifier,
        take: (n) => budget.take(n),
        spent: () => budget.made >= budget.total,
        unique: () => k * 1_000 + ++counter,
        tag: `s${options.seed}`,
        entities,
        settleTimeoutMs: options.settleTimeoutMs ?? 180_000,
        // Each look reads both systems; at Exact's real limit the people's reads share the app's budget.
        settleChecksMs: options.fast ? { first: 400, longest: 5_000 } : { first: 5_000, longest: 30_000 },
        failed: (reason) => soakFailures.push(reason),
      });
      return { name, workload };
    };

    const classes = options.faults ?? faultClasses();
    const schedule = new FaultSchedule(
      faultWindows(classes, faultRng, options.changes),
      { soak, rng: faultRng, duplicates, log: progress, intensity: options.fast ? 1 : 0.15 },
      () => Math.min(1, budget.made / options.changes),
    );
    const workloadStarted = performance.now();
    schedule.start();
    const scenarios: Record<string, number> = {};
    const ticker = setInterval(() => {
      progress(
        `${budget.made}/${options.changes} changes, ${running} scenarios running, faults: ${schedule.active().join(", ") || "none"}`,
      );
    }, 10_000);
    let running = 0;
    const concurrency = options.concurrency ?? (options.fast ? 48 : 6);
    try {
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (budget.made < options.changes) {
            const { name, workload } = nextScenario();
            scenarios[name] = (scenarios[name] ?? 0) + 1;
            running += 1;
            try {
              await workload.run(name);
            } finally {
              running -= 1;
            }
          }
        }),
      );
    } finally {
      clearInterval(ticker);
      await schedule.stop();
    }
    const workloadEnded = performance.now();
    progress(`workload done: ${budget.made} changes in ${((workloadEnded - workloadStarted) / 1000).toFixed(0)} s; waiting until quiet`);

    await soak.quiet({ since: workloadEnded });
    const beforeReplay = await soak.deadLetterDepth();
    progress(`quiet; ${beforeReplay} in the dead-letter queue; replaying it once`);
    if (beforeReplay > 0) {
      await replayDeadLetters({ deadLetterQueueUrl: soak.stack.deadLetterQueueUrl, queueUrl: soak.stack.queueUrl });
    }
    await soak.quiet({ since: performance.now() });
    const afterReplay = await soak.deadLetterDepth();
    const settled = performance.now();
    progress(`quiet again; ${afterReplay} left in the dead-letter queue; comparing both systems' full contents`);

    const comparison = await verifier.compareAll(entities);
    const slow = entities.filter((entity) => entity.history.some((entry) => entry.what.startsWith("not settled")));
    const calls = soak.tracker.counts();
    return {
      changes: budget.made,
      seed: options.seed,
      fast: options.fast,
      faults: schedule.counts(),
      ...comparison,
      deadLettered: { beforeReplay, afterReplay },
      exactCalls: calls.exactonline.product.reads + calls.exactonline.product.writes,
      crmofficeCalls: calls.crmoffice.product.reads + calls.crmoffice.product.writes,
      soakCalls: {
        exactonline: calls.exactonline.soak.reads + calls.exactonline.soak.writes,
        crmoffice: calls.crmoffice.soak.reads + calls.crmoffice.soak.writes,
      },
      durationMs: Math.round(performance.now() - runStarted),
      phasesMs: { workload: Math.round(workloadEnded - workloadStarted), settle: Math.round(settled - workloadEnded) },
      scenarios,
      entities: entities.length,
      races: entities.reduce((sum, entity) => sum + entity.races, 0),
      notSettled: slow.length,
      slow: await Promise.all(
        slow.slice(0, 20).map(async (entity) => ({
          entity: entity.label,
          history: { soak: entity.history, product: await verifier.productHistory(entity) },
        })),
      ),
      retriedBySoak: systems.retried,
      soakFailures,
    };
  } finally {
    await soak.stop();
  }
}
