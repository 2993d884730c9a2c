import { ClientRequestError, ConnectorError, RecordNotFoundError, UnexpectedResponseError } from "#lib/connectors/errors";
import type { Connector, Fields, SystemRecord } from "#lib/connectors/types";
import type { ChangeEvent } from "#lib/events/change-event";
import { otherSide, SIDES, type AgreedValues, type FlowDefinition, type Side, type SideValues } from "#lib/flows/definition";
import { FLOWS, flowNamed, flowsForRecord } from "#lib/flows/index";
import { mergeRecords } from "#lib/flows/merge";
import {
  crossValue,
  fingerprint,
  matchKey,
  matchRule,
  missingRequired,
  normalize,
  project,
  sameValues,
  toSystemFields,
} from "#lib/flows/values";
import { LinkConflictError, type Link, type LinkStore, type RecordRef } from "#lib/links/store";
import type { Decision, LoggedDecision, SyncLog } from "#lib/links/sync-log";
import { verdictOf } from "#lib/sync/error-policy";
import { RetryLaterError, UnsyncableError } from "#lib/sync/errors";

export interface SyncContext {
  store: LinkStore;
  log: SyncLog;
  connectors: Record<Side, Connector>;
  settings: {
    EXACT_DEFAULT_ACCOUNT_ID?: string | undefined;
    /** Flows whose deletes are carried to the other side (opt-in; the default is unlink and keep). */
    propagateDeletes: readonly string[];
  };
  now: () => number;
  /** How long a claimed create belongs to the worker that claimed it. */
  createLeaseMs: number;
  /**
   * The batch's read-ahead this context answers Exact reads from (lib/sync/batch.ts): when it
   * was read (epoch ms), and the same context without it, for a decision that must read afresh.
   */
  readAhead?: { readAt: number; without: SyncContext };
}

/** A decision before it is stamped with the event's ids. */
type Outcome = Omit<Decision, "eventId" | "correlationId" | "flow" | "record">;

/** Lost races are decided again from fresh state; more than this many in a row is unusual. */
const MAX_ATTEMPTS = 5;

/**
 * Handles one change event: reads the record's current state, finds the flows it belongs to,
 * and in each makes one decision (create, link, update, echo, unlink, unsyncable, ...), which
 * it records in the sync log and returns. Throws only what should be retried.
 */
export async function processChange(event: ChangeEvent, ctx: SyncContext, knownSource?: SystemRecord | null): Promise<LoggedDecision[]> {
  const ref: RecordRef = { side: event.system, type: event.recordType, id: event.recordId };
  // Webhooks only say "look here": the action is a hint, the system's current state decides.
  // A backfill has just read the record from a sync page (or found it gone), and passes it in to spare the call.
  let source: SystemRecord | null;
  // A record answered from the batch's read-ahead is as old as that read.
  const sourceReadAt = Math.min(ctx.now(), ctx.readAhead?.readAt ?? Number.POSITIVE_INFINITY);
  try {
    source = knownSource !== undefined ? knownSource : await ctx.connectors[ref.side].get(ref.type, ref.id);
  } catch (error) {
    // The system sent the record in a shape that breaks its schema: reading it again gives the
    // same answer, so retries (and in the end a dead letter) would help nobody. It is recorded
    // as unsyncable, with the reason, until an edit repairs it and its next change is seen.
    const verdict = error instanceof UnexpectedResponseError ? verdictOf(error) : undefined;
    if (verdict?.kind !== "unsyncable") throw error;
    return recordBrokenSource(event, ref, verdict.reason, ctx);
  }
  const stamp = (flow: string, outcome: Outcome): Decision => ({
    ...outcome,
    flow,
    record: ref,
    eventId: event.eventId,
    correlationId: event.correlationId,
  });
  let state = await ctx.store.recordState(ref);
  if (state.references.length === 0 && source) {
    const adoption = await adoptPendingCreate(ref, source, ctx);
    if (adoption) return [await ctx.log.append(stamp(adoption.flow, adoption.outcome))];
    // The create that made this record may have completed its link (reference written, pending
    // entry removed, in one transaction) between the two reads: read again, now that none is pending.
    state = await ctx.store.recordState(ref);
  }
  const { references, unsyncableIn } = state;
  const linkedFlows = references.map((reference) => flowNamed(reference.flow)).filter((flow) => flow !== undefined);
  // An unlinked record joins only flows that carry new records from its side to the other.
  const flows =
    linkedFlows.length > 0
      ? linkedFlows
      : source
        ? flowsForRecord(ref.side, ref.type).filter((flow) => flow.createOn.includes(otherSide(ref.side)))
        : [];

  if (flows.length === 0) {
    const reason = source ? "no flow carries this record type from this side" : "record is gone and was not linked";
    return [await ctx.log.append(stamp("-", { kind: "ignored", reason }))];
  }

  const decisions: LoggedDecision[] = [];
  for (const flow of flows) {
    const linkId = references.find((reference) => reference.flow === flow.name)?.linkId ?? null;
    const outcome = await decideWithRetries(flow, ref, { record: source, readAt: sourceReadAt }, ctx, linkId);
    if (outcome.kind === "unsyncable") await ctx.store.markUnsyncable(flow.name, ref, outcome.reason ?? "");
    else if (unsyncableIn.includes(flow.name)) await ctx.store.clearUnsyncable(flow.name, ref);
    decisions.push(await ctx.log.append(stamp(flow.name, outcome)));
  }
  return decisions;
}

/** Unsyncable in every flow the record is linked in or could join, each decision logged. */
async function recordBrokenSource(event: ChangeEvent, ref: RecordRef, reason: string, ctx: SyncContext): Promise<LoggedDecision[]> {
  const { references } = await ctx.store.recordState(ref);
  const linked = references.map((reference) => reference.flow);
  const flows =
    linked.length > 0
      ? linked
      : flowsForRecord(ref.side, ref.type)
          .filter((flow) => flow.createOn.includes(otherSide(ref.side)))
          .map((flow) => flow.name);
  const decisions: LoggedDecision[] = [];
  for (const flow of flows) {
    await ctx.store.markUnsyncable(flow, ref, reason);
    decisions.push(
      await ctx.log.append({ kind: "unsyncable", reason, flow, record: ref, eventId: event.eventId, correlationId: event.correlationId }),
    );
  }
  return decisions;
}

/**
 * `knownLinkId` comes from the record's state read just before (null: no link then); after a
 * lost race the decision starts again from a fresh read. `source.readAt` is when the record was
 * read (epoch ms).
 */
async function decideWithRetries(
  flow: FlowDefinition,
  ref: RecordRef,
  source: { record: SystemRecord | null; readAt: number },
  ctx: SyncContext,
  knownLinkId: string | null,
): Promise<Outcome> {
  let { record, readAt } = source;
  for (let attempt = 1; ; attempt++) {
    try {
      const link =
        attempt === 1
          ? knownLinkId === null
            ? null
            : await ctx.store.getLink(flow.name, knownLinkId)
          : await ctx.store.findLink(flow.name, ref);
      // The link moved on after the record was read (another worker wrote the record and saved
      // what both sides now hold): read it again, or its older values would pass for an edit.
      // Its partner too is then read afresh, not taken from the batch's read-ahead.
      let decideIn = ctx;
      if (link && Date.parse(link.updatedAt) >= readAt) {
        decideIn = ctx.readAhead?.without ?? ctx;
        readAt = ctx.now();
        record = await decideIn.connectors[ref.side].get(ref.type, ref.id);
      }
      return await decide(flow, ref, record, decideIn, link);
    } catch (error) {
      const verdict = verdictOf(error);
      if (verdict.kind === "unsyncable") return { kind: "unsyncable", reason: verdict.reason };
      if (verdict.kind !== "redecide") throw error;
      if (attempt >= MAX_ATTEMPTS) throw new RetryLaterError(`${flow.name}: ${attempt} lost races in a row`, { cause: error });
    }
  }
}

async function decide(
  flow: FlowDefinition,
  ref: RecordRef,
  source: SystemRecord | null,
  ctx: SyncContext,
  link: Link | null,
): Promise<Outcome> {
  if (link?.state === "closed") {
    if (source)
      return {
        kind: "ignored",
        reason: `unlinked: its partner was deleted in ${otherSide(ref.side)}, and this flow keeps the other record`,
      };
    // Only the kept record's reference still points at a closed link (closing removed the
    // deleted one's). A late or second copy of the deletion must leave the link in place, or
    // the kept record's next change would sync it as new and bring the deleted one back.
    const kept = await ctx.store.findLink(flow.name, ref);
    if (kept?.linkId === link.linkId) await ctx.store.removeLink(kept);
    return { kind: "ignored", reason: "record is gone; its link was already closed" };
  }
  if (!source) return link ? endLink(flow, link, ref.side, ctx) : { kind: "ignored", reason: "record is gone and was not linked" };
  if (!link) return firstSight(flow, ref, source, ctx);
  if (link.state === "creating") return resumeCreate(flow, link, ref, source, ctx);
  if ((link.writingUntil ?? 0) > ctx.now()) throw new RetryLaterError(`${flow.name}: another worker is writing this link`);
  return mergeLinked(flow, link, ref, source, ctx);
}

const typesOf = (flow: FlowDefinition): Record<Side, string> => ({ exactonline: flow.exactonline.type, crmoffice: flow.crmoffice.type });

export interface Candidates {
  free: SystemRecord[];
  /** Flows in which matching records are already linked. */
  ownedBy: string[];
  /**
   * Free records kept after their partner was deleted (unlink and keep): their closed link in
   * this flow, by record id, to be removed when they are linked again.
   */
  kept: Map<string, Link>;
}

/**
 * Records on the other side that match by the flow's merge criterion.
 *
 * `endStaleLink` is the worker's: a match whose link lost its record on this side (a deletion
 * not processed yet) is ended by it, then the record is decided again. Read-only callers (the
 * console) leave it out and see such a match as owned.
 */
export async function findCandidates(
  flow: FlowDefinition,
  ref: RecordRef,
  source: SystemRecord,
  ctx: Pick<SyncContext, "connectors" | "store">,
  endStaleLink?: (link: Link) => Promise<unknown>,
): Promise<Candidates> {
  const other = otherSide(ref.side);
  const rule = matchRule(flow);
  const key = matchKey(flow, source.fields[rule[ref.side]] ?? null);
  const kept = new Map<string, Link>();
  if (key === null) return { free: [], ownedBy: [], kept };
  const found = await ctx.connectors[other].findBy(flow[other].type, rule[other], String(normalize(source.fields[rule[ref.side]] ?? null)));
  const matching = found.filter((record) => matchKey(flow, record.fields[rule[other]] ?? null) === key);
  const owners = await Promise.all(
    matching.map(async (record) => {
      const references = await ctx.store.referencesOf({ side: other, type: flow[other].type, id: record.id });
      // A record whose only link is this flow's closed one was kept when its partner was
      // deleted: it is in no link, so a record made again with its key is its unique match.
      const [only] = references;
      if (references.length !== 1 || only?.flow !== flow.name) return references;
      const link = await ctx.store.getLink(flow.name, only.linkId);
      // Linked to this very record meanwhile (its own first sight, by the partner's worker): decide again, linked.
      if (link?.ids[ref.side] === ref.id) throw new LinkConflictError(`${flow.name}: the matching record was linked to this one meanwhile`);
      if (endStaleLink && link?.state === "linked" && (await partnerGone(link, ref.side, ctx))) {
        // Its partner on this side is gone and the deletion is not processed yet (its
        // notification is late or lost): end the link as the deletion will, then decide again.
        await endStaleLink(link);
        throw new LinkConflictError(`${flow.name}: the matching record's link had lost its ${ref.side} record`);
      }
      if (link?.state !== "closed") return references;
      kept.set(record.id, link);
      return [];
    }),
  );
  return {
    free: matching.filter((_, index) => owners[index]?.length === 0),
    ownedBy: [...new Set(owners.flat().map((owner) => owner.flow))],
    kept,
  };
}

/** True when the link's record on `side` no longer exists in its system. */
async function partnerGone(link: Link, side: Side, ctx: Pick<SyncContext, "connectors">): Promise<boolean> {
  const id = link.ids[side];
  return id !== undefined && (await ctx.connectors[side].get(link.types[side], id)) === null;
}

/**
 * A match must be unique both ways: when two records on this side share the key, linking the
 * one partner to whichever was seen first would be a guess.
 */
async function requireUniqueOnOwnSide(flow: FlowDefinition, ref: RecordRef, source: SystemRecord, ctx: SyncContext): Promise<void> {
  const rule = matchRule(flow);
  const value = source.fields[rule[ref.side]] ?? null;
  const twins = (await ctx.connectors[ref.side].findBy(ref.type, rule[ref.side], String(normalize(value)))).filter(
    (record) => matchKey(flow, record.fields[rule[ref.side]] ?? null) === matchKey(flow, value),
  );
  if (twins.length > 1) {
    throw new UnsyncableError(`ambiguous: ${twins.length} ${flow[ref.side].label} in ${ref.side} share this ${flow.matchBy.field}`);
  }
}

function unmatchable(flow: FlowDefinition, other: Side, candidates: Candidates): never {
  if (candidates.free.length > 1) {
    throw new UnsyncableError(`ambiguous: ${candidates.free.length} ${flow[other].label} in ${other} match by ${flow.matchBy.field}`);
  }
  throw new UnsyncableError(`the matching ${flow[other].label} record in ${other} is owned by flow ${candidates.ownedBy.join(", ")}`);
}

async function firstSight(flow: FlowDefinition, ref: RecordRef, source: SystemRecord, ctx: SyncContext): Promise<Outcome> {
  const other = otherSide(ref.side);
  const candidates = await findCandidates(flow, ref, source, ctx, (link) => endLink(flow, link, ref.side, ctx));
  const [match] = candidates.free;
  if (match && candidates.free.length === 1) {
    await requireUniqueOnOwnSide(flow, ref, source, ctx);
    const closed = candidates.kept.get(match.id);
    if (closed) await ctx.store.removeLink(closed);
    const link = await ctx.store.linkPair(flow.name, ref, { side: other, type: flow[other].type, id: match.id });
    const merged = await mergeLinked(flow, link, ref, source, ctx, match);
    return { ...merged, kind: "linked" };
  }
  if (candidates.free.length > 0 || candidates.ownedBy.length > 0) unmatchable(flow, other, candidates);
  return createPartner(flow, ref, source, ctx);
}

/** The fields a new record on `target` gets from `source`, with configured defaults. */
function fieldsToCreate(flow: FlowDefinition, target: Side, values: SideValues, ctx: SyncContext): Fields {
  const from = otherSide(target);
  const crossing: SideValues = {};
  for (const rule of flow.fields) {
    const value = values[rule.name] ?? null;
    const allowed = rule.direction === "both" || rule.direction === (target === "crmoffice" ? "toCrmoffice" : "toExactonline");
    if (value !== null && allowed) crossing[rule.name] = crossValue(rule, target, value);
  }
  const fields = toSystemFields(flow, target, crossing);
  for (const [field, setting] of Object.entries(flow[target].createDefaults ?? {})) {
    const configured = ctx.settings[setting];
    if (configured) fields[field] = configured;
  }
  const missing = missingRequired(flow, target, fields);
  if (missing.length > 0) {
    const needs = missing.map((group) => group.map((field) => describeField(flow, target, from, field)).join(" or ")).join(", ");
    throw new UnsyncableError(`cannot create ${flow[target].label} in ${target}: needs ${needs}`);
  }
  return fields;
}

function describeField(flow: FlowDefinition, target: Side, from: Side, field: string): string {
  const setting = flow[target].createDefaults?.[field];
  if (setting) return `${field} (set ${setting})`;
  const rule = flow.fields.find((candidate) => candidate[target] === field);
  return rule ? `${field} (from ${rule[from]})` : field;
}

/**
 * Creates the record's partner on the other side: claim first (a `creating` link, the source's
 * reference and the new record's fingerprint), then create, then complete the link. `claim` is
 * an interrupted earlier claim being taken over.
 */
async function createPartner(flow: FlowDefinition, ref: RecordRef, source: SystemRecord, ctx: SyncContext, claim?: Link): Promise<Outcome> {
  const target = otherSide(ref.side);
  let fields: Fields;
  try {
    fields = fieldsToCreate(flow, target, project(flow, ref.side, source), ctx);
  } catch (error) {
    // Give the record back, so an edit that makes it valid starts afresh.
    if (claim) await ctx.store.removeLink(claim);
    throw error;
  }
  const pending = { side: target, type: flow[target].type, fingerprint: fingerprint(flow, target, fields) };
  const held = claim
    ? await ctx.store.renewClaim(claim, ctx.createLeaseMs, pending)
    : await ctx.store.claimForCreate(flow.name, ref, typesOf(flow), ctx.createLeaseMs, pending);
  const created = await ctx.connectors[target].create(flow[target].type, fields).catch(async (error: unknown) => {
    // Refused, so nothing was made: give the claim back, so the retry starts afresh instead of
    // waiting out its own lease (and a create that keeps failing reaches the dead-letter queue).
    if (nothingWritten(error)) await ctx.store.removeLink(held).catch(() => undefined);
    throw error;
  });
  const partner: RecordRef = { side: target, type: flow[target].type, id: created.id };
  const agreed = { [ref.side]: project(flow, ref.side, source), [target]: project(flow, target, created) } as AgreedValues;
  await ctx.store.completeCreate(held, partner, agreed);
  const written = Object.entries(agreed[target])
    .filter(([, value]) => value !== null)
    .map(([name]) => name);
  return { kind: "created", partner, fields: { [target]: written } };
}

/**
 * Is this unlinked record one that a create of ours made, whose link is not complete yet? Its
 * own webhook can overtake the create's last step, and a worker can die before that step. Then
 * wait for the create (its lease still runs), or complete the link with this record (it ran
 * out); never take the record for a new one, which would sync it into another flow.
 */
async function adoptPendingCreate(
  ref: RecordRef,
  record: SystemRecord,
  ctx: SyncContext,
): Promise<{ flow: string; outcome: Outcome } | null> {
  for (const flow of FLOWS.filter((candidate) => candidate[ref.side].type === ref.type && candidate.createOn.includes(ref.side))) {
    const pending = await ctx.store.pendingCreate(ref.side, ref.type, fingerprint(flow, ref.side, record.fields));
    const link = pending ? await ctx.store.getLink(pending.flow, pending.linkId) : null;
    if (!link || link.state !== "creating") continue;
    if ((link.claimedUntil ?? 0) > ctx.now())
      throw new RetryLaterError(`${flow.name}: the create that made this record is still linking it`);
    const creator = partnerRef(flow, link, otherSide(ref.side));
    const adopted = await ctx.store.completeCreate(link, ref, null);
    const creatorRecord = await ctx.connectors[creator.side].get(creator.type, creator.id);
    const outcome = creatorRecord
      ? await mergeLinked(flow, adopted, creator, creatorRecord, ctx, record)
      : await endLink(flow, adopted, creator.side, ctx);
    return {
      flow: flow.name,
      outcome: {
        ...outcome,
        partner: creator,
        kind: creatorRecord ? "linked" : outcome.kind,
        reason: "adopted: made by a create whose worker stopped before linking it",
      },
    };
  }
  return null;
}

/** A `creating` link whose claim outlived its worker: adopt what it made, or create again. */
async function resumeCreate(flow: FlowDefinition, link: Link, ref: RecordRef, source: SystemRecord, ctx: SyncContext): Promise<Outcome> {
  if ((link.claimedUntil ?? 0) > ctx.now()) throw new RetryLaterError(`${flow.name}: another worker is creating the partner`);
  const target = otherSide(ref.side);
  const candidates = await findCandidates(flow, ref, source, ctx, (link) => endLink(flow, link, ref.side, ctx));
  // The record the interrupted create made has the claim's fingerprint (unless edited since):
  // it is the one, however many others share its key by now.
  const made = candidates.free.filter(
    (record) => link.pending !== undefined && fingerprint(flow, target, record.fields) === link.pending.fingerprint,
  );
  const [orphan] = made.length === 1 ? made : candidates.free;
  if (orphan && (made.length === 1 || candidates.free.length === 1)) {
    const closed = candidates.kept.get(orphan.id);
    if (closed) await ctx.store.removeLink(closed);
    const adopted = await ctx.store.completeCreate(link, { side: target, type: flow[target].type, id: orphan.id }, null);
    const merged = await mergeLinked(flow, adopted, ref, source, ctx, orphan);
    return { ...merged, kind: "linked", reason: "adopted the record an interrupted create had made" };
  }
  if (candidates.free.length > 1) {
    await ctx.store.removeLink(link);
    unmatchable(flow, target, candidates);
  }
  return createPartner(flow, ref, source, ctx, link);
}

/**
 * True when every link of this record already agrees with the record as given: processing it
 * would be an echo. Lets a poller skip what the webhooks have synced, without calling Exact.
 */
export async function alreadyAgreed(ref: RecordRef, record: SystemRecord, store: LinkStore): Promise<boolean> {
  const references = await store.referencesOf(ref);
  if (references.length === 0) return false;
  for (const reference of references) {
    const flow = flowNamed(reference.flow);
    const link = await store.getLink(reference.flow, reference.linkId);
    if (!flow || !link?.agreed || !sameValues(link.agreed[ref.side], project(flow, ref.side, record))) return false;
  }
  return true;
}

async function mergeLinked(
  flow: FlowDefinition,
  initialLink: Link,
  ref: RecordRef,
  source: SystemRecord,
  ctx: SyncContext,
  knownPartner?: SystemRecord,
): Promise<Outcome> {
  let link = initialLink;
  const other = otherSide(ref.side);
  const sourceValues = project(flow, ref.side, source);
  // The echo of our own write (or a duplicate): nothing changed on this side since the last sync.
  if (link.agreed && sameValues(link.agreed[ref.side], sourceValues)) return { kind: "echo", partner: partnerRef(flow, link, other) };

  const partner = knownPartner ?? (await ctx.connectors[other].get(link.types[other], link.ids[other] ?? ""));
  if (!partner) return endLink(flow, link, other, ctx);

  const records: Record<Side, SystemRecord> = { [ref.side]: source, [other]: partner } as Record<Side, SystemRecord>;
  const read = { ...records };
  const state = {
    exactonline: { values: project(flow, "exactonline", records.exactonline), modifiedAt: records.exactonline.modifiedAt },
    crmoffice: { values: project(flow, "crmoffice", records.crmoffice), modifiedAt: records.crmoffice.modifiedAt },
  };
  const merge = mergeRecords(flow, state, link.agreed, ref.side);
  const writing = SIDES.some((side) => merge.writes[side]);
  if (writing) link = await ctx.store.beginWrite(link, ctx.createLeaseMs);
  const reserved = link;
  try {
    for (const side of SIDES) {
      const writes = merge.writes[side];
      if (!writes) continue;
      const current = records[side];
      records[side] = await ctx.connectors[side].update(link.types[side], current.id, toSystemFields(flow, side, writes), current);
    }
  } catch (error) {
    // Refused writes are not in flight: end the reservation, so the retry does not wait out
    // its own lease (and a write that keeps failing reaches the dead-letter queue).
    if (nothingWritten(error)) await ctx.store.endWrite(reserved).catch(() => undefined);
    throw error;
  }
  // What both sides now agree on: the records as they were read, and for the fields written, as
  // the system stored them. A field someone changed after the read (Exact's PUT keeps what it is
  // not sent) thus still differs from the agreed value, and is merged when its own change is seen.
  const agreedOn = (side: Side): SideValues => {
    const written = Object.keys(merge.writes[side] ?? {});
    const stored = project(flow, side, records[side]);
    return { ...project(flow, side, read[side]), ...Object.fromEntries(written.map((name) => [name, stored[name] ?? null])) };
  };
  const agreed: AgreedValues = { exactonline: agreedOn("exactonline"), crmoffice: agreedOn("crmoffice") };
  if (!link.agreed || !sameValues(link.agreed.exactonline, agreed.exactonline) || !sameValues(link.agreed.crmoffice, agreed.crmoffice)) {
    await ctx.store.saveAgreed(link, agreed);
  }
  const fields = Object.fromEntries(
    SIDES.filter((side) => merge.writes[side]).map((side) => [side, Object.keys(merge.writes[side] ?? {})]),
  );
  const written = writing;
  return {
    kind: written ? "updated" : merge.kept.length > 0 ? "kept" : "echo",
    partner: partnerRef(flow, link, other),
    ...(written ? { fields } : {}),
    ...(merge.conflicts.length > 0 ? { conflicts: merge.conflicts } : {}),
    ...(merge.kept.length > 0 ? { reason: merge.kept.map((kept) => kept.reason).join("; ") } : {}),
  };
}

/**
 * True when a failed call certainly changed nothing: the system answered with an error status
 * (or the call was refused before it was sent). A call that got no answer (timeout, network)
 * may still land, so the lease taken for it is kept until it runs out.
 */
function nothingWritten(error: unknown): boolean {
  if (!(error instanceof ConnectorError) || error instanceof UnexpectedResponseError) return false;
  return error.status !== null || error instanceof ClientRequestError;
}

function partnerRef(flow: FlowDefinition, link: Link, side: Side): RecordRef {
  return { side, type: flow[side].type, id: link.ids[side] ?? "" };
}

/** One side of a link is gone: unlink and keep the other (default), or delete it too. */
async function endLink(flow: FlowDefinition, link: Link, deletedSide: Side, ctx: SyncContext): Promise<Outcome> {
  const survivor = otherSide(deletedSide);
  const survivorRef = partnerRef(flow, link, survivor);
  const policy = ctx.settings.propagateDeletes.includes(flow.name) ? "propagate" : flow.deletePolicy;
  if (policy === "propagate" && flow[survivor].writable && survivorRef.id !== "") {
    try {
      await ctx.connectors[survivor].delete(survivorRef.type, survivorRef.id);
    } catch (error) {
      if (!(error instanceof RecordNotFoundError)) throw error;
    }
    await ctx.store.removeLink(link);
    return { kind: "deleted", partner: survivorRef, reason: `deleted in ${deletedSide}, so deleted in ${survivor} too` };
  }
  await ctx.store.closeLink(link, deletedSide);
  return { kind: "unlinked", partner: survivorRef, reason: `deleted in ${deletedSide}; the ${survivor} record is kept, unlinked` };
}
