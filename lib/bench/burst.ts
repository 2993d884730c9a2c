/**
 * Bursts: many linked contacts edited on one side within a few seconds (an import, a bulk
 * update), and what the product spends on them. Every edit is made through the sandbox's API,
 * `concurrency` at a time, as fast as the sandbox answers; then the bench waits until the stack
 * is quiet (the queue empty, nobody calling). Every Exact call the product made from the first
 * edit until then counts (the sources or partners it read, the writes, the echoes its own writes
 * caused), from the sandboxes' stats less the driver's own calls, per 1,000 changes.
 *
 * Latency is from each edit's API write returning to the product's write of that record being
 * answered by the other sandbox (the diagnostics-channel signal of end-to-end.ts); at the end one
 * listing of the other side confirms every new value. A change whose value never arrived is
 * counted in `notSynced` and in no percentile.
 */
import { editPair } from "./api-calls";
import { countKinds, type Direction } from "./calls";
import { productWriteOf, WriteWatcher } from "./end-to-end";
import { round, summarize, type BurstFigures } from "./report";
import { productCalls, type BenchStack, type LinkedPair } from "./stack";

export interface BurstOptions {
  /** Edits in flight at once while the burst is made. */
  concurrency: number;
  /** How long the stack may take to go quiet after the burst. */
  timeoutMs: number;
}

export class BurstNotSyncedError extends Error {
  override name = "BurstNotSyncedError";
}

/** The last names on the burst's target side, by pair: one listing (the driver's, not counted). */
async function lastNamesOnTarget(bench: BenchStack, direction: Direction): Promise<Map<string, unknown>> {
  const byId = new Map<string, unknown>();
  if (direction === "exactToCrm") for (const contact of await bench.crm.list("/contacts")) byId.set(String(contact.id), contact.familyName);
  else for (const contact of await bench.exact.list("crm/Contacts?$select=ID,LastName")) byId.set(String(contact.ID), contact.LastName);
  return byId;
}

/** Edits every pair on `direction`'s source side at once, waits until quiet, and answers the calls and latencies. */
export async function measureBurst(
  bench: BenchStack,
  pairs: readonly LinkedPair[],
  direction: Direction,
  { concurrency, timeoutMs }: BurstOptions,
): Promise<BurstFigures> {
  await bench.quiet();
  const watcher = new WriteWatcher();
  const tag = Math.random().toString(36).slice(2, 8);
  const lastNameOf = (pair: LinkedPair) => `Burst ${pair.index} ${tag}`;
  try {
    const before = bench.stats();
    bench.trace.clear();
    const started = performance.now();
    /** ms from each edit to the product's write of it, by pair, as the write signals come. */
    const latencies = new Map<number, number>();
    let next = 0;
    let editsDoneAt = started;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < pairs.length) {
          const pair = pairs[next++] as LinkedPair;
          const target = productWriteOf(bench, pair, direction);
          const landed = watcher.next(target.port, target.path);
          await editPair(bench, pair, direction, lastNameOf(pair));
          const written = performance.now();
          void landed.then((at) => latencies.set(pair.index, at - written));
          editsDoneAt = Math.max(editsDoneAt, written);
        }
      }),
    );
    await bench.quiet({ quietMs: 1_000, timeoutMs });
    const quietAt = performance.now();
    const after = bench.stats();
    const calls = productCalls(
      before,
      after,
      bench.trace.taken().filter((call) => call.driver),
    );
    const onTarget = await lastNamesOnTarget(bench, direction);
    const arrived: number[] = [];
    let notSynced = 0;
    for (const pair of pairs) {
      const seen = onTarget.get(direction === "exactToCrm" ? pair.crmId : pair.exactId) === lastNameOf(pair);
      const latency = latencies.get(pair.index);
      if (seen && latency !== undefined) arrived.push(latency);
      else notSynced += 1;
    }
    if (arrived.length === 0) throw new BurstNotSyncedError(`none of the ${pairs.length} edits (${direction}) reached the other side`);
    const exact = countKinds(calls.exactonline);
    const crmoffice = countKinds(calls.crmoffice);
    return {
      ...summarize(arrived),
      changes: pairs.length,
      exactCallsPer1000: round(((exact.reads + exact.writes) * 1000) / pairs.length),
      exact,
      crmoffice: { reads: crmoffice.reads, writes: crmoffice.writes },
      editSeconds: round((editsDoneAt - started) / 1000, 1),
      quietSeconds: round((quietAt - started) / 1000, 1),
      notSynced,
    };
  } finally {
    watcher.stop();
  }
}
