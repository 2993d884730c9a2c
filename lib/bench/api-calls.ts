/**
 * API calls the product spends: per synced change, per echo, and per 1,000 backfilled records.
 *
 * Per change and echo: one linked contact is edited through a sandbox's API (alternating between
 * Exact and CRMOffice), the product syncs it through its webhooks, queue and worker, and the
 * bench waits until the stack is quiet. The calls made in between come from the sandboxes'
 * `/_sandbox/stats`, less the driver's own (its edit, and its polls for the new value). The
 * call trace splits them: what came before the echo's webhook reached the webhook API is the
 * change (the source read, the partner read, the write), what came after is the echo (the
 * webhook our own write caused).
 *
 * Backfill: `runBackfill` (the initial sync `syncctl backfill` runs) of the contacts flow over
 * `records` contacts made in Exact, with CRMOffice empty and no webhooks subscribed.
 */
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { runBackfill } from "#lib/sync/backfill";
import { backfillDeps } from "#lib/sync/context";
import {
  add,
  countKinds,
  DIRECTIONS,
  directionOf,
  exactCallsByDirection,
  NO_CALLS,
  sourceOf,
  splitCycle,
  SYSTEMS,
  targetOf,
  type CycleCalls,
  type Direction,
  type KindCounts,
} from "./calls";
import { pollUntil } from "./driver";
import { round, type BackfillDetail, type PerChangeCalls, type PerEchoCalls, type SingleFigures } from "./report";
import { productCalls, type BenchStack, type LinkedPair } from "./stack";

export class ChangeNotSyncedError extends Error {
  override name = "ChangeNotSyncedError";
}

/** Sets a linked pair's last name through one side's API, as a user would; resolves when the write returned. */
export async function editPair(bench: BenchStack, pair: LinkedPair, direction: Direction, lastName: string): Promise<void> {
  if (direction === "exactToCrm") await bench.exact.put(`crm/Contacts(guid'${pair.exactId}')`, { LastName: lastName });
  // CRMOffice's PUT replaces every writable field: the others are sent as they are.
  else await bench.crm.put(`/contacts/${pair.crmId}`, { givenName: pair.firstName, familyName: lastName, email: pair.email });
}

/** One cheap read of the pair's last name on the side a change of `direction` goes to. */
export async function lastNameOnTarget(bench: BenchStack, pair: LinkedPair, direction: Direction): Promise<unknown> {
  if (direction === "exactToCrm") return (await bench.crm.get(`/contacts/${pair.crmId}`))?.familyName;
  return (await bench.exact.get(`crm/Contacts(guid'${pair.exactId}')?$select=LastName`)).LastName;
}

/** Edits `count` pairs one after another (alternating sides), each synced and quiet before the next. */
export async function measureChangeCycles(bench: BenchStack, pairs: readonly LinkedPair[], count: number): Promise<CycleCalls[]> {
  const cycles: CycleCalls[] = [];
  for (let index = 0; index < count; index++) {
    const pair = pairs[index % pairs.length] as LinkedPair;
    const direction = directionOf(index);
    const lastName = `Cycle ${index} ${Math.random().toString(36).slice(2, 8)}`;
    await bench.quiet();
    const before = bench.stats();
    bench.trace.clear();
    await editPair(bench, pair, direction, lastName);
    const seen = await pollUntil(async () => (await lastNameOnTarget(bench, pair, direction)) === lastName, {
      everyMs: 20,
      timeoutMs: 30_000,
    });
    if (!seen) throw new ChangeNotSyncedError(`change ${index} (${direction}) did not reach the other side within 30 s`);
    await bench.quiet();
    const after = bench.stats();
    const traced = bench.trace.taken();
    const counted = productCalls(
      before,
      after,
      traced.filter((call) => call.driver),
    );
    const split = splitCycle(direction, traced);
    const tracedTotal = SYSTEMS.reduce((sum, system) => sum + total(add(split.change[system], split.echo[system])), 0);
    const countedTotal = SYSTEMS.reduce((sum, system) => sum + total(countKinds(counted[system])), 0);
    cycles.push({ ...split, untraced: countedTotal - tracedTotal });
  }
  return cycles;
}

const total = (counts: KindCounts) => counts.reads + counts.writes;

/** Averages over cycles: per change (all cycles), per echo (all echoes). */
export function averageCycles(cycles: readonly CycleCalls[]): { perChange: PerChangeCalls; perEcho: PerEchoCalls } {
  const sum = (pick: (cycle: CycleCalls) => KindCounts) => cycles.reduce((acc, cycle) => add(acc, pick(cycle)), NO_CALLS);
  const changeAll = sum((cycle) => add(cycle.change.exactonline, cycle.change.crmoffice));
  const changeExact = sum((cycle) => cycle.change.exactonline);
  const echoAll = sum((cycle) => add(cycle.echo.exactonline, cycle.echo.crmoffice));
  const echoExact = sum((cycle) => cycle.echo.exactonline);
  const sourceReads = cycles.reduce((acc, cycle) => acc + cycle.change[sourceOf(cycle.direction)].reads, 0);
  const partnerReads = cycles.reduce((acc, cycle) => acc + cycle.change[targetOf(cycle.direction)].reads, 0);
  const changes = Math.max(1, cycles.length);
  const echoes = Math.max(
    1,
    cycles.reduce((acc, cycle) => acc + cycle.echoes, 0),
  );
  const per = (counts: KindCounts, n: number) => ({ reads: round(counts.reads / n), writes: round(counts.writes / n) });
  return {
    perChange: {
      ...per(changeAll, changes),
      exact: per(changeExact, changes),
      sourceReads: round(sourceReads / changes),
      partnerReads: round(partnerReads / changes),
    },
    perEcho: { ...per(echoAll, echoes), exact: per(echoExact, echoes) },
  };
}

/** What one lone change costs Exact: its reads in either direction (the larger is the figure), and its echo's. */
export function singleChangeFigures(cycles: readonly CycleCalls[]): SingleFigures {
  const byDirection = exactCallsByDirection(cycles);
  const echoes = Math.max(
    1,
    cycles.reduce((sum, cycle) => sum + cycle.echoes, 0),
  );
  return {
    exactReadsPerChange: Math.max(...DIRECTIONS.map((direction) => byDirection[direction].exact.reads)),
    exactReadsPerEcho: round(cycles.reduce((sum, cycle) => sum + cycle.echo.exactonline.reads, 0) / echoes),
    byDirection,
  };
}

/** `count` contacts made in Exact by the driver (under the default Account), `concurrency` at a time. */
export async function seedExactContacts(bench: BenchStack, count: number, concurrency = 16): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        await bench.exact.post("crm/Contacts", {
          Account: EXACT_SANDBOX.defaultAccountId,
          FirstName: "Backfill",
          LastName: `Record ${index}`,
          Email: `bench.backfill.${index}@example.com`,
        });
      }
    }),
  );
}

/** The product's backfill of the contacts flow; the calls it made (nothing else runs meanwhile). */
export async function measureProductBackfill(bench: BenchStack, records: number): Promise<BackfillDetail> {
  const before = bench.stats();
  // As `syncctl backfill --flow contacts --full` runs it.
  const progress = await runBackfill(await backfillDeps(), { flows: ["contacts"], restart: true });
  const created = progress.reduce((sum, part) => sum + (part.decisions.created ?? 0), 0);
  if (created !== records) throw new ChangeNotSyncedError(`the backfill created ${created} partners for ${records} records`);
  const calls = productCalls(before, bench.stats(), []);
  const exact = countKinds(calls.exactonline);
  const crmoffice = countKinds(calls.crmoffice);
  return { records, exact: { reads: exact.reads, writes: exact.writes }, crmoffice: { reads: crmoffice.reads, writes: crmoffice.writes } };
}
