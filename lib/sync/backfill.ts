import { randomUUID } from "node:crypto";
import type { CrmOfficeConnector } from "#lib/connectors/crmoffice/client";
import type { SystemRecord } from "#lib/connectors/types";
import type { ExactConnector } from "#lib/connectors/exactonline/client";
import type { ExactSyncedType } from "#lib/connectors/exactonline/record-types";
import type { ChangeEvent } from "#lib/events/change-event";
import { otherSide, SIDES, type FlowDefinition, type Side } from "#lib/flows/definition";
import { FLOWS } from "#lib/flows/index";
import { movedSince, type CursorStore } from "#lib/links/cursors";
import type { DecisionKind } from "#lib/links/sync-log";
import { RateLimitedError } from "#lib/connectors/errors";
import { verdictOf } from "#lib/sync/error-policy";
import { processChange, type SyncContext } from "#lib/sync/processor";
import { reportDecision } from "#lib/sync/report";

export interface BackfillDeps {
  ctx: SyncContext;
  exactonline: ExactConnector;
  crmoffice: CrmOfficeConnector;
  cursors: CursorStore;
  /** Names the checkpoints, so two divisions never share one. */
  division: number;
}

export interface BackfillOptions {
  /** Only these flows (by name); all by default. */
  flows?: readonly string[];
  /** Forget the checkpoints and read everything again (a full resync). */
  restart?: boolean;
  /** Records handled at once within a page. */
  concurrency?: number;
  /** How long to wait for a record whose create another worker has claimed. */
  claimWaitMs?: number;
  signal?: AbortSignal;
  /** Collects the ids each source's pages held, for `reconcileDeletions` after a full run. */
  seen?: SeenRecords;
}

/** The ids a full read found, per system and record type. */
export class SeenRecords {
  private readonly ids = new Map<string, Set<string>>();

  add(side: Side, type: string, ids: Iterable<string>): void {
    const key = `${side}#${type}`;
    const set = this.ids.get(key) ?? new Set<string>();
    for (const id of ids) set.add(id.toLowerCase());
    this.ids.set(key, set);
  }

  /** The ids seen of this type, or undefined when it was not read at all. */
  of(side: Side, type: string): ReadonlySet<string> | undefined {
    return this.ids.get(`${side}#${type}`);
  }
}

export interface DeletionSummary {
  /** Linked records looked for in the full read. */
  checked: number;
  /** Of those, gone from their system (confirmed by reading them): their flow's delete policy applied. */
  gone: number;
  decisions: Partial<Record<DecisionKind, number>>;
}

export interface BackfillProgress {
  side: Side;
  type: string;
  pages: number;
  records: number;
  decisions: Partial<Record<DecisionKind, number>>;
  done: boolean;
}

/** The record types of each side that the chosen flows carry to the other side. */
export function backfillSources(flows: readonly FlowDefinition[]): { side: Side; type: string }[] {
  return SIDES.flatMap((side) =>
    [...new Set(flows.filter((flow) => flow.createOn.includes(otherSide(side))).map((flow) => flow[side].type))].map((type) => ({
      side,
      type,
    })),
  );
}

const checkpointName = (division: number, side: Side, type: string) => `backfill#${division}#${side}#${type}`;

/**
 * Initial or full resync. Reads every record of the flows' origin types page by page (Exact's
 * sync API, 1000 rows a call; CRMOffice's lists, 200 a call) and runs each through the same
 * decision as the worker, with the record already in hand, so Exact is read once per page, not
 * once per record. A checkpoint is stored after each page: a killed run resumes from it, and the
 * records it handles again are linked already, so they are echoes: nothing is created twice.
 */
export async function runBackfill(
  deps: BackfillDeps,
  options: BackfillOptions = {},
  onProgress: (progress: BackfillProgress) => void = () => undefined,
): Promise<BackfillProgress[]> {
  const flows = chosenFlows(options.flows);
  const sources = backfillSources(flows);
  // Before the division is asked whether it moved: a move during this run postdates it.
  const readStartedAt = new Date().toISOString();
  const divisionMovedAt = sources.some((source) => source.side === "exactonline")
    ? ((await deps.exactonline.division())?.movedAt ?? null)
    : null;
  const results: BackfillProgress[] = [];
  for (const { side, type } of sources) {
    const progress: BackfillProgress = { side, type, pages: 0, records: 0, decisions: {}, done: false };
    const name = checkpointName(deps.division, side, type);
    const checkpoint = await deps.cursors.read(name);
    let stored = checkpoint?.position ?? null;
    // A division move renumbered Exact's Timestamps: a checkpoint taken before it points nowhere.
    const moved =
      side === "exactonline" && checkpoint !== null && divisionMovedAt !== null && movedSince(checkpoint, Date.parse(divisionMovedAt));
    const start = options.restart || moved ? null : stored;
    const pages =
      side === "exactonline"
        ? exactPages(deps.exactonline, type as ExactSyncedType, start ?? 1)
        : crmPages(deps.crmoffice, type, start ?? 0);
    for await (const page of pages) {
      options.signal?.throwIfAborted();
      options.seen?.add(
        side,
        type,
        page.records.map((record) => record.id),
      );
      await forEachLimited(page.records, options.concurrency ?? 8, async (record) => {
        for (const decision of await handleRecord(deps.ctx, side, type, record, options.claimWaitMs ?? 35_000)) {
          progress.decisions[decision] = (progress.decisions[decision] ?? 0) + 1;
        }
      });
      if (page.position !== stored) {
        if (moved && stored !== null && divisionMovedAt !== null) await deps.cursors.restart(name, page.position, divisionMovedAt);
        else await deps.cursors.advance(name, stored, page.position, readStartedAt);
        stored = page.position;
      }
      progress.pages += 1;
      progress.records += page.records.length;
      onProgress({ ...progress });
    }
    progress.done = true;
    onProgress({ ...progress });
    results.push(progress);
  }
  return results;
}

const chosenFlows = (names: readonly string[] | undefined) => (names ? FLOWS.filter((flow) => names.includes(flow.name)) : FLOWS);

/**
 * After a full read, the other half of a full comparison: a linked record the read did not find
 * may have been deleted while no one was told (a webhook lost, or `sync/Deleted`'s two months
 * passed unread). Each such record is read once more to be sure (Exact: 80 a call), and each one
 * gone goes through the worker's own delete decision: its flow's delete policy applies.
 */
export async function reconcileDeletions(
  deps: BackfillDeps,
  flowNames: readonly string[] | undefined,
  seen: SeenRecords,
): Promise<DeletionSummary> {
  const summary: DeletionSummary = { checked: 0, gone: 0, decisions: {} };
  const connectors: Record<Side, ExactConnector | CrmOfficeConnector> = { exactonline: deps.exactonline, crmoffice: deps.crmoffice };
  for (const flow of chosenFlows(flowNames)) {
    const links = (await deps.ctx.store.listLinks(flow.name)).filter((link) => link.state === "linked");
    for (const side of SIDES) {
      const type = flow[side].type;
      if (!seen.of(side, type)) {
        // Not one of the sources this run read: list its ids now.
        const pages = side === "exactonline" ? exactPages(deps.exactonline, type as ExactSyncedType, 1) : crmPages(deps.crmoffice, type, 0);
        for await (const page of pages)
          seen.add(
            side,
            type,
            page.records.map((record) => record.id),
          );
      }
      const found = seen.of(side, type) ?? new Set<string>();
      const ids = links.map((link) => link.ids[side]).filter((id): id is string => id !== undefined);
      summary.checked += ids.length;
      const unseen = ids.filter((id) => !found.has(id.toLowerCase()));
      if (unseen.length === 0) continue;
      const still = await connectors[side].getMany(type, unseen);
      for (const id of unseen.filter((candidate) => !still.has(candidate.toLowerCase()))) {
        summary.gone += 1;
        const event = { ...backfillEvent(side, type, id), action: "delete" as const };
        for (const decision of await processChange(event, deps.ctx, null)) {
          reportDecision(decision);
          summary.decisions[decision.kind] = (summary.decisions[decision.kind] ?? 0) + 1;
        }
      }
    }
  }
  return summary;
}

interface Page {
  records: SystemRecord[];
  /** Where the next run starts: Exact's largest Timestamp, or CRMOffice's latest modifiedAt (ms). */
  position: number;
}

async function* exactPages(exact: ExactConnector, type: ExactSyncedType, after: number): AsyncGenerator<Page> {
  for await (const page of exact.syncPages(type, after)) {
    yield { records: page.rows.map((row) => row.record), position: page.lastTimestamp };
  }
}

async function* crmPages(crm: CrmOfficeConnector, type: string, sinceMs: number): AsyncGenerator<Page> {
  let position = sinceMs;
  for await (const records of crm.listModifiedSince(type, new Date(sinceMs).toISOString())) {
    for (const record of records) position = Math.max(position, Date.parse(record.modifiedAt));
    yield { records, position };
  }
}

async function handleRecord(
  ctx: SyncContext,
  side: Side,
  type: string,
  record: SystemRecord,
  claimWaitMs: number,
): Promise<DecisionKind[]> {
  const deadline = Date.now() + claimWaitMs;
  for (;;) {
    try {
      const decisions = await processChange(backfillEvent(side, type, record.id), ctx, record);
      decisions.forEach(reportDecision);
      return decisions.map((decision) => decision.kind);
    } catch (error) {
      const verdict = verdictOf(error);
      if (verdict.kind !== "postpone") throw error;
      // Exact's budget comes back when its window starts over, so a backfill waits for it however
      // long. A create claimed by a run that was killed: its lease runs out, then this run adopts it.
      const rateLimited = error instanceof RateLimitedError;
      if (!rateLimited && Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, rateLimited ? verdict.waitSeconds * 1000 : 1_000));
    }
  }
}

function backfillEvent(side: Side, recordType: string, recordId: string): ChangeEvent {
  const eventId = randomUUID();
  return {
    eventId,
    correlationId: eventId,
    system: side,
    recordType,
    recordId,
    action: "upsert",
    source: "backfill",
    observedAt: new Date().toISOString(),
  } as ChangeEvent;
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(workers);
}
