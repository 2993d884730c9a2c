import type { FieldValue } from "#lib/connectors/types";
import { otherSide, type AgreedValues, type FieldRule, type FlowDefinition, type Side, type SideValues } from "#lib/flows/definition";
import { crossValue } from "#lib/flows/values";

export interface SideState {
  values: SideValues;
  /** ISO 8601: when the system last changed the record. */
  modifiedAt: string;
}

export interface Conflict {
  field: string;
  values: Record<Side, FieldValue>;
  winner: Side;
  reason: "field owner" | "most recently modified";
}

/** An edit that cannot cross because the flow does not write it to the other side. */
export interface KeptEdit {
  field: string;
  side: Side;
  reason: string;
}

export interface MergeResult {
  /** Row-named values to write, per side; a side absent here needs no write. */
  writes: Partial<Record<Side, SideValues>>;
  conflicts: Conflict[];
  kept: KeptEdit[];
}

function mayCross(flow: FlowDefinition, rule: FieldRule, from: Side): boolean {
  const to = otherSide(from);
  if (!flow[to].writable) return false;
  if (rule.direction === "both") return true;
  return rule.direction === (to === "crmoffice" ? "toCrmoffice" : "toExactonline");
}

function conflictWinner(rule: FieldRule, state: Record<Side, SideState>, source: Side): Pick<Conflict, "winner" | "reason"> {
  if (rule.owner) return { winner: rule.owner, reason: "field owner" };
  const exact = Date.parse(state.exactonline.modifiedAt);
  const crm = Date.parse(state.crmoffice.modifiedAt);
  // Equal times: the side whose change we are looking at wins.
  const winner: Side = exact === crm ? source : exact > crm ? "exactonline" : "crmoffice";
  return { winner, reason: "most recently modified" };
}

/**
 * Three-way merge, field by field, against the values both sides held after the last sync
 * (`agreed`, null for a link made just now). A field changed on one side takes that side's
 * value; changed on both to different values is a conflict for the flow's policy. On a new
 * link an empty value is no edit, so it never wipes a filled one.
 */
export function mergeRecords(flow: FlowDefinition, state: Record<Side, SideState>, agreed: AgreedValues | null, source: Side): MergeResult {
  const result: MergeResult = { writes: {}, conflicts: [], kept: [] };
  const write = (side: Side, field: string, value: FieldValue) => {
    (result.writes[side] ??= {})[field] = value;
  };

  for (const rule of flow.fields) {
    const value = { exactonline: state.exactonline.values[rule.name] ?? null, crmoffice: state.crmoffice.values[rule.name] ?? null };
    const changed = (side: Side) => (agreed ? value[side] !== (agreed[side][rule.name] ?? null) : value[side] !== null);
    const agrees = (from: Side) => crossValue(rule, otherSide(from), value[from]) === value[otherSide(from)];
    const changedSides = (["exactonline", "crmoffice"] as const).filter(changed);
    if (changedSides.length === 0 || agrees("exactonline") || agrees("crmoffice")) continue;

    let winner: Side;
    if (changedSides.length === 2) {
      const decision = conflictWinner(rule, state, source);
      winner = decision.winner;
      result.conflicts.push({ field: rule.name, values: value, ...decision });
    } else {
      winner = changedSides[0] as Side;
    }
    if (mayCross(flow, rule, winner)) {
      write(otherSide(winner), rule.name, crossValue(rule, otherSide(winner), value[winner]));
    } else {
      result.kept.push({ field: rule.name, side: winner, reason: `${flow.title} does not write ${rule.name} to ${otherSide(winner)}` });
    }
  }
  return result;
}
