/**
 * The pure half of `npm run bench`: percentiles, the result's JSON shape, the targets the issue
 * sets and their check, and the readable table. No timing, no I/O.
 */

import type { ConsoleFigures } from "./console";
import type { IdleDayFigures } from "./idle-day";

export interface LatencySummary {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface IngestFigures extends LatencySummary {
  perSecond: number;
  invocations: number;
  concurrency: number;
  /** Invocations that did not answer 202. */
  errors: number;
}

/** Where an acknowledged webhook's CPU time goes, per invocation (ms), from the in-process runs. */
export interface IngestDiagnosis {
  /** The function process, all of it: our code, Powertools, middy and the SQS client. */
  functionCpuMs: number;
  /** The same process sending only the SendMessage, through the same client: the AWS SDK's share. */
  sendMessageCpuMs: number;
  /** The rest: signature check, validation, the change event, logging and metrics. */
  ownCodeCpuMs: number;
  /** The SQS emulator (fauxqs, in the bench's main process) answering that SendMessage. */
  sqsEmulatorCpuMs: number;
  /** The SendMessage alone, at the same concurrency. */
  sendMessageOnly: { p50Ms: number; p99Ms: number; perSecond: number };
  /** The HTTP run: the function process (adapter included) and this process (client and emulator). */
  httpFunctionCpuMs: number;
  /** Load average (1 min) when ingest began: other work on the machine shares its cores. */
  loadAverage: number;
}

export interface EndToEndFigures extends LatencySummary {
  changes: number;
  /** Changes started per second. */
  ratePerSecond: number;
  /** Changes not seen on the other side within the deadline (not in the percentiles). */
  timedOut: number;
  /** Changes whose arrival was found by polling rather than by the other sandbox's answer to the product's write. */
  polled: number;
  /**
   * CPU the bench's main process spent per change and its echo: the local stack's single Node
   * thread (sandboxes, webhook API, SQS emulator, worker, AWS SDK calls to DynamoDB Local and
   * SQS) plus the driver. Its inverse bounds the rate the local stack can sustain.
   */
  stackCpuMsPerChange: number;
  byDirection: Record<"exactToCrm" | "crmToExact", LatencySummary & { changes: number }>;
}

/** Calls to one or both systems, averaged over the measured changes. */
export interface CallCounts {
  reads: number;
  writes: number;
}

export interface PerChangeCalls extends CallCounts {
  /** The same, to Exact Online only (its budget is the binding one). */
  exact: CallCounts;
  /** Of `reads`: reads of the changed record itself, and of its partner in the other system. */
  sourceReads: number;
  partnerReads: number;
}

export interface PerEchoCalls extends CallCounts {
  exact: CallCounts;
}

export interface CallFigures {
  perChange: PerChangeCalls;
  perEcho: PerEchoCalls;
  backfillExactReadsPer1000: number;
}

export interface BackfillDetail {
  records: number;
  exact: CallCounts;
  crmoffice: CallCounts;
}

export interface ApiCallFigures extends CallFigures {
  naive: CallFigures;
  /** How many times more the naive baseline spends (naive ÷ product). */
  ratio: {
    /** All calls to both systems for one change and its echo. */
    callsPerChangeWithEcho: number;
    /** Exact calls for one change and its echo. */
    exactCallsPerChangeWithEcho: number;
    backfillExactReads: number;
  };
  /** What Exact's 60-a-minute and 5,000-a-day budget carries, at the measured Exact calls per change (with its echo). */
  exactBudget: {
    changesPerMinute: number;
    changesPerDay: number;
    naiveChangesPerMinute: number;
    naiveChangesPerDay: number;
  };
  backfill: { product: BackfillDetail; naive: BackfillDetail };
  /** Changes measured (product, naive); echoes are one per change. */
  samples: { changes: number; naiveChanges: number; untraced: number };
}

export interface BundleFigures {
  bytes: number;
  initMs: number;
  /** The baseline: a bundle of nothing but the AWS SDK clients the function calls, built and timed alike. */
  baselineBytes: number;
  baselineInitMs: number;
  /** bytes ÷ baselineBytes, initMs ÷ baselineInitMs. */
  bytesRatio: number;
  initRatio: number;
  /** The clients its baseline holds. */
  sdkClients: string[];
  /** AWS SDK client packages in the bundle beyond those (carried without being needed). */
  extraSdkClients: string[];
  /** The handler the function runs (several functions may share one file, so one bundle). */
  handler: string;
  /** What takes the most room in it, and what adds the most to it beyond its baseline. */
  largest: { name: string; bytes: number }[];
  largestBeyondBaseline: { name: string; bytes: number }[];
}

export interface TargetCheck {
  name: string;
  /** e.g. "≤ 5 ms". */
  target: string;
  value: number;
  /** The target's bound, in `unit`. */
  limit: number;
  /** Whether the value must stay at most or reach at least the limit. */
  bound: "atMost" | "atLeast";
  unit: string;
  met: boolean;
  /** For a miss: a short reason. */
  why?: string;
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  platform: string;
  /** 1-minute load average at the start and the end: other work on the machine shares its cores. */
  loadAverage: { start: number; end: number };
}

/** One burst: `changes` linked contacts edited on one side within a few seconds (lib/bench/burst.ts). */
export interface BurstFigures extends LatencySummary {
  changes: number;
  /** Every Exact API call the product made from the first edit until quiet (echoes included), per 1,000 changes. */
  exactCallsPer1000: number;
  /** The totals behind it; `auth` are token requests (not API calls). */
  exact: CallCounts & { auth: number };
  crmoffice: CallCounts;
  /** How long making the edits took, and how long until the stack was quiet again (from the first edit). */
  editSeconds: number;
  quietSeconds: number;
  /** Edits whose new value never reached the other side (not in the percentiles). */
  notSynced: number;
}

export interface DirectionCalls {
  changes: number;
  /** Exact calls of the change itself (its echo apart). */
  exact: CallCounts;
  /** Exact calls of the change and its echo together. */
  exactWithEcho: number;
}

/** Lone changes, one at a time (the API-call cycles): what one change costs Exact on its own. */
export interface SingleFigures {
  /** Exact reads of one change (its echo apart), the larger of the two directions' averages. */
  exactReadsPerChange: number;
  /** Exact reads of its echo, averaged over all echoes. */
  exactReadsPerEcho: number;
  byDirection: Record<"exactToCrm" | "crmToExact", DirectionCalls>;
}

export interface CapacityColumns {
  /** This sync, at the calls a burst costs per change. */
  burst: number;
  /** This sync, one change at a time (a change and its echo each read on their own: the per-record path). */
  perRecord: number;
  /** The naive baseline (no poller: the whole budget). */
  naive: number;
}

/**
 * Changes a day each direction that fit in Exact's daily budget, from the measured counts. This
 * sync's columns get what the idle poller leaves of the budget.
 */
export interface CapacityFigures {
  exactCallsPerDay: number;
  pollerCallsPerDay: number;
  /** Changes made in Exact (synced to CRMOffice). */
  exactSide: CapacityColumns;
  /** Changes made in CRMOffice (synced to Exact). */
  crmSide: CapacityColumns;
}

export interface BenchResult {
  ingest: { inProcess: IngestFigures; http: IngestFigures; diagnosis: IngestDiagnosis };
  endToEnd: EndToEndFigures & { overload: Omit<EndToEndFigures, "byDirection"> };
  apiCalls: ApiCallFigures;
  single: SingleFigures;
  burst: { exactSide: BurstFigures; crmSide: BurstFigures };
  idle: IdleDayFigures;
  capacity: CapacityFigures;
  bundles: Record<string, BundleFigures>;
  /** The operator console's first paint and live-update delay (lib/bench/console.ts). */
  console?: ConsoleFigures;
  targets: TargetCheck[];
  machine: MachineInfo;
  /** Wall time of the whole bench run. */
  durationMs: number;
}

/** Nearest-rank percentile (`p` in 0..100) of unsorted samples; NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  if (p < 0 || p > 100) throw new RangeError(`percentile ${p} is outside 0..100`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export const round = (value: number, digits = 2): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

export function summarize(samples: readonly number[]): LatencySummary {
  return {
    p50Ms: round(percentile(samples, 50)),
    p99Ms: round(percentile(samples, 99)),
    maxMs: round(samples.length ? Math.max(...samples) : Number.NaN),
  };
}

/** The issue's targets. Bundle size is in bytes (600 KB = 600 × 1024). */
export const TARGETS = {
  ingestInProcessP99Ms: 5,
  ingestInProcessPerSecond: 2_000,
  endToEndP50Ms: 500,
  endToEndP99Ms: 2_000,
  readsPerChange: 1,
  writesPerChange: 1,
  writesPerEcho: 0,
  backfillExactReadsPer1000: 2,
  burstExactSideCallsPer1000: 50,
  burstCrmSideCallsPer1000: 1_100,
  singleExactReadsPerChange: 1,
  idleExactCallsPerDay: 250,
  idleTokenRefreshesPerDay: 100,
  bundleBytes: 600 * 1024,
  bundleInitMs: 150,
  /** Against the function's SDK-only baseline (bundle bytes ÷ baseline bytes, init ÷ baseline init). */
  bundleBytesRatio: 1.3,
  bundleInitRatio: 1.5,
  consoleFirstPaintP50Ms: 300,
  consoleLiveUpdateMaxMs: 2_000,
} as const;

/** Known reasons for misses, keyed by target name; the bench adds them to a missed target. */
export type MissReasons = Partial<Record<string, string>>;

/** Every target with its measured value and whether it is met; `why` from `reasons` on a miss. */
export function checkTargets(result: Omit<BenchResult, "targets" | "machine" | "durationMs">, reasons: MissReasons = {}): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const atMost = (name: string, value: number, limit: number, unit: string) =>
    checks.push({ name, target: `≤ ${formatNumber(limit)} ${unit}`.trim(), value, limit, bound: "atMost", unit, met: value <= limit });
  const atLeast = (name: string, value: number, limit: number, unit: string) =>
    checks.push({ name, target: `≥ ${formatNumber(limit)} ${unit}`.trim(), value, limit, bound: "atLeast", unit, met: value >= limit });

  atMost("ingest.inProcess.p99Ms", result.ingest.inProcess.p99Ms, TARGETS.ingestInProcessP99Ms, "ms");
  atLeast("ingest.inProcess.perSecond", result.ingest.inProcess.perSecond, TARGETS.ingestInProcessPerSecond, "/s");
  atMost("endToEnd.p50Ms", result.endToEnd.p50Ms, TARGETS.endToEndP50Ms, "ms");
  atMost("endToEnd.p99Ms", result.endToEnd.p99Ms, TARGETS.endToEndP99Ms, "ms");
  atMost("apiCalls.perChange.reads", result.apiCalls.perChange.reads, TARGETS.readsPerChange, "");
  atMost("apiCalls.perChange.writes", result.apiCalls.perChange.writes, TARGETS.writesPerChange, "");
  atMost("apiCalls.perEcho.writes", result.apiCalls.perEcho.writes, TARGETS.writesPerEcho, "");
  atMost("apiCalls.backfillExactReadsPer1000", result.apiCalls.backfillExactReadsPer1000, TARGETS.backfillExactReadsPer1000, "");
  atMost("single.exactReadsPerChange", result.single.exactReadsPerChange, TARGETS.singleExactReadsPerChange, "");
  atMost("burst.exactSide.exactCallsPer1000", result.burst.exactSide.exactCallsPer1000, TARGETS.burstExactSideCallsPer1000, "");
  atMost("burst.crmSide.exactCallsPer1000", result.burst.crmSide.exactCallsPer1000, TARGETS.burstCrmSideCallsPer1000, "");
  atMost("idle.exactCallsPerDay", result.idle.exactCallsPerDay, TARGETS.idleExactCallsPerDay, "");
  atMost("idle.tokenRefreshesPerDay", result.idle.tokenRefreshesPerDay, TARGETS.idleTokenRefreshesPerDay, "");
  for (const side of ["exactSide", "crmSide"] as const) {
    const burst = result.burst[side];
    if (burst.notSynced === 0) continue;
    const check = checks.find((candidate) => candidate.name === `burst.${side}.exactCallsPer1000`) as TargetCheck;
    check.met = false;
    check.why = `${burst.notSynced} of ${burst.changes} edits never reached the other side`;
  }
  for (const [name, bundle] of Object.entries(result.bundles)) {
    atMost(`bundles.${name}.bytes`, bundle.bytes, TARGETS.bundleBytes, "B");
    atMost(`bundles.${name}.initMs`, bundle.initMs, TARGETS.bundleInitMs, "ms");
    atMost(`bundles.${name}.bytesRatio`, bundle.bytesRatio, TARGETS.bundleBytesRatio, "×");
    atMost(`bundles.${name}.initRatio`, bundle.initRatio, TARGETS.bundleInitRatio, "×");
  }
  if (result.console) {
    atMost("console.firstPaint.p50Ms", result.console.firstPaint.p50Ms, TARGETS.consoleFirstPaintP50Ms, "ms");
    atMost("console.liveUpdate.maxMs", result.console.liveUpdate.maxMs, TARGETS.consoleLiveUpdateMaxMs, "ms");
    if (result.console.liveUpdate.missed > 0) {
      const check = checks.at(-1) as TargetCheck;
      check.met = false;
      check.why = `${result.console.liveUpdate.missed} of ${result.console.liveUpdate.changes} decisions never showed in the page`;
    }
  }
  // A timed-out change is a miss of the end-to-end targets, whatever the percentiles of the others say.
  if (result.endToEnd.timedOut > 0) {
    for (const check of checks.filter((candidate) => candidate.name.startsWith("endToEnd."))) {
      check.met = false;
      check.why = `${result.endToEnd.timedOut} of ${result.endToEnd.changes} changes never arrived`;
    }
  }
  for (const check of checks) {
    if (!check.met && check.why === undefined)
      check.why = reasons[check.name] ?? reasons[check.name.replace(/^bundles\.[^.]+\./, "bundles.*.")] ?? "not explained";
    if (Number.isNaN(check.value)) {
      check.met = false;
      check.why = "not measured";
    }
  }
  return checks;
}

/** The JSON line: the issue's keys first, then targets, machine and duration. */
export function toJson(result: BenchResult): string {
  const { ingest, endToEnd, apiCalls, single, burst, idle, capacity, bundles, console, targets, machine, durationMs } = result;
  return JSON.stringify({ ingest, endToEnd, apiCalls, single, burst, idle, capacity, bundles, console, targets, machine, durationMs });
}

export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "–";
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  return value.toLocaleString("en-US", { maximumFractionDigits: 2 });
}

export function formatBytes(bytes: number): string {
  return `${(bytes / 1024).toLocaleString("en-US", { maximumFractionDigits: 1 })} KB`;
}

/** Rows as a Markdown table (readable as plain text too). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(" | ")} |`;
  return [line(header), `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

const withUnit = (value: number, unit: string) => (unit ? `${formatNumber(value)} ${unit}` : formatNumber(value));

/** How far a missed target is from its bound, e.g. "over by 12 ms", "short by 300 /s". */
export function missedBy(check: TargetCheck): string {
  if (Number.isNaN(check.value)) return "not measured";
  const gap = round(Math.abs(check.value - check.limit), 2);
  return `${check.bound === "atMost" ? "over" : "short"} by ${withUnit(gap, check.unit)}`;
}

const mark = (met: boolean | undefined) => (met === undefined ? "" : met ? "met" : "MISSED");

/** The readable report: one table of figures against targets, one of API calls beside the naive baseline, one of bundles. */
export function formatReport(result: BenchResult): string {
  const target = (name: string) => result.targets.find((check) => check.name === name);
  const cell = (name: string) => {
    const check = target(name);
    return check ? `${check.target} (${mark(check.met)})` : "";
  };
  const { ingest, endToEnd, apiCalls } = result;
  const ms = (value: number) => `${formatNumber(value)} ms`;
  const figures = markdownTable(
    ["measure", "value", "target"],
    [
      [
        `ingest in-process p50 / p99 (${ingest.inProcess.invocations} at concurrency ${ingest.inProcess.concurrency})`,
        `${ms(ingest.inProcess.p50Ms)} / ${ms(ingest.inProcess.p99Ms)}`,
        cell("ingest.inProcess.p99Ms"),
      ],
      ["ingest in-process throughput", `${formatNumber(ingest.inProcess.perSecond)} /s`, cell("ingest.inProcess.perSecond")],
      [
        `ingest over HTTP p50 / p99 (${ingest.http.invocations} at concurrency ${ingest.http.concurrency})`,
        `${ms(ingest.http.p50Ms)} / ${ms(ingest.http.p99Ms)}`,
        "",
      ],
      ["ingest over HTTP throughput", `${formatNumber(ingest.http.perSecond)} /s`, ""],
      [
        "ingest CPU per webhook: function (SDK SendMessage) + SQS emulator",
        `${formatNumber(ingest.diagnosis.functionCpuMs)} (${formatNumber(ingest.diagnosis.sendMessageCpuMs)}) + ${formatNumber(ingest.diagnosis.sqsEmulatorCpuMs)} ms`,
        "",
      ],
      ["SendMessage alone p50 / p99", `${ms(ingest.diagnosis.sendMessageOnly.p50Ms)} / ${ms(ingest.diagnosis.sendMessageOnly.p99Ms)}`, ""],
      [
        `end-to-end p50 (${endToEnd.changes} changes at ${formatNumber(endToEnd.ratePerSecond)}/s)`,
        ms(endToEnd.p50Ms),
        cell("endToEnd.p50Ms"),
      ],
      ["end-to-end p99 / max", `${ms(endToEnd.p99Ms)} / ${ms(endToEnd.maxMs)}`, cell("endToEnd.p99Ms")],
      [
        "end-to-end p50: Exact → CRMOffice / CRMOffice → Exact",
        `${ms(endToEnd.byDirection.exactToCrm.p50Ms)} / ${ms(endToEnd.byDirection.crmToExact.p50Ms)}`,
        "",
      ],
      [
        "local stack CPU per change (one Node thread)",
        `${ms(endToEnd.stackCpuMsPerChange)} (≤ ${formatNumber(Math.floor(1000 / endToEnd.stackCpuMsPerChange))} changes/s)`,
        "",
      ],
      [
        `end-to-end overloaded p50 / p99 (${endToEnd.overload.changes} at ${formatNumber(endToEnd.overload.ratePerSecond)}/s)`,
        `${ms(endToEnd.overload.p50Ms)} / ${ms(endToEnd.overload.p99Ms)}`,
        "",
      ],
      [
        "reads per change (source + partner)",
        `${formatNumber(apiCalls.perChange.reads)} (${formatNumber(apiCalls.perChange.sourceReads)} + ${formatNumber(apiCalls.perChange.partnerReads)})`,
        cell("apiCalls.perChange.reads"),
      ],
      ["writes per change", formatNumber(apiCalls.perChange.writes), cell("apiCalls.perChange.writes")],
      ["writes per echo", formatNumber(apiCalls.perEcho.writes), cell("apiCalls.perEcho.writes")],
      [
        "Exact reads per 1,000 backfilled records",
        formatNumber(apiCalls.backfillExactReadsPer1000),
        cell("apiCalls.backfillExactReadsPer1000"),
      ],
      ...(result.console
        ? [
            [
              `console overview first paint p50 / max (${result.console.firstPaint.loads} loads)`,
              `${ms(result.console.firstPaint.p50Ms)} / ${ms(result.console.firstPaint.maxMs)}`,
              cell("console.firstPaint.p50Ms"),
            ],
            [
              `console live update p50 / max (${result.console.liveUpdate.changes} decisions, logged → shown)`,
              `${ms(result.console.liveUpdate.p50Ms)} / ${ms(result.console.liveUpdate.maxMs)}`,
              cell("console.liveUpdate.maxMs"),
            ],
          ]
        : []),
    ],
  );
  const calls = (counts: CallCounts) => `${formatNumber(counts.reads)} R + ${formatNumber(counts.writes)} W`;
  const naive = apiCalls.naive;
  const baseline = markdownTable(
    ["API calls", "this sync", "naive baseline", "naive ÷ this"],
    [
      ["per change, both systems", calls(apiCalls.perChange), calls(naive.perChange), ""],
      ["per change, Exact only", calls(apiCalls.perChange.exact), calls(naive.perChange.exact), ""],
      ["per echo, both systems", calls(apiCalls.perEcho), calls(naive.perEcho), ""],
      ["per echo, Exact only", calls(apiCalls.perEcho.exact), calls(naive.perEcho.exact), ""],
      [
        "change + its echo, both systems",
        formatNumber(totalCalls(apiCalls.perChange, apiCalls.perEcho)),
        formatNumber(totalCalls(naive.perChange, naive.perEcho)),
        `${formatNumber(apiCalls.ratio.callsPerChangeWithEcho)}×`,
      ],
      [
        "change + its echo, Exact only",
        formatNumber(totalCalls(apiCalls.perChange.exact, apiCalls.perEcho.exact)),
        formatNumber(totalCalls(naive.perChange.exact, naive.perEcho.exact)),
        `${formatNumber(apiCalls.ratio.exactCallsPerChangeWithEcho)}×`,
      ],
      [
        "Exact reads per 1,000 backfilled",
        formatNumber(apiCalls.backfillExactReadsPer1000),
        formatNumber(naive.backfillExactReadsPer1000),
        `${formatNumber(apiCalls.ratio.backfillExactReads)}×`,
      ],
      [
        "changes a minute in Exact's 60/min",
        formatNumber(apiCalls.exactBudget.changesPerMinute),
        formatNumber(apiCalls.exactBudget.naiveChangesPerMinute),
        "",
      ],
      [
        "changes a day in Exact's 5,000/day",
        formatNumber(apiCalls.exactBudget.changesPerDay),
        formatNumber(apiCalls.exactBudget.naiveChangesPerDay),
        "",
      ],
    ],
  );
  const { single, burst, idle, capacity } = result;
  const burstRow = (label: string, figures: BurstFigures, name: string) => [
    [
      `${label}: ${formatNumber(figures.changes)} linked contacts edited in ${formatNumber(figures.editSeconds)} s, quiet after ${formatNumber(figures.quietSeconds)} s`,
      `${formatNumber(figures.exactCallsPer1000)} Exact calls per 1,000 (${calls(figures.exact)}, ${formatNumber(figures.exact.auth)} token requests${figures.notSynced ? `; ${formatNumber(figures.notSynced)} not synced` : ""})`,
      cell(name),
    ],
    [
      `${label}: edit → visible on the other side p50 / p99 / max`,
      `${ms(figures.p50Ms)} / ${ms(figures.p99Ms)} / ${ms(figures.maxMs)}`,
      "",
    ],
  ];
  const budget = markdownTable(
    ["measure", "value", "target"],
    [
      ...burstRow("burst in Exact", burst.exactSide, "burst.exactSide.exactCallsPer1000"),
      ...burstRow("burst in CRMOffice", burst.crmSide, "burst.crmSide.exactCallsPer1000"),
      [
        "lone change: Exact reads (Exact → CRMOffice / CRMOffice → Exact; its echo)",
        `${formatNumber(single.byDirection.exactToCrm.exact.reads)} / ${formatNumber(single.byDirection.crmToExact.exact.reads)}; ${formatNumber(single.exactReadsPerEcho)}`,
        cell("single.exactReadsPerChange"),
      ],
      [
        `idle day: Exact calls (${formatNumber(idle.wakes)} wakes every ${formatNumber(idle.wakeMinutes)} min, ${formatNumber(idle.wakesThatCalledExact)} of them calling Exact)`,
        formatNumber(idle.exactCallsPerDay),
        cell("idle.exactCallsPerDay"),
      ],
      ["idle day: token refreshes", formatNumber(idle.tokenRefreshesPerDay), cell("idle.tokenRefreshesPerDay")],
    ],
  );
  const perDay = (value: number) => (Number.isFinite(value) ? formatNumber(value) : "unbounded");
  const capacityTable = markdownTable(
    [
      `changes a day in Exact's ${formatNumber(capacity.exactCallsPerDay)} (this sync: less the idle poller's ${formatNumber(capacity.pollerCallsPerDay)})`,
      "this sync, in bursts",
      "per-record path (one at a time)",
      "naive baseline",
    ],
    [
      ["made in Exact", perDay(capacity.exactSide.burst), perDay(capacity.exactSide.perRecord), perDay(capacity.exactSide.naive)],
      ["made in CRMOffice", perDay(capacity.crmSide.burst), perDay(capacity.crmSide.perRecord), perDay(capacity.crmSide.naive)],
    ],
  );
  const bundles = markdownTable(
    [
      "function",
      "bundle (minified)",
      "init (median of 5)",
      "baseline: SDK clients",
      "baseline bundle",
      "baseline init",
      "bundle ÷ baseline",
      "init ÷ baseline",
      "targets",
    ],
    Object.entries(result.bundles).map(([name, bundle]) => {
      const met = ["bytes", "initMs", "bytesRatio", "initRatio"].every((figure) => target(`bundles.${name}.${figure}`)?.met);
      return [
        name,
        formatBytes(bundle.bytes),
        ms(bundle.initMs),
        (bundle.sdkClients.join(" + ") || "none") +
          (bundle.extraSdkClients.length ? ` (also bundled: ${bundle.extraSdkClients.join(", ")})` : ""),
        formatBytes(bundle.baselineBytes),
        ms(bundle.baselineInitMs),
        `${formatNumber(bundle.bytesRatio)}×`,
        `${formatNumber(bundle.initRatio)}×`,
        `≤ ${formatBytes(TARGETS.bundleBytes)}, ≤ ${TARGETS.bundleInitMs} ms, ≤ ${TARGETS.bundleBytesRatio}×, ≤ ${TARGETS.bundleInitRatio}× (${mark(met)})`,
      ];
    }),
  );
  const misses = result.targets.filter((check) => !check.met);
  const missText =
    misses.length === 0
      ? "Every target met."
      : [
          "Missed targets:",
          ...misses.map(
            (check) =>
              `- ${check.name} = ${withUnit(check.value, check.unit)} (target ${check.target}; ${missedBy(check)}): ${check.why ?? ""}`,
          ),
        ].join("\n");
  const { machine } = result;
  return [
    `Benchmark on ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, Node ${machine.node} (${machine.platform}); ${formatNumber(Math.round(result.durationMs / 1000))} s; load average ${formatNumber(machine.loadAverage.start)} → ${formatNumber(machine.loadAverage.end)}`,
    "",
    figures,
    "",
    baseline,
    "",
    budget,
    "",
    capacityTable,
    "",
    bundles,
    "",
    missText,
  ].join("\n");
}

export const totalCalls = (...counts: CallCounts[]): number => round(counts.reduce((sum, count) => sum + count.reads + count.writes, 0));

/** naive ÷ product, NaN-safe (a product figure of 0 gives Infinity, which JSON shows as null). */
export const ratioOf = (naive: number, product: number): number =>
  product === 0 ? (naive === 0 ? 1 : Number.POSITIVE_INFINITY) : round(naive / product);
