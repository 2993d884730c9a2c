/**
 * The records that cannot sync, as an operator reviews them (`syncctl unsyncable`, the
 * console): the reason, the record's current values and those of the other side (its linked
 * partner, or the records that match it by the flow's merge criterion, of which a person may
 * pick one). Values are read from the systems now, through the connectors, and shown only to
 * the operator: they are never logged.
 */
import { describeError } from "#lib/cli/errors";
import type { Connector } from "#lib/connectors/types";
import { otherSide, type Side, type SideValues } from "#lib/flows/definition";
import { FLOWS, flowNamed } from "#lib/flows/index";
import { project } from "#lib/flows/values";
import type { LinkStore, RecordRef, UnsyncableEntry } from "#lib/links/store";
import { findCandidates } from "#lib/sync/processor";

export interface OpsSyncDeps {
  store: LinkStore;
  connectors: Record<Side, Connector>;
}

export interface RecordValues {
  record: RecordRef;
  /** By the flow's row names; null when the system no longer has the record. */
  values: SideValues | null;
}

export interface UnsyncableRecord extends UnsyncableEntry {
  /** The flow's rows: their names and each side's field. */
  rows: { name: string; exactonline: string; crmoffice: string }[];
  /** The record's current values; absent when they could not be read (see `readError`). */
  values?: SideValues | null;
  /** Its partner, when the record is linked in this flow (e.g. a write the other system refused). */
  partner?: RecordValues;
  /** Unlinked records on the other side that match by the flow's merge criterion: the choice for a link. */
  candidates: RecordValues[];
  /** Why the values could not be read (a system unreachable, Exact's budget spent, …). */
  readError?: string;
}

export interface ListUnsyncableOptions {
  flow?: string | undefined;
  /** Look up the values of at most this many records (each costs calls to both systems). */
  limit?: number;
}

/** Every record recorded as unsyncable (of one flow, or all), oldest first, with values for the first `limit`. */
export async function listUnsyncable(deps: OpsSyncDeps, options: ListUnsyncableOptions = {}): Promise<UnsyncableRecord[]> {
  const flows = options.flow === undefined ? FLOWS : FLOWS.filter((flow) => flow.name === options.flow);
  const entries = (await Promise.all(flows.map((flow) => deps.store.unsyncableRecords(flow.name))))
    .flat()
    .sort((a, b) => a.at.localeCompare(b.at));
  const limit = options.limit ?? 50;
  return Promise.all(
    entries.map((entry, index) =>
      index < limit ? withValues(deps, entry) : { ...entry, rows: rowsOf(entry.flow), candidates: [], readError: "not looked up" },
    ),
  );
}

function rowsOf(flowName: string): UnsyncableRecord["rows"] {
  return (flowNamed(flowName)?.fields ?? []).map((rule) => ({ name: rule.name, exactonline: rule.exactonline, crmoffice: rule.crmoffice }));
}

async function withValues(deps: OpsSyncDeps, entry: UnsyncableEntry): Promise<UnsyncableRecord> {
  const flow = flowNamed(entry.flow);
  const base = { ...entry, rows: rowsOf(entry.flow), candidates: [] };
  if (!flow) return { ...base, readError: `unknown flow ${entry.flow}` };
  const { record } = entry;
  const other = otherSide(record.side);
  try {
    const source = await deps.connectors[record.side].get(record.type, record.id);
    if (!source) return { ...base, values: null };
    const values = project(flow, record.side, source);
    const link = await deps.store.findLink(flow.name, record);
    const partnerId = link?.ids[other];
    if (link && partnerId) {
      const partnerRef = { side: other, type: link.types[other], id: partnerId };
      const partner = await deps.connectors[other].get(partnerRef.type, partnerRef.id);
      return { ...base, values, partner: { record: partnerRef, values: partner ? project(flow, other, partner) : null } };
    }
    const { free } = await findCandidates(flow, record, source, deps);
    return {
      ...base,
      values,
      candidates: free.map((candidate) => ({
        record: { side: other, type: flow[other].type, id: candidate.id },
        values: project(flow, other, candidate),
      })),
    };
  } catch (error) {
    return { ...base, readError: describeError(error) };
  }
}
