/**
 * The naive baseline: the sync as it is often first written, measured in the same run against
 * the same sandboxes, through the product's own connectors (same auth, paging and call governor),
 * so only the approach differs:
 *
 * - per notification: read the source record, find its partner by email (a filtered list read),
 *   write every mapped field to the partner, unconditionally: no links, no agreed values, no
 *   echo suppression;
 * - its write's webhook is handled the same way (another read, read and write, back to the
 *   source), and that write's webhook again, for ever: the baseline counts ONE such round;
 * - backfill through Exact's ordinary list endpoint (`crm/Contacts` with `$select`, 60 rows a
 *   page, following `__next`) instead of the sync API (1,000 a page), then find and write each
 *   partner.
 *
 * The product's webhook subscriptions are removed before these phases, so the product's worker
 * spends nothing meanwhile; the bench hands the baseline the notifications the sandboxes would send.
 */
import type { CrmOfficeConnector } from "#lib/connectors/crmoffice/client";
import type { ExactConnector } from "#lib/connectors/exactonline/client";
import type { Fields, SystemRecord } from "#lib/connectors/types";
import { exactContactsFlow } from "#lib/flows/exact-contacts";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { editPair } from "./api-calls";
import { add, countKinds, directionOf, NO_CALLS, SYSTEMS, type Direction, type KindCounts, type SystemName } from "./calls";
import { round, type BackfillDetail, type PerChangeCalls, type PerEchoCalls } from "./report";
import { productCalls, type BenchStack, type LinkedPair } from "./stack";

const other = (system: SystemName): SystemName => (system === "exactonline" ? "crmoffice" : "exactonline");
const emailField: Record<SystemName, string> = { exactonline: "Email", crmoffice: "email" };

export interface NaiveConnectors {
  exactonline: ExactConnector;
  crmoffice: CrmOfficeConnector;
}

export interface NaiveSync {
  /** Handles one notification ("this contact changed"); answers the partner it wrote, if any. */
  handle(system: SystemName, id: string): Promise<{ system: SystemName; id: string } | undefined>;
  /** Writes `source` to its partner (found by email, created when missing). */
  push(system: SystemName, source: SystemRecord): Promise<{ system: SystemName; id: string } | undefined>;
}

export function createNaiveSync(connectors: NaiveConnectors): NaiveSync {
  const mapped = (from: SystemName, source: SystemRecord): Fields => {
    const to = other(from);
    const fields: Fields = {};
    for (const rule of exactContactsFlow.fields) fields[rule[to]] = source.fields[rule[from]] ?? null;
    if (to === "exactonline") fields.Account = EXACT_SANDBOX.defaultAccountId;
    return fields;
  };
  const push = async (system: SystemName, source: SystemRecord) => {
    const email = source.fields[emailField[system]];
    if (typeof email !== "string" || email === "") return undefined;
    const target = other(system);
    const [partner] = await connectors[target].findBy("contact", emailField[target], email);
    const fields = mapped(system, source);
    const written = partner
      ? await connectors[target].update("contact", partner.id, fields, partner)
      : await connectors[target].create("contact", fields);
    return { system: target, id: written.id };
  };
  return {
    push,
    async handle(system, id) {
      const source = await connectors[system].get("contact", id);
      return source ? push(system, source) : undefined;
    },
  };
}

export interface NaiveCycle {
  direction: Direction;
  change: Record<SystemName, KindCounts>;
  echo: Record<SystemName, KindCounts>;
}

/** `count` edits (alternating sides), each handled by the baseline, then its one echo round. */
export async function measureNaiveCycles(
  bench: BenchStack,
  naive: NaiveSync,
  pairs: readonly LinkedPair[],
  count: number,
): Promise<NaiveCycle[]> {
  const counted = async (work: () => Promise<unknown>) => {
    const before = bench.stats();
    await work();
    const calls = productCalls(before, bench.stats(), []);
    return Object.fromEntries(SYSTEMS.map((system) => [system, countKinds(calls[system])])) as Record<SystemName, KindCounts>;
  };
  const cycles: NaiveCycle[] = [];
  for (let index = 0; index < count; index++) {
    const pair = pairs[index % pairs.length] as LinkedPair;
    const direction = directionOf(index);
    await editPair(bench, pair, direction, `Naive ${index} ${Math.random().toString(36).slice(2, 8)}`);
    const source: SystemName = direction === "exactToCrm" ? "exactonline" : "crmoffice";
    let written: { system: SystemName; id: string } | undefined;
    const change = await counted(async () => {
      written = await naive.handle(source, source === "exactonline" ? pair.exactId : pair.crmId);
    });
    const echo = await counted(async () => {
      if (written) await naive.handle(written.system, written.id);
    });
    cycles.push({ direction, change, echo });
  }
  return cycles;
}

export function averageNaive(cycles: readonly NaiveCycle[]): { perChange: PerChangeCalls; perEcho: PerEchoCalls } {
  const sum = (pick: (cycle: NaiveCycle) => KindCounts) => cycles.reduce((acc, cycle) => add(acc, pick(cycle)), NO_CALLS);
  const n = Math.max(1, cycles.length);
  const per = (counts: KindCounts) => ({ reads: round(counts.reads / n), writes: round(counts.writes / n) });
  const sourceSide = (cycle: NaiveCycle): SystemName => (cycle.direction === "exactToCrm" ? "exactonline" : "crmoffice");
  return {
    perChange: {
      ...per(sum((cycle) => add(cycle.change.exactonline, cycle.change.crmoffice))),
      exact: per(sum((cycle) => cycle.change.exactonline)),
      sourceReads: round(cycles.reduce((acc, cycle) => acc + cycle.change[sourceSide(cycle)].reads, 0) / n),
      partnerReads: round(cycles.reduce((acc, cycle) => acc + cycle.change[other(sourceSide(cycle))].reads, 0) / n),
    },
    perEcho: {
      ...per(sum((cycle) => add(cycle.echo.exactonline, cycle.echo.crmoffice))),
      exact: per(sum((cycle) => cycle.echo.exactonline)),
    },
  };
}

/**
 * The baseline's backfill of the same Exact contacts: every page of `crm/Contacts` (60 rows,
 * `$select`, `__next`) through the connector's list query, then each record's partner found and
 * written, `concurrency` at a time.
 */
export async function measureNaiveBackfill(
  bench: BenchStack,
  naive: NaiveSync,
  connectors: NaiveConnectors,
  records: number,
  concurrency = 8,
): Promise<BackfillDetail> {
  const before = bench.stats();
  // Every contact the bench made lives under the default Account: this lists them all, 60 a page.
  const contacts = await connectors.exactonline.findBy("contact", "Account", EXACT_SANDBOX.defaultAccountId);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < contacts.length) await naive.push("exactonline", contacts[next++] as SystemRecord);
    }),
  );
  const calls = productCalls(before, bench.stats(), []);
  const exact = countKinds(calls.exactonline);
  const crmoffice = countKinds(calls.crmoffice);
  if (contacts.length !== records) throw new RangeError(`the naive backfill listed ${contacts.length} contacts, expected ${records}`);
  return { records, exact: { reads: exact.reads, writes: exact.writes }, crmoffice: { reads: crmoffice.reads, writes: crmoffice.writes } };
}
