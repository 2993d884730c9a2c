/**
 * `docs/dataflows.rst`: the dataflow document (the origin document's format, tables filled)
 * rendered from the flow definitions in `lib/flows/`. Pure: the same definitions and the same
 * `generated` text always give the same bytes. Nothing here is about one flow in particular;
 * what is about one system (its name in prose, the field that holds its record id) is in
 * `SYSTEMS`.
 */
import { otherSide, SIDES, type FieldRule, type FlowDefinition, type Side } from "#lib/flows/definition";

export interface RenderOptions {
  /** The text after "Generated:"; keep it free of wall-clock time so the file is stable. */
  generated: string;
}

/** One section of the document: a flow seen in one direction. */
export interface FlowDirection {
  flow: FlowDefinition;
  from: Side;
  to: Side;
}

interface SystemFacts {
  /** The system's name as the dataflow document writes it. */
  name: string;
  /** The field that holds a record's id: the link key, as the document writes it. */
  key: string;
}

/** What is true of every record of a system, whatever the flow (see the connectors' mappers). */
export const SYSTEMS: Record<Side, SystemFacts> = {
  exactonline: { name: "ExactOnline", key: "ID (Guid)" },
  crmoffice: { name: "CRMOffice", key: "id" },
};

/** The `Generated:` text for a set of definitions: no clock, so regeneration is byte-identical. */
export function generatedFrom(flows: readonly FlowDefinition[]): string {
  return `from the flow definitions in lib/flows (${flows.map((flow) => flow.name).join(", ")})`;
}

/** An empty cell. */
export const NONE = "—";

export const TABLE_HEADER_TYPE = "CRMOffice Data Type";
export const TABLE_HEADER_NOTES = "Notes";

// ---------------------------------------------------------------------------------------------
// Facts derived from a definition (the engine's rules, applied to the flow's data).

/** Whether the engine writes this row's value from `from` to the other side (see merge.ts). */
export function crosses(flow: FlowDefinition, rule: FieldRule, from: Side): boolean {
  const to = otherSide(from);
  if (!flow[to].writable) return false;
  return rule.direction === "both" || rule.direction === (to === "crmoffice" ? "toCrmoffice" : "toExactonline");
}

/** The directions in which at least one row crosses, Exact → CRMOffice first; at least one. */
export function directionsOf(flow: FlowDefinition): FlowDirection[] {
  const directions = SIDES.filter((from) => flow.fields.some((rule) => crosses(flow, rule, from))).map((from) => ({
    flow,
    from,
    to: otherSide(from),
  }));
  return directions.length > 0 ? directions : [{ flow, from: "exactonline", to: "crmoffice" }];
}

/** Fields a side's creation needs or sets that no row of the flow maps: documented, not synced. */
export function unmappedFields(flow: FlowDefinition, side: Side): string[] {
  const mapped = new Set(flow.fields.map((rule) => rule[side]));
  const named = [...flow[side].requiredToCreate.flat(), ...Object.keys(flow[side].createDefaults ?? {})];
  return [...new Set(named)].filter((field) => !mapped.has(field));
}

// ---------------------------------------------------------------------------------------------
// Wording.

const system = (side: Side): string => SYSTEMS[side].name;
/** "ExactOnline Items": a record type as the origin document names it. */
export const typeName = (flow: FlowDefinition, side: Side): string => `${system(side)} ${flow[side].label}`;
const article = (word: string): string => (/^[aeiou]/i.test(word) ? "an" : "a");
/** "an ExactOnline Items record". */
const aRecord = (flow: FlowDefinition, side: Side): string => `${article(system(side))} ${typeName(flow, side)} record`;

export function sectionTitle(direction: FlowDirection): string {
  return `${typeName(direction.flow, direction.from)} to ${typeName(direction.flow, direction.to)}`;
}

export function rulesTitle(flow: FlowDefinition): string {
  return `Rules: ${flow.title}`;
}

const orList = (items: readonly string[]): string => joinList(items, "or");
const andList = (items: readonly string[]): string => joinList(items, "and");
function joinList(items: readonly string[], word: string): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} ${word} ${items.at(-1)}`;
}

/** "Code and Description", "givenName or familyName", "Account and (FirstName or LastName)". */
function requiredWording(groups: readonly (readonly string[])[]): string {
  if (groups.length === 1) return orList(groups[0] ?? []);
  return andList(groups.map((group) => (group.length > 1 ? `(${orList(group)})` : orList(group))));
}

const isTwoWay = (flow: FlowDefinition): boolean => directionsOf(flow).length > 1;

/** Why nothing is written to `notWritten` in a one-way flow. */
function whyNotWrittenBack(flow: FlowDefinition, notWritten: Side): string {
  if (!flow[notWritten].writable) return `the ${system(notWritten)} API cannot write ${flow[notWritten].label}`;
  return `no property of this flow is written to ${system(notWritten)}`;
}

function fieldRule(flow: FlowDefinition, name: string): FieldRule | undefined {
  return flow.fields.find((rule) => rule.name === name);
}

function matchWording(flow: FlowDefinition): string {
  const rule = fieldRule(flow, flow.matchBy.field);
  const pair = rule ? `${rule.exactonline} = ${rule.crmoffice}` : flow.matchBy.field;
  return `${pair} (${flow.matchBy.caseInsensitive ? "case-insensitive" : "exact, case-sensitive"})`;
}

/** Other flows that use the same record type on the same side. */
function sharingFlows(flows: readonly FlowDefinition[], flow: FlowDefinition, side: Side): FlowDefinition[] {
  return flows.filter((other) => other !== flow && other[side].type === flow[side].type);
}

// ---------------------------------------------------------------------------------------------
// reStructuredText.

/** Text safe inside a paragraph or table cell: inline markup characters are escaped. */
export function escapeRst(text: string): string {
  const escaped = text.replace(/([\\*`|])/g, "\\$1").replace(/_(?=\W|$)/g, "\\_");
  // A cell must not start like a list item, an enumerator or a comment.
  return /^([-+*•]\s|\.\.|#\.|\d+[.)]\s|\(\d+\)\s)/.test(escaped) ? `\\${escaped}` : escaped;
}

const width = (text: string): number => [...text].length;

function heading(title: string, underline: string, overline = false): string[] {
  const rule = underline.repeat(width(title));
  return overline ? [rule, title, rule] : [title, rule];
}

export function listTable(header: string[], rows: string[][]): string[] {
  const lines = [".. list-table::", "   :header-rows: 1", ""];
  for (const row of [header, ...rows]) {
    row.forEach((cell, index) => lines.push(`${index === 0 ? "   * - " : "     - "}${escapeRst(cell)}`));
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// The parts of the document.

/** The notes on one mapped row, as seen in one direction. */
function rowNotes(direction: FlowDirection, rule: FieldRule): string {
  const { flow, from, to } = direction;
  const notes: string[] = [];
  const forward = crosses(flow, rule, from);
  const backward = crosses(flow, rule, to);
  if (forward && backward) notes.push("Both directions.");
  else if (forward) notes.push(`${system(from)} to ${system(to)} only: ${system(to)} edits are not written to ${system(from)}.`);
  else if (backward) notes.push(`Not written in this direction: ${system(to)} to ${system(from)} only.`);
  else notes.push("Not written in either direction.");
  if (rule.owner) notes.push(`Owner: ${system(rule.owner)} (its value wins every conflict).`);
  for (const side of SIDES) {
    const maxLength = rule.transform?.[side]?.maxLength;
    if (maxLength !== undefined) notes.push(`At most ${maxLength} characters when written to ${system(side)} (longer values are cut).`);
  }
  if (rule.name === flow.matchBy.field)
    notes.push(`Merge criterion (${flow.matchBy.caseInsensitive ? "case-insensitive" : "exact, case-sensitive"}).`);
  if (flow.createOn.includes(to)) {
    const group = flow[to].requiredToCreate.find((fields) => fields.includes(rule[to]));
    if (group) notes.push(`Required to create ${aRecord(flow, to)}${group.length > 1 ? ` (${orList(group)})` : ""}.`);
  }
  notes.push(`Firmness: ${rule.basis}.`);
  return notes.join(" ");
}

function unmappedNotes(direction: FlowDirection, side: Side, field: string): string {
  const { flow } = direction;
  const notes = [`Not mapped: never written to ${system(otherSide(side))}.`];
  const group = flow[side].requiredToCreate.find((fields) => fields.includes(field));
  const setting = flow[side].createDefaults?.[field];
  if (flow.createOn.includes(side)) {
    if (group) notes.push(`Required to create ${aRecord(flow, side)}${group.length > 1 ? ` (${orList(group)})` : ""}.`);
    if (setting) {
      notes.push(
        `${article(system(side)) === "an" ? "An" : "A"} ${typeName(flow, side)} record created by this flow gets it from the setting ${setting}.`,
      );
      if (group?.length === 1)
        notes.push("With none configured, such a record cannot be created: it is unsyncable (recorded with its reason, not retried).");
    }
  }
  return notes.join(" ");
}

/** The property table of one direction: every row of the flow, the link key, unmapped fields. */
export function tableRows(direction: FlowDirection): string[][] {
  const { flow, from, to } = direction;
  const rows = flow.fields.map((rule) => [rule[from], rule[to], rule.crmofficeType, rowNotes(direction, rule)]);
  rows.push([
    SYSTEMS[from].key,
    SYSTEMS[to].key,
    "string",
    "Link key: each side's record id, kept in the link store; never written to the other system.",
  ]);
  for (const field of unmappedFields(flow, from)) rows.push([field, NONE, NONE, unmappedNotes(direction, from, field)]);
  for (const field of unmappedFields(flow, to)) rows.push([NONE, field, NONE, unmappedNotes(direction, to, field)]);
  return rows;
}

export function tableHeader(direction: FlowDirection): string[] {
  return [
    `${typeName(direction.flow, direction.from)} Property`,
    `${typeName(direction.flow, direction.to)} Property`,
    TABLE_HEADER_TYPE,
    TABLE_HEADER_NOTES,
  ];
}

function directionSection(flows: readonly FlowDefinition[], direction: FlowDirection): string[] {
  const { flow, from, to } = direction;
  const source = typeName(flow, from);
  const target = typeName(flow, to);
  const twoWay = isTwoWay(flow);
  const paragraphs: string[] = [];

  if (flow.createOn.includes(to)) {
    let every = `Every ${source} will be synchronized with a ${target}.`;
    if (flow[to].requiredToCreate.length > 0) {
      every += ` A record that lacks what is needed to create ${aRecord(flow, to)} (${requiredWording(flow[to].requiredToCreate)}) is recorded as unsyncable instead; see the rules below.`;
    }
    paragraphs.push(every);
  } else {
    paragraphs.push(
      `A ${source} will be synchronized with a ${target} when the two match by the merge criterion; this flow does not create ${target} records.`,
    );
  }
  for (const other of sharingFlows(flows, flow, from)) {
    paragraphs.push(
      `${article(source) === "an" ? "An" : "A"} ${source} record linked in the flow ${other.title} stays in that flow and is not synchronized here.`,
    );
  }

  if (twoWay) {
    paragraphs.push(
      `Once a link between a ${source} and a ${target} is established, it will keep in sync between the two systems, regardless of where it is edited.`,
    );
  } else {
    paragraphs.push(
      `Once a link between a ${source} and a ${target} is established, edits made in ${system(from)} will keep it in sync in ${system(to)}. ` +
        `Edits made in ${system(to)} are not written back to ${system(from)}, because ${whyNotWrittenBack(flow, from)}: such an edit stays in ${system(to)} until the same property changes in ${system(from)}, and the sync log says why it was not written.`,
    );
  }
  paragraphs.push(
    twoWay
      ? `The following properties are synchronized between a ${source} and a ${target}:`
      : `The following properties are synchronized from a ${source} to a ${target}:`,
  );

  return [
    ...heading(sectionTitle(direction), "-"),
    ...paragraphs.flatMap((paragraph, index) => (index === 0 ? [escapeRst(paragraph)] : ["", escapeRst(paragraph)])),
    "",
    ...listTable(tableHeader(direction), tableRows(direction)),
  ];
}

/** The rules of one flow, as bullet items. */
export function flowRules(flows: readonly FlowDefinition[], flow: FlowDefinition): string[] {
  const rules: string[] = [];
  const directions = directionsOf(flow);

  rules.push(
    directions.length > 1
      ? `Directions: both. Each property says in the tables which way it crosses.`
      : `Directions: ${system(directions[0]?.from ?? "exactonline")} to ${system(directions[0]?.to ?? "crmoffice")} only.`,
  );
  for (const side of SIDES) {
    if (!flow[side].writable)
      rules.push(`${system(side)} ${flow[side].label} are never written: the ${system(side)} API cannot write them.`);
  }

  rules.push(
    `Merge criterion: an unlinked record is first matched against the other side by ${matchWording(flow)}. ` +
      `Exactly one unlinked match links the two. More than one unlinked match, or only matches that are already linked, creates nothing: ` +
      `the record is recorded as unsyncable for a person to resolve. No match creates the record on the other side where this flow creates records.`,
  );

  for (const side of SIDES) {
    const other = otherSide(side);
    if (!flow.createOn.includes(side)) {
      rules.push(
        `Never created in ${system(side)}: ${article(typeName(flow, other))} ${typeName(flow, other)} record without a link does not enter this flow.`,
      );
      continue;
    }
    const required = flow[side].requiredToCreate;
    rules.push(
      required.length > 0
        ? `Created in ${system(side)} when missing. To create ${aRecord(flow, side)}, ${requiredWording(required)} must have a value; otherwise the record is unsyncable (recorded with its reason, not retried until it is edited).`
        : `Created in ${system(side)} when missing; nothing is required to create ${aRecord(flow, side)}.`,
    );
    for (const [field, setting] of Object.entries(flow[side].createDefaults ?? {})) {
      rules.push(`Create default: ${aRecord(flow, side)} created by this flow gets ${field} from the setting ${setting}.`);
    }
  }

  const owned = flow.fields.filter((rule) => rule.owner);
  for (const side of SIDES) {
    const fields = owned.filter((rule) => rule.owner === side).map((rule) => rule[side]);
    if (fields.length > 0)
      rules.push(`Owner: ${system(side)} owns ${andList(fields)}; its value wins every conflict on ${fields.length > 1 ? "them" : "it"}.`);
  }

  if (flow.conflictPolicy === "latest-modified-wins") {
    rules.push(
      `Conflicts (policy latest-modified-wins): changes are merged property by property against the last agreed values. ` +
        `A property changed on both sides to different values is a conflict: ${owned.length === flow.fields.length ? "its owner wins" : "the side whose record was modified most recently wins (at equal times, the side whose change is being handled), unless the property has an owner"}. Every conflict is logged.`,
    );
  }

  for (const side of SIDES) {
    const kept = flow.fields.filter((rule) => !crosses(flow, rule, side)).map((rule) => rule[side]);
    if (kept.length > 0) {
      rules.push(
        `Edits made in ${system(side)} to ${andList(kept)} are not written to ${system(otherSide(side))}; they stay in ${system(side)} until the same property changes in ${system(otherSide(side))}.`,
      );
    }
  }

  rules.push(
    flow.deletePolicy === "unlink"
      ? `Deletes (policy unlink): when a linked record is deleted on one side, the link is closed and the other side's record is kept; the sync log says so.`
      : `Deletes (policy propagate): when a linked record is deleted on one side, the other side's record is deleted too where that system can write it, and the link is closed.`,
  );

  for (const side of SIDES) {
    for (const other of sharingFlows(flows, flow, side)) {
      rules.push(
        `${typeName(flow, side)} also take part in the flow ${other.title}. A record linked in one of these flows is not linked in the other: a match linked there makes the record unsyncable ("owned by flow ${other.name}").`,
      );
    }
  }
  return rules;
}

function rulesSection(flows: readonly FlowDefinition[], flow: FlowDefinition): string[] {
  return [...heading(rulesTitle(flow), "-"), ...flowRules(flows, flow).map((rule) => `- ${escapeRst(rule)}`)];
}

export function renderDataflowDocument(flows: readonly FlowDefinition[], options: RenderOptions): string {
  const from = system("exactonline");
  const to = system("crmoffice");
  const head: string[][] = [
    heading(`${from} to ${to} Dataflow`, "=", true),
    [`Generated: ${escapeRst(options.generated)}`],
    [
      ...heading("Introduction", "-"),
      "",
      `This technical document provides a detailed overview of the Sesam Talk data flow from ${from} to ${to}. ` +
        `It is generated from the flow definitions in \`\`lib/flows/\`\`: change a definition and regenerate it, do not edit it by hand. ` +
        `It serves as a QA checklist for testing purposes and is the intellectual property of Sesam.io AS. ` +
        `The content contains confidential information regulated under an NDA agreement, and sharing or distributing it without written permission is prohibited.`,
    ],
  ];
  const blocks = [
    ...head,
    ...flows.flatMap((flow) => [...directionsOf(flow).map((direction) => directionSection(flows, direction)), rulesSection(flows, flow)]),
  ];
  // As in the origin: one blank line between parts, two after a section that ends in a table.
  return `${blocks.map((block, index) => (index === 0 ? "" : blocks[index - 1]?.includes(".. list-table::") ? "\n\n\n" : "\n\n") + block.join("\n")).join("")}\n`;
}
