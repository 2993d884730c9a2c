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

export interface FlowSide {
  type: string;
  /** The record type's name in that system, as the dataflow document writes it. */
  label: string;
  /** False where the API cannot write this type (Exact Employees). */
  writable: boolean;
  /**
   * Sets of fields that must hold a value before a record of this type can be created here:
   * every group needs at least one non-empty field.
   */
  requiredToCreate: string[][];
  /** Fields a created record gets from configuration, e.g. Exact's default Account. */
  createDefaults?: Record<string, "EXACT_DEFAULT_ACCOUNT_ID">;
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
