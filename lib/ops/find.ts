/**
 * Finds records by the values people know them by, an email address or a Code (Exact's Item
 * Code, CRMOffice's orgNr): in both systems, through each flow's merge criterion, so a record's
 * history can be opened without knowing its id (`syncctl history --email`, the console).
 */
import type { Connector } from "#lib/connectors/types";
import { SIDES, type Side } from "#lib/flows/definition";
import { FLOWS } from "#lib/flows/index";
import { matchKey, matchRule } from "#lib/flows/values";
import type { RecordRef } from "#lib/links/store";

/** What a search is by: a flow's merge criterion (`email` for contacts and employees, `code` for items). */
export type SearchField = "email" | "code";
export const SEARCH_FIELDS: readonly SearchField[] = ["email", "code"];

/** Every record in either system whose merge-criterion field equals `value` (as the flow compares it). */
export async function findRecords(connectors: Record<Side, Connector>, field: SearchField, value: string): Promise<RecordRef[]> {
  const searches = FLOWS.filter((flow) => flow.matchBy.field === field).flatMap((flow) =>
    SIDES.map((side) => ({ flow, side, type: flow[side].type, field: matchRule(flow)[side] })),
  );
  const unique = new Map<string, (typeof searches)[number]>();
  for (const search of searches) unique.set(`${search.side}#${search.type}#${search.field}`, search);
  const found = new Map<string, RecordRef>();
  for (const { flow, side, type, field: systemField } of unique.values()) {
    const wanted = matchKey(flow, value);
    if (wanted === null) continue;
    for (const record of await connectors[side].findBy(type, systemField, value.trim())) {
      if (matchKey(flow, record.fields[systemField] ?? null) === wanted)
        found.set(`${side}#${type}#${record.id}`, { side, type, id: record.id });
    }
  }
  return [...found.values()];
}
