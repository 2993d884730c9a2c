/**
 * Read by the batch, decide by the record. Exact answers up to 1,000 rows a call and its budget
 * (60 a minute, 5,000 a day) is what limits a customer, so the Exact records the changes of one
 * SQS batch need are read together before any change is decided: the sources of the Exact
 * changes, and the Exact partners of the CRMOffice changes that are not echoes, 80 keys a call
 * (`getMany`). Each change is then decided, claimed, written and logged on its own exactly as
 * before; its reads of those records are answered from what the batch read, once.
 *
 * CRMOffice records are read as before, one by one and just before they are used: CRMOffice has
 * no call for many records, and its PUT replaces the whole record, so a copy read earlier would
 * widen the window in which a person's edit could be overwritten.
 *
 * A snapshot read before the change is decided can be older than the record when it is written:
 * the merge writes only the fields it decided, Exact's PUT changes only those, and the values
 * agreed afterwards keep the snapshot's for every other field, so an Exact edit made meanwhile
 * still differs from them and is merged when its own webhook comes. A record whose link moved on
 * after the read-ahead began (another worker wrote it and saved the agreed values) is read again
 * with its partner when its change is decided (processor.ts), or its older values would pass
 * for an edit.
 */
import { MAX_KEYS_PER_FILTER } from "#lib/connectors/exactonline/odata";
import type { Connector, SystemRecord } from "#lib/connectors/types";
import type { ChangeEvent } from "#lib/events/change-event";
import { otherSide, type Side } from "#lib/flows/definition";
import { flowNamed } from "#lib/flows/index";
import { project, sameValues } from "#lib/flows/values";
import type { SyncContext } from "#lib/sync/processor";

/**
 * The worker's SQS event source (serverless.yml, mirrored by the local stack; a test holds them
 * together): a batch as large as one Exact filter reads in one call, gathered for up to a second,
 * so a burst of changes costs a call per 80 and a lone change waits at most that second.
 */
export const WORKER_BATCH_SIZE = MAX_KEYS_PER_FILTER;
export const WORKER_BATCHING_WINDOW_SECONDS = 1;

/** The records a batch read ahead, by system, type and id (lower-case); null: read, and gone. */
export class PrefetchedRecords {
  private readonly records = new Map<string, SystemRecord | null>();

  /** `readAt`: when the read-ahead began (epoch ms); every record in it is at least that old. */
  constructor(readonly readAt: number) {}

  private static key(side: Side, type: string, id: string): string {
    return `${side}#${type}#${id.toLowerCase()}`;
  }

  set(side: Side, type: string, id: string, record: SystemRecord | null): void {
    this.records.set(PrefetchedRecords.key(side, type, id), record);
  }

  /** The record as read ahead, handed out once: a second look (after a lost race) reads it afresh. */
  take(side: Side, type: string, id: string): SystemRecord | null | undefined {
    const key = PrefetchedRecords.key(side, type, id);
    if (!this.records.has(key)) return undefined;
    const record = this.records.get(key) ?? null;
    this.records.delete(key);
    return record;
  }

  get size(): number {
    return this.records.size;
  }
}

/** The batch's read-ahead, in front of a connector: a record read ahead is answered from it, once. */
function readingAhead(connector: Connector, side: Side, prefetched: PrefetchedRecords): Connector {
  return {
    ...connector,
    async get(type, id) {
      const record = prefetched.take(side, type, id);
      return record !== undefined ? record : connector.get(type, id);
    },
  };
}

/** The context a batch's changes are decided in: the same, but for the records read ahead. */
export function withPrefetched(ctx: SyncContext, prefetched: PrefetchedRecords): SyncContext {
  if (prefetched.size === 0) return ctx;
  return {
    ...ctx,
    readAhead: { readAt: prefetched.readAt, without: ctx },
    connectors: {
      exactonline: readingAhead(ctx.connectors.exactonline, "exactonline", prefetched),
      crmoffice: readingAhead(ctx.connectors.crmoffice, "crmoffice", prefetched),
    },
  };
}

const READ_AHEAD_SIDE: Side = "exactonline";
/** CRMOffice changes looked at at once while planning the read-ahead (each a read and a link lookup). */
const PLANNING_CONCURRENCY = 10;

/**
 * Reads ahead the Exact records a batch of changes needs. Best effort: a read that fails (a spent
 * budget, an outage) reads nothing ahead, and each change then reads for itself, failing or
 * waiting on its own as it always did.
 */
export async function readAhead(events: readonly ChangeEvent[], ctx: SyncContext): Promise<PrefetchedRecords> {
  const prefetched = new PrefetchedRecords(ctx.now());
  const wanted = new Map<string, Set<string>>();
  const want = (type: string, id: string) => (wanted.get(type) ?? wanted.set(type, new Set()).get(type))?.add(id.toLowerCase());

  for (const event of events) if (event.system === READ_AHEAD_SIDE) want(event.recordType, event.recordId);
  const others = events.filter((event) => event.system !== READ_AHEAD_SIDE);
  for (let start = 0; start < others.length; start += PLANNING_CONCURRENCY) {
    const partners = await Promise.all(
      others.slice(start, start + PLANNING_CONCURRENCY).map((event) => exactPartnersToMerge(event, ctx, prefetched)),
    );
    for (const partner of partners.flat()) want(partner.type, partner.id);
  }

  const exact = ctx.connectors[READ_AHEAD_SIDE];
  await Promise.all(
    [...wanted].map(async ([type, ids]) => {
      try {
        const found = await exact.getMany(type, [...ids]);
        for (const id of ids) prefetched.set(READ_AHEAD_SIDE, type, id, found.get(id) ?? null);
      } catch {
        // Each change reads for itself.
      }
    }),
  );
  return prefetched;
}

/**
 * The Exact partners a CRMOffice change will merge against: those of its links whose agreed
 * values differ from the record as it now is. An echo (our own write coming back) needs none.
 * The CRMOffice record read here is kept for the change itself, so it is read once.
 */
async function exactPartnersToMerge(
  event: ChangeEvent,
  ctx: SyncContext,
  prefetched: PrefetchedRecords,
): Promise<{ type: string; id: string }[]> {
  const ref = { side: event.system, type: event.recordType, id: event.recordId };
  const { references } = await ctx.store.recordState(ref);
  if (references.length === 0) return [];
  let source: SystemRecord | null;
  try {
    source = await ctx.connectors[ref.side].get(ref.type, ref.id);
  } catch {
    return [];
  }
  prefetched.set(ref.side, ref.type, ref.id, source);
  if (!source) return [];
  const partners: { type: string; id: string }[] = [];
  for (const reference of references) {
    const flow = flowNamed(reference.flow);
    const link = flow ? await ctx.store.getLink(reference.flow, reference.linkId) : null;
    const partnerId = link?.ids[otherSide(ref.side)];
    if (!flow || !link || link.state !== "linked" || !partnerId) continue;
    if (link.agreed && sameValues(link.agreed[ref.side], project(flow, ref.side, source))) continue;
    partners.push({ type: link.types[READ_AHEAD_SIDE], id: partnerId });
  }
  return partners;
}
