import { recordTypeFacts, type RecordTypeFacts } from "#lib/connectors/systems";
import type { FieldValue } from "#lib/connectors/types";
import type { RecordSystem } from "#lib/events/change-event";

export type Side = RecordSystem;
export const SIDES: readonly Side[] = ["exactonline", "crmoffice"];
export const otherSide = (side: Side): Side => (side === "exactonline" ? "crmoffice" : "exactonline");

/** Shapes a value on its way to one side, e.g. Exact's 60-character Item Description. */
export interface WriteTransform {
  maxLength?: number;
}

/** One row of a flow's property table: a pair of field paths and how values cross. */
export interface FieldRule {
  /** Stable name of the row: the key of agreed values in the link store. */
  name: string;
  exactonline: string;
  crmoffice: string;
  crmofficeType: "string";
  /** Which edits cross: `both`, or only towards one side. */
  direction: "both" | "toCrmoffice" | "toExactonline";
  /** A side whose value always wins a conflict on this field. */
  owner?: Side;
  transform?: Partial<Record<Side, WriteTransform>>;
  /** Where the row comes from (the property table's firmness column). */
  basis: string;
}

/**
 * One side of a flow: a record type of that system. Its name, whether the API can write it
 * (Exact Employees: no) and the groups of fields a create needs (each group at least one
 * non-empty field) come from the system's declaration (lib/connectors/systems.ts).
 */
export interface FlowSide extends RecordTypeFacts {
  type: string;
  /** Fields a created record gets from configuration, e.g. Exact's default Account. */
  createDefaults?: Record<string, "EXACT_DEFAULT_ACCOUNT_ID">;
}

/** A flow's side: the system's record type as it declares it, plus what the flow adds. */
export function flowSide(system: Side, type: string, extras: Pick<FlowSide, "createDefaults"> = {}): FlowSide {
  return { type, ...recordTypeFacts(system, type), ...extras };
}

export interface FlowDefinition {
  name: string;
  title: string;
  exactonline: FlowSide;
  crmoffice: FlowSide;
  fields: FieldRule[];
  /** First-sight matching: the row whose values must be equal on both sides. */
  matchBy: { field: string; caseInsensitive: boolean };
  /** Sides on which this flow creates records it has not seen there yet. */
  createOn: Side[];
  deletePolicy: "unlink" | "propagate";
  conflictPolicy: "latest-modified-wins";
}

export type SideValues = Record<string, FieldValue>;
export type AgreedValues = Record<Side, SideValues>;
