/**
 * What an operator does about a record that needs a person (`syncctl retry`, `syncctl link`,
 * the console's buttons): look at it again through the normal path, or settle an ambiguous
 * match by naming the partner. Both end in a change event on the queue, so the worker's own
 * decision (and its merge) does the rest, exactly as for a webhook.
 */
import { randomUUID } from "node:crypto";
import type { ChangeEvent } from "#lib/events/change-event";
import { enqueueChangeEvent } from "#lib/events/queue";
import { otherSide } from "#lib/flows/definition";
import { flowNamed } from "#lib/flows/index";
import { LinkConflictError, type Link, type RecordRef } from "#lib/links/store";
import type { LoggedDecision, SyncLog } from "#lib/links/sync-log";
import type { OpsSyncDeps } from "#lib/ops/unsyncable";
import { findCandidates } from "#lib/sync/processor";
import { UnknownFlowError } from "#lib/sync/replay";

/** The link the operator asked for cannot be made as asked; the message says why. */
export class LinkRefusedError extends Error {
  override name = "LinkRefusedError";
}

/** A change event from the operator; its correlation id is its own event id unless given. */
function operatorEvent(record: RecordRef, correlationId?: string): ChangeEvent {
  const eventId = randomUUID();
  // The schema checks system and record type when the event is enqueued.
  return {
    eventId,
    correlationId: correlationId ?? eventId,
    system: record.side,
    recordType: record.type,
    recordId: record.id,
    action: "upsert",
    source: "operator",
    observedAt: new Date().toISOString(),
  } as ChangeEvent;
}

/**
 * Retry now: a change event for the record, as a webhook would send, so the worker reads it
 * again and decides afresh (an edit made the record valid, a candidate was removed, …).
 */
export async function retryRecord(queueUrl: string, record: RecordRef): Promise<ChangeEvent> {
  const event = operatorEvent(record);
  await enqueueChangeEvent(queueUrl, event);
  return event;
}

export interface LinkRequest {
  flow: string;
  /** The unsyncable record. */
  record: RecordRef;
  /** The id of the record on the other side the operator chose among the candidates. */
  candidateId: string;
}

export interface LinkResult {
  link: Link;
  partner: RecordRef;
  /** The operator's decision, logged about both records. */
  decisions: LoggedDecision[];
  /** The change event that has the worker merge the two records. */
  event: ChangeEvent;
}

/**
 * Links an unsyncable record to one of the candidates it matches by the flow's merge criterion,
 * chosen by a person: the candidate is checked to be one of them still, the link is made with
 * the link store's conditional writes (as a first-sight match is, so it fails if either record
 * was linked meanwhile), the choice is logged as the operator's decision about both records,
 * and a change event has the worker merge them through the flow's normal rules.
 */
export async function linkToCandidate(deps: OpsSyncDeps & { log: SyncLog; queueUrl: string }, request: LinkRequest): Promise<LinkResult> {
  const flow = flowNamed(request.flow);
  if (!flow) throw new UnknownFlowError(request.flow);
  const { record } = request;
  if (flow[record.side].type !== record.type)
    throw new LinkRefusedError(`flow ${flow.name} has no ${record.side} ${record.type} records (it syncs ${flow[record.side].type})`);
  const subject = `${record.side} ${record.type} ${record.id}`;
  const state = await deps.store.recordState(record);
  if (state.references.some((reference) => reference.flow === flow.name))
    throw new LinkRefusedError(`${subject} is already linked in ${flow.name}`);
  if (!state.unsyncableIn.includes(flow.name)) throw new LinkRefusedError(`${subject} is not recorded as unsyncable in ${flow.name}`);
  const source = await deps.connectors[record.side].get(record.type, record.id);
  if (!source) throw new LinkRefusedError(`${subject} no longer exists in ${record.side}`);

  const other = otherSide(record.side);
  const { free } = await findCandidates(flow, record, source, deps);
  if (!free.some((candidate) => candidate.id === request.candidateId)) {
    throw new LinkRefusedError(
      `${other} ${flow[other].type} ${request.candidateId} is not an unlinked record matching ${subject} by ${flow.matchBy.field}` +
        ` (candidates: ${free.map((candidate) => candidate.id).join(", ") || "none"})`,
    );
  }
  const partner: RecordRef = { side: other, type: flow[other].type, id: request.candidateId };
  let link: Link;
  try {
    link = await deps.store.linkPair(flow.name, record, partner);
  } catch (error) {
    if (error instanceof LinkConflictError) throw new LinkRefusedError(`${subject} or its candidate was linked meanwhile; look again`);
    throw error;
  }
  await Promise.all([deps.store.clearUnsyncable(flow.name, record), deps.store.clearUnsyncable(flow.name, partner)]);

  const event = operatorEvent(record);
  const reason = `linked by the operator, who chose this pair among ${free.length} ${other} record${free.length === 1 ? "" : "s"} matching by ${flow.matchBy.field}`;
  const decisions = await Promise.all(
    [
      [record, partner],
      [partner, record],
    ].map(([about, to]) =>
      deps.log.append({
        kind: "linked",
        flow: flow.name,
        record: about as RecordRef,
        partner: to as RecordRef,
        reason,
        eventId: event.eventId,
        correlationId: event.correlationId,
      }),
    ),
  );
  await enqueueChangeEvent(deps.queueUrl, event);
  return { link, partner, decisions, event };
}
