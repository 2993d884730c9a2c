/**
 * End to end: how soon a change shows up on the other side. `changes` edits of linked contacts,
 * started at a steady `ratePerSecond` whatever the earlier ones are doing, alternating between
 * Exact and CRMOffice, each timed from the moment its API write returned to the moment the new
 * value is visible in the other sandbox.
 *
 * "Visible" is seen without loading the machine: the other sandbox's HTTP server (in this
 * process) reports, through Node's `http.server.response.finish` diagnostics channel, when it
 * has answered the product's write of that record (the store is updated before the answer); one
 * GET then confirms the value. Should it not show, the record is polled every `pollEveryMs`
 * until it does, and that time counts. Polling every in-flight change every 20 ms instead would
 * add hundreds of requests a second to the very machine being measured, and slow what it measures.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { editPair, lastNameOnTarget } from "./api-calls";
import { directionOf, DRIVER_HEADER, type Direction } from "./calls";
import { round, summarize, type EndToEndFigures, type LatencySummary } from "./report";
import type { BenchStack, LinkedPair } from "./stack";

export interface EndToEndOptions {
  changes: number;
  ratePerSecond: number;
  pollEveryMs: number;
  timeoutMs: number;
}

interface Sample {
  direction: Direction;
  ms: number | undefined;
  /** Seen by polling (the write signal did not show the value), not by the write signal. */
  polled: boolean;
}

/** Resolves, per "<port> <path>", with the time a product (non-driver) PUT of that path was answered 2xx. */
export class WriteWatcher {
  private readonly waiting = new Map<string, (at: number) => void>();
  private readonly listener = (message: unknown) => {
    const { request, response, socket } = message as { request: IncomingMessage; response: ServerResponse; socket: Socket };
    if (request.method !== "PUT" || request.headers[DRIVER_HEADER] !== undefined || response.statusCode >= 300) return;
    const key = `${socket.localPort} ${new URL(request.url ?? "/", "http://watch").pathname.toLowerCase()}`;
    this.waiting.get(key)?.(performance.now());
  };

  constructor() {
    subscribe("http.server.response.finish", this.listener);
  }

  /** Call before the write that causes it can happen. */
  next(port: number, path: string): Promise<number> {
    const key = `${port} ${path.toLowerCase()}`;
    return new Promise((resolve) => {
      this.waiting.set(key, (at) => {
        this.waiting.delete(key);
        resolve(at);
      });
    });
  }

  stop(): void {
    unsubscribe("http.server.response.finish", this.listener);
    this.waiting.clear();
  }
}

/** Where the product writes a change of `pair` made in `direction`'s source: the other sandbox's port and the record's path. */
export function productWriteOf(bench: BenchStack, pair: LinkedPair, direction: Direction): { port: number; path: string } {
  return direction === "exactToCrm"
    ? { port: bench.stack.crmofficeSandbox.port, path: `/contacts/${pair.crmId}` }
    : { port: bench.stack.exactSandbox.port, path: `/api/v1/${bench.stack.exactSandbox.division}/crm/Contacts(guid'${pair.exactId}')` };
}

async function oneChange(
  bench: BenchStack,
  watcher: WriteWatcher,
  pair: LinkedPair,
  index: number,
  options: EndToEndOptions,
): Promise<Sample> {
  const direction = directionOf(index);
  const lastName = `E2E ${index} ${Math.random().toString(36).slice(2, 8)}`;
  const target = productWriteOf(bench, pair, direction);
  const landed = watcher.next(target.port, target.path);
  await editPair(bench, pair, direction, lastName);
  const written = performance.now();
  const signalled = await Promise.race([
    landed,
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), options.timeoutMs)),
  ]);
  if (signalled !== undefined && (await lastNameOnTarget(bench, pair, direction)) === lastName)
    return { direction, ms: signalled - written, polled: false };
  const deadline = written + options.timeoutMs;
  for (;;) {
    if ((await lastNameOnTarget(bench, pair, direction)) === lastName) return { direction, ms: performance.now() - written, polled: true };
    if (performance.now() > deadline) return { direction, ms: undefined, polled: true };
    await new Promise((resolve) => setTimeout(resolve, options.pollEveryMs));
  }
}

export async function measureEndToEnd(bench: BenchStack, pairs: readonly LinkedPair[], options: EndToEndOptions): Promise<EndToEndFigures> {
  if (pairs.length < options.changes) throw new RangeError(`${options.changes} changes need as many linked pairs (have ${pairs.length})`);
  await bench.quiet();
  const watcher = new WriteWatcher();
  try {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    let lastStart = started;
    const samples = await Promise.all(
      Array.from({ length: options.changes }, async (_, index) => {
        const startAt = started + (index * 1000) / options.ratePerSecond;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - performance.now())));
        lastStart = Math.max(lastStart, performance.now());
        return oneChange(bench, watcher, pairs[index] as LinkedPair, index, options);
      }),
    );
    // The rate the changes actually started at (timers on a busy machine fire late).
    const ratePerSecond = options.changes > 1 ? round((options.changes - 1) / ((lastStart - started) / 1000)) : options.ratePerSecond;
    // Until the echoes are done too: the CPU this process (the whole local stack but DynamoDB Local) spent per change.
    await bench.quiet();
    const cpu = process.cpuUsage(cpuBefore);
    const arrived = (filter: (sample: Sample) => boolean) =>
      samples.filter(filter).flatMap((sample) => (sample.ms === undefined ? [] : [sample.ms]));
    const part = (direction: Direction): LatencySummary & { changes: number } => ({
      ...summarize(arrived((sample) => sample.direction === direction)),
      changes: samples.filter((sample) => sample.direction === direction).length,
    });
    return {
      ...summarize(arrived(() => true)),
      changes: options.changes,
      ratePerSecond,
      timedOut: samples.filter((sample) => sample.ms === undefined).length,
      polled: samples.filter((sample) => sample.polled).length,
      stackCpuMsPerChange: round((cpu.user + cpu.system) / 1000 / options.changes),
      byDirection: { exactToCrm: part("exactToCrm"), crmToExact: part("crmToExact") },
    };
  } finally {
    watcher.stop();
  }
}
