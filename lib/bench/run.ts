/**
 * The whole bench, phase by phase, on its own local stack (see README, Performance):
 *
 * 1. bundles: each function built as `npm run package` builds it, sized, cold-imported (before
 *    anything else runs, so the machine is as quiet as it gets), beside its SDK-only baseline;
 * 2. the local stack: its own DynamoDB Local and SQS emulator on free ports, empty sandboxes;
 * 3. the idle day: the deployed poller through a simulated day of scheduled wakes (idle-day.ts);
 * 4. ingest: the Exact webhook function in a process of its own, in-process and over HTTP;
 * 5. linked pairs: contacts made in Exact and synced by the product, for the phases below;
 * 6. API calls per change and per echo: one change at a time, quiet before and after;
 * 7. end to end: changes at a steady rate, timed until visible on the other side;
 * 8. the console: the overview's first paint and the live-update delay, in headless Chromium;
 * 9. bursts: every linked pair edited in Exact at once, then every one in CRMOffice (burst.ts);
 * 10. the naive baseline per change and echo, on the same sandboxes (the product's webhooks removed);
 * 11. backfill: the sandboxes emptied, contacts made in Exact, the product's backfill, then the naive one.
 */
import { readFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { averageCycles, measureChangeCycles, measureProductBackfill, seedExactContacts, singleChangeFigures } from "./api-calls";
import { measureBundles } from "./bundles";
import { measureBurst } from "./burst";
import { exactCallsByDirection } from "./calls";
import { measureIdleDay, readPollerWakeMinutes } from "./idle-day";
import { measureConsole } from "./console";
import { measureEndToEnd } from "./end-to-end";
import { measureIngest } from "./ingest";
import { averageNaive, createNaiveSync, measureNaiveBackfill, measureNaiveCycles } from "./naive";
import {
  checkTargets,
  formatBytes,
  formatNumber,
  ratioOf,
  round,
  totalCalls,
  type ApiCallFigures,
  type BenchResult,
  type BurstFigures,
  type CapacityFigures,
  type IngestDiagnosis,
  type MachineInfo,
  type MissReasons,
} from "./report";
import { createLinkedPairs, startBenchStack, unsubscribeProduct, type BenchStack } from "./stack";

export interface BenchOptions {
  /** The project folder (serverless.yml, tsconfig.json). */
  root: string;
  bundleImports: number;
  ingest: { invocations: number; warmup: number; inProcessConcurrency: number; httpConcurrency: number };
  endToEnd: { changes: number; ratePerSecond: number; pollEveryMs: number; timeoutMs: number };
  /** A second, shorter run above the rate the local stack sustains, to show what queueing does. */
  overload: { changes: number; ratePerSecond: number };
  /** Sequential changes measured for API calls (product and naive each). */
  callCycles: number;
  /** The console: fresh loads of the overview, and changes watched in the open page. */
  console: { loads: number; changes: number };
  /** Linked contacts edited at once on one side, then on the other; edits in flight while they are made. */
  burst: { changes: number; concurrency: number; timeoutMs: number };
  backfillRecords: number;
  progress: (message: string) => void;
}

export const FULL_RUN: Omit<BenchOptions, "root" | "progress"> = {
  bundleImports: 5,
  ingest: { invocations: 5_000, warmup: 300, inProcessConcurrency: 2, httpConcurrency: 16 },
  endToEnd: { changes: 200, ratePerSecond: 5, pollEveryMs: 20, timeoutMs: 60_000 },
  overload: { changes: 100, ratePerSecond: 20 },
  callCycles: 30,
  console: { loads: 10, changes: 10 },
  burst: { changes: 1_000, concurrency: 16, timeoutMs: 600_000 },
  backfillRecords: 1_000,
};

/** A smoke run (seconds, not minutes): the same phases on small counts; its figures are not the bench's. */
export const QUICK_RUN: Omit<BenchOptions, "root" | "progress"> = {
  bundleImports: 1,
  ingest: { invocations: 300, warmup: 50, inProcessConcurrency: 2, httpConcurrency: 16 },
  endToEnd: { changes: 20, ratePerSecond: 5, pollEveryMs: 20, timeoutMs: 60_000 },
  overload: { changes: 20, ratePerSecond: 20 },
  callCycles: 4,
  console: { loads: 3, changes: 2 },
  burst: { changes: 40, concurrency: 16, timeoutMs: 120_000 },
  backfillRecords: 120,
};

/** Exact's standard budget, which the figures are translated into. */
const EXACT_PER_MINUTE = 60;
const EXACT_PER_DAY = 5_000;

function machine(): MachineInfo {
  const cores = cpus();
  return {
    cpus: cores.length,
    cpuModel: cores[0]?.model.trim() ?? "unknown",
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    loadAverage: { start: 0, end: 0 },
  };
}

const burstWhy = (burst: BurstFigures, how: string) =>
  `${how}: ${formatNumber(burst.exact.reads)} Exact reads and ${formatNumber(burst.exact.writes)} writes for ${formatNumber(burst.changes)} changes`;

/** Why a missed target was missed, with the run's own figures where they say it. */
function missReasons(result: Omit<BenchResult, "targets" | "machine" | "durationMs">, diagnosis: IngestDiagnosis): MissReasons {
  const d = diagnosis;
  const cpuPerWebhook = round(d.functionCpuMs + d.sqsEmulatorCpuMs, 2);
  const ingestWhy =
    `each webhook costs ${formatNumber(d.functionCpuMs)} ms CPU in the function (${formatNumber(d.sendMessageCpuMs)} of it the AWS SDK's SendMessage, ` +
    `${formatNumber(d.ownCodeCpuMs)} the rest: signature, validation, logging, metrics, middy) plus ${formatNumber(d.sqsEmulatorCpuMs)} ms in the local SQS emulator, ` +
    `so CPU alone caps 2 cores at ~${formatNumber(Math.round(2000 / cpuPerWebhook))}/s; and every invocation waits for its SendMessage round trip ` +
    `(alone: p50 ${formatNumber(d.sendMessageOnly.p50Ms)} ms, p99 ${formatNumber(d.sendMessageOnly.p99Ms)} ms). Load average ${formatNumber(d.loadAverage)} at the start`;
  const exactReads = result.apiCalls.perChange.exact.reads;
  const biggest = Object.values(result.bundles)
    .flatMap((bundle) => bundle.largest)
    .reduce<Map<string, number>>((sizes, part) => sizes.set(part.name, Math.max(sizes.get(part.name) ?? 0, part.bytes)), new Map());
  const top = [...biggest]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([name, bytes]) => `${name} ${Math.round(bytes / 1024)} KB`)
    .join(", ");
  return {
    "ingest.inProcess.p99Ms": ingestWhy,
    "ingest.inProcess.perSecond": ingestWhy,
    "endToEnd.p50Ms": "the worker (2 pollers locally) could not keep up with the rate; see endToEnd.byDirection",
    "endToEnd.p99Ms":
      "a tail of changes queued behind others at the worker (2 pollers locally) or a change waited for another worker's write reservation (2 s retry)",
    "apiCalls.perChange.reads":
      `the worker reads the partner as well as the changed record: the three-way merge needs the partner's current values to see an edit made there meanwhile, ` +
      `and CRMOffice's PUT replaces the whole record; Exact alone: ${formatNumber(exactReads)} read per change`,
    "apiCalls.perChange.writes": "more than one write per change",
    "apiCalls.perEcho.writes": "an echo wrote",
    "apiCalls.backfillExactReadsPer1000": "the backfill read Exact more than the sync API's pages need",
    "console.firstPaint.p50Ms":
      "the overview is drawn only once its figures are read (links and unsyncable records per flow, both queues' depth, Exact's budget, the last hour of decisions)",
    "console.liveUpdate.maxMs": "the console reads the sync log every 500 ms; a slower read or a busy machine delays the page",
    "single.exactReadsPerChange": "a lone change read more than one Exact record",
    "burst.exactSide.exactCallsPer1000": burstWhy(
      result.burst.exactSide,
      "each change is read from Exact on its own (its source read); the echoes cost Exact nothing",
    ),
    "burst.crmSide.exactCallsPer1000": burstWhy(
      result.burst.crmSide,
      "each change costs Exact its partner read and its write (the floor: Exact has no $batch), and each echo, the webhook of that write, a read of its own",
    ),
    "idle.exactCallsPerDay": `the poller's reads at the default schedule: ${Object.entries(result.idle.calls)
      .map(([key, count]) => `${key.replace(/^GET \/api\/v1\/\d+\//, "")} ${count}`)
      .join(", ")}`,
    "idle.tokenRefreshesPerDay": `an access token lives 10 minutes, so each of the ${result.idle.wakesThatCalledExact} wakes that called Exact refreshed it`,
    ...Object.fromEntries(
      Object.entries(result.bundles).map(([name, bundle]) => [
        `bundles.${name}.bytesRatio`,
        `${formatBytes(bundle.bytes - bundle.baselineBytes)} beyond its SDK clients (${formatBytes(bundle.baselineBytes * 0.3)} allowed): ${bundle.largestBeyondBaseline
          .map((part) => `${part.name} ${formatBytes(part.bytes)}`)
          .join(", ")}`,
      ]),
    ),
    "bundles.*.initRatio":
      "a cold import parses and compiles every byte of the bundle (about proportional to its size), then runs what modules do at load (zod's schemas built, Powertools' logger and metrics)",
    "bundles.*.bytes": `every function bundles all it imports, AWS SDK included; largest parts: ${top}`,
    "bundles.*.initMs": "parsing and evaluating the bundle's modules on import: the AWS SDK clients, zod/mini, Powertools",
  };
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const startedAt = performance.now();
  const loadAtStart = round(loadavg()[0] ?? 0);
  options.progress(`bundles (${options.bundleImports} cold imports each)`);
  const bundles = await measureBundles({ root: options.root, imports: options.bundleImports });

  options.progress("starting the local stack (DynamoDB Local, SQS emulator, sandboxes, webhook API, worker)");
  let bench: BenchStack | undefined;
  try {
    bench = await startBenchStack();
    const wakeMinutes = readPollerWakeMinutes(await readFile(join(options.root, "serverless.yml"), "utf8"));
    options.progress(`idle day: the poller woken every ${wakeMinutes} min for 24 simulated hours, nothing changing`);
    const idle = await measureIdleDay({ dynamoEndpoint: bench.stack.urls.dynamodb, sqsEndpoint: bench.stack.urls.sqs, wakeMinutes });
    options.progress(`ingest: ${options.ingest.invocations} webhooks in-process, then over HTTP`);
    const ingest = await measureIngest({ ...options.ingest, env: bench.stack.env });
    for (const note of ingest.notes) options.progress(`ingest: ${note}`);

    const pairCount = Math.max(options.endToEnd.changes, options.overload.changes, options.callCycles, options.burst.changes);
    options.progress(`linking ${pairCount} contact pairs through the product`);
    const pairs = await createLinkedPairs(bench, pairCount);

    options.progress(`API calls: ${options.callCycles} changes, one at a time`);
    const cycles = await measureChangeCycles(bench, pairs, options.callCycles);
    const untraced = cycles.reduce((sum, cycle) => sum + Math.abs(cycle.untraced), 0);
    if (untraced > 0) options.progress(`API calls: ${untraced} calls counted by the sandboxes were not seen by the trace`);
    const product = averageCycles(cycles);

    options.progress(`end to end: ${options.endToEnd.changes} changes at ${options.endToEnd.ratePerSecond}/s`);
    const steady = await measureEndToEnd(bench, pairs, options.endToEnd);
    options.progress(`end to end, overloaded: ${options.overload.changes} changes at ${options.overload.ratePerSecond}/s`);
    const { byDirection: _byDirection, ...overload } = await measureEndToEnd(bench, pairs, { ...options.endToEnd, ...options.overload });
    const endToEnd = { ...steady, overload };

    options.progress(`console: ${options.console.loads} loads of the overview, ${options.console.changes} decisions watched live`);
    await bench.quiet();
    const consoleFigures = await measureConsole(bench, options.console);

    const burstPairs = pairs.slice(0, options.burst.changes);
    options.progress(`burst: ${burstPairs.length} linked contacts edited in Exact at once`);
    const exactSide = await measureBurst(bench, burstPairs, "exactToCrm", options.burst);
    options.progress(`burst: ${burstPairs.length} linked contacts edited in CRMOffice at once`);
    const crmSide = await measureBurst(bench, burstPairs, "crmToExact", options.burst);

    options.progress(`naive baseline: ${options.callCycles} changes and their echoes`);
    await bench.quiet();
    await unsubscribeProduct(bench);
    const naiveSync = createNaiveSync(bench.connectors);
    const naiveCycles = await measureNaiveCycles(bench, naiveSync, pairs, options.callCycles);
    const naive = averageNaive(naiveCycles);

    options.progress(`backfill: ${options.backfillRecords} contacts made in Exact; the product's backfill, then the naive one`);
    bench.stack.exactSandbox.reset();
    bench.stack.crmofficeSandbox.reset();
    await seedExactContacts(bench, options.backfillRecords);
    const productBackfill = await measureProductBackfill(bench, options.backfillRecords);
    // The naive backfill writes over the partners the product's made (it has no way to know them).
    const naiveBackfill = await measureNaiveBackfill(bench, naiveSync, bench.connectors, options.backfillRecords);

    const per1000 = (reads: number) => round((reads * 1000) / options.backfillRecords);
    const exactWithEcho = totalCalls(product.perChange.exact, product.perEcho.exact);
    const naiveExactWithEcho = totalCalls(naive.perChange.exact, naive.perEcho.exact);
    const apiCalls: ApiCallFigures = {
      ...product,
      backfillExactReadsPer1000: per1000(productBackfill.exact.reads),
      naive: { ...naive, backfillExactReadsPer1000: per1000(naiveBackfill.exact.reads) },
      ratio: {
        callsPerChangeWithEcho: ratioOf(totalCalls(naive.perChange, naive.perEcho), totalCalls(product.perChange, product.perEcho)),
        exactCallsPerChangeWithEcho: ratioOf(naiveExactWithEcho, exactWithEcho),
        backfillExactReads: ratioOf(naiveBackfill.exact.reads, productBackfill.exact.reads),
      },
      exactBudget: {
        changesPerMinute: round(EXACT_PER_MINUTE / exactWithEcho, 1),
        changesPerDay: Math.floor(EXACT_PER_DAY / exactWithEcho),
        naiveChangesPerMinute: round(EXACT_PER_MINUTE / naiveExactWithEcho, 1),
        naiveChangesPerDay: Math.floor(EXACT_PER_DAY / naiveExactWithEcho),
      },
      backfill: { product: productBackfill, naive: naiveBackfill },
      samples: { changes: cycles.length, naiveChanges: options.callCycles, untraced },
    };
    const single = singleChangeFigures(cycles);
    const naiveByDirection = exactCallsByDirection(naiveCycles);
    const pollerLeaves = EXACT_PER_DAY - idle.exactCallsPerDay;
    const fit = (budget: number, callsPerChange: number) =>
      callsPerChange > 0 ? Math.floor(budget / callsPerChange) : Number.POSITIVE_INFINITY;
    const capacity: CapacityFigures = {
      exactCallsPerDay: EXACT_PER_DAY,
      pollerCallsPerDay: idle.exactCallsPerDay,
      exactSide: {
        burst: fit(pollerLeaves, exactSide.exactCallsPer1000 / 1000),
        perRecord: fit(pollerLeaves, single.byDirection.exactToCrm.exactWithEcho),
        naive: fit(EXACT_PER_DAY, naiveByDirection.exactToCrm.exactWithEcho),
      },
      crmSide: {
        burst: fit(pollerLeaves, crmSide.exactCallsPer1000 / 1000),
        perRecord: fit(pollerLeaves, single.byDirection.crmToExact.exactWithEcho),
        naive: fit(EXACT_PER_DAY, naiveByDirection.crmToExact.exactWithEcho),
      },
    };
    const measured = {
      ingest: { inProcess: ingest.inProcess, http: ingest.http, diagnosis: ingest.diagnosis },
      endToEnd,
      apiCalls,
      single,
      burst: { exactSide, crmSide },
      idle,
      capacity,
      bundles,
      console: consoleFigures,
    };
    const targets = checkTargets(measured, missReasons(measured, ingest.diagnosis));
    return {
      ...measured,
      targets,
      machine: { ...machine(), loadAverage: { start: loadAtStart, end: round(loadavg()[0] ?? 0) } },
      durationMs: Math.round(performance.now() - startedAt),
    };
  } finally {
    options.progress("stopping the local stack");
    await bench?.stop();
  }
}
