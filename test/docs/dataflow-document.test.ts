import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { generatedFrom, renderDataflowDocument } from "#lib/docs/dataflow-document";
import type { FlowDefinition, Side } from "#lib/flows/definition";
import { FLOWS } from "#lib/flows/index";

const DOC_PATH = fileURLToPath(new URL("../../docs/dataflows.rst", import.meta.url));
const SYSTEM: Record<Side, string> = { exactonline: "ExactOnline", crmoffice: "CRMOffice" };

interface Section {
  title: string;
  body: string[];
}

interface Table {
  header: string[];
  rows: string[][];
}

/** Sections underlined with `-`, as the origin document writes them. */
function sections(text: string): Section[] {
  const lines = text.split("\n");
  const found: Section[] = [];
  lines.forEach((line, index) => {
    const underline = lines[index + 1];
    if (line.trim() !== "" && underline !== undefined && /^-+$/.test(underline) && [...underline].length === [...line].length) {
      found.push({ title: line, body: [] });
    } else if (found.length > 0 && !/^-+$/.test(line)) {
      found.at(-1)?.body.push(line);
    }
  });
  return found;
}

const unescape = (cell: string): string => cell.replace(/\\(.)/g, "$1");

/** Every `.. list-table::` in `lines`, rows as cells; throws on lines a list-table cannot hold. */
function listTables(lines: string[]): Table[] {
  const tables: Table[] = [];
  for (let index = 0; index < lines.length; index++) {
    if (lines[index] !== ".. list-table::") continue;
    let cursor = index + 1;
    while (lines[cursor]?.startsWith("   :")) cursor++;
    expect(lines[cursor], "a blank line between the options and the rows").toBe("");
    cursor++;
    const rows: string[][] = [];
    for (; cursor < lines.length && lines[cursor] !== ""; cursor++) {
      const line = lines[cursor] ?? "";
      const start = /^ {3}\* - (.*)$/.exec(line);
      const next = /^ {5}- (.*)$/.exec(line);
      if (start) rows.push([unescape(start[1] ?? "")]);
      else if (next && rows.length > 0) rows.at(-1)?.push(unescape(next[1] ?? ""));
      else throw new Error(`not a list-table row: ${JSON.stringify(line)}`);
    }
    const [header, ...body] = rows;
    tables.push({ header: header ?? [], rows: body });
    index = cursor;
  }
  return tables;
}

/** The directions a flow is expected to be documented in, from its definition alone. */
function expectedDirections(flow: FlowDefinition): Array<[Side, Side]> {
  const writes = (to: Side) =>
    flow[to].writable &&
    flow.fields.some((rule) => rule.direction === "both" || rule.direction === (to === "crmoffice" ? "toCrmoffice" : "toExactonline"));
  const directions: Array<[Side, Side]> = [];
  if (writes("crmoffice")) directions.push(["exactonline", "crmoffice"]);
  if (writes("exactonline")) directions.push(["crmoffice", "exactonline"]);
  return directions;
}

const typeName = (flow: FlowDefinition, side: Side) => `${SYSTEM[side]} ${flow[side].label}`;

function checkDocument(text: string, flows: readonly FlowDefinition[]): void {
  const found = sections(text);
  for (const flow of flows) {
    const directions = expectedDirections(flow);
    expect(directions.length, `${flow.name} crosses in some direction`).toBeGreaterThan(0);
    for (const [from, to] of directions) {
      const title = `${typeName(flow, from)} to ${typeName(flow, to)}`;
      const section = found.find((candidate) => candidate.title === title);
      expect(section, `a section "${title}"`).toBeDefined();
      const [table, ...more] = listTables(section?.body ?? []);
      expect(more, `one table in "${title}"`).toEqual([]);
      expect(table?.header).toEqual([`${typeName(flow, from)} Property`, `${typeName(flow, to)} Property`, "CRMOffice Data Type", "Notes"]);
      for (const rule of flow.fields) {
        const row = table?.rows.find((cells) => cells[0] === rule[from] && cells[1] === rule[to]);
        expect(row, `${flow.name} row ${rule.name} in "${title}"`).toBeDefined();
        expect(row?.[2]).toBe(rule.crmofficeType);
        expect(row?.[3]).toContain(rule.basis);
      }
    }
    const documented = new Set(directions.map(([from, to]) => `${typeName(flow, from)} to ${typeName(flow, to)}`));
    const reverse = `${typeName(flow, "crmoffice")} to ${typeName(flow, "exactonline")}`;
    if (!documented.has(reverse)) expect(found.map((section) => section.title)).not.toContain(reverse);
    expect(found.map((section) => section.title)).toContain(`Rules: ${flow.title}`);
  }
}

describe("docs/dataflows.rst", () => {
  const rendered = renderDataflowDocument(FLOWS, { generated: generatedFrom(FLOWS) });

  it("is what the flow definitions render (run `npm run docs` after changing lib/flows)", () => {
    const onDisk = readFileSync(DOC_PATH, "utf8");
    if (onDisk !== rendered) {
      expect.fail("docs/dataflows.rst is out of date with lib/flows: run `npm run docs` and commit the result");
    }
  });

  it("renders byte-identically every time, with no clock in it", () => {
    expect(renderDataflowDocument(FLOWS, { generated: generatedFrom(FLOWS) })).toBe(rendered);
    const generated = rendered.split("\n").find((line) => line.startsWith("Generated: "));
    expect(generated).toBeDefined();
    expect(generated).not.toMatch(/\d{4}-\d{2}-\d{2}|\d{2}:\d{2}/);
  });

  it("keeps the origin's title block and introduction", () => {
    expect(
      rendered.startsWith(
        "=================================\nExactOnline to CRMOffice Dataflow\n=================================\n\nGenerated: ",
      ),
    ).toBe(true);
    const intro = sections(rendered).find((section) => section.title === "Introduction");
    const paragraph = intro?.body.join(" ") ?? "";
    expect(paragraph).toContain(
      "This technical document provides a detailed overview of the Sesam Talk data flow from ExactOnline to CRMOffice.",
    );
    expect(paragraph).toContain("lib/flows/");
    expect(paragraph).toContain("sharing or distributing it without written permission is prohibited.");
  });

  it("has a section per flow and direction, with every field row of the definition in its table", () => {
    checkDocument(rendered, FLOWS);
  });

  it("documents the three flows of dataflows.md in their directions", () => {
    const titles = sections(rendered).map((section) => section.title);
    expect(titles).toEqual([
      "Introduction",
      "ExactOnline Employees to CRMOffice Contacts",
      "Rules: ExactOnline Employees → CRMOffice Contacts",
      "ExactOnline Items to CRMOffice Companies",
      "CRMOffice Companies to ExactOnline Items",
      "Rules: ExactOnline Items ⇄ CRMOffice Companies",
      "ExactOnline Contacts to CRMOffice Contacts",
      "CRMOffice Contacts to ExactOnline Contacts",
      "Rules: ExactOnline Contacts ⇄ CRMOffice Contacts",
    ]);
    const employees = sections(rendered).find((section) => section.title === "ExactOnline Employees to CRMOffice Contacts");
    expect(employees?.body.join(" ")).toContain("are not written back to ExactOnline, because the ExactOnline API cannot write Employees");
  });

  it("has the link key row, the 60-character limit, the merge criterion and the default Account", () => {
    const all = sections(rendered);
    const table = (title: string) => listTables(all.find((section) => section.title === title)?.body ?? [])[0];
    expect(table("ExactOnline Items to CRMOffice Companies")?.rows).toContainEqual([
      "ID (Guid)",
      "id",
      "string",
      expect.stringContaining("Link key"),
    ]);
    expect(table("CRMOffice Companies to ExactOnline Items")?.rows).toContainEqual([
      "id",
      "ID (Guid)",
      "string",
      expect.stringContaining("Link key"),
    ]);
    const description = table("CRMOffice Companies to ExactOnline Items")?.rows.find((row) => row[1] === "Description");
    expect(description?.[3]).toContain("At most 60 characters when written to ExactOnline");
    const code = table("ExactOnline Items to CRMOffice Companies")?.rows.find((row) => row[0] === "Code");
    expect(code?.[3]).toContain("Merge criterion");
    const account = table("CRMOffice Contacts to ExactOnline Contacts")?.rows.find((row) => row[1] === "Account");
    expect(account?.[0]).toBe("—");
    expect(account?.[3]).toContain("EXACT_DEFAULT_ACCOUNT_ID");
    const owner = table("ExactOnline Employees to CRMOffice Contacts")?.rows.find((row) => row[0] === "FirstName");
    expect(owner?.[3]).toContain("Owner: ExactOnline");
    const rules = all.find((section) => section.title === "Rules: ExactOnline Contacts ⇄ CRMOffice Contacts")?.body.join("\n") ?? "";
    expect(rules).toContain("Email = email (case-insensitive)");
    expect(rules).toContain("Account from the setting EXACT_DEFAULT_ACCOUNT_ID");
    expect(rules).toContain("Deletes (policy unlink)");
    expect(rules).toContain("Conflicts (policy latest-modified-wins)");
  });

  it("has only list-tables whose rows all have as many cells as the header", () => {
    const tables = listTables(rendered.split("\n"));
    expect(tables.length).toBe(FLOWS.reduce((count, flow) => count + expectedDirections(flow).length, 0));
    for (const table of tables) {
      expect(table.header.length).toBe(4);
      for (const row of table.rows) expect(row.length, JSON.stringify(row)).toBe(table.header.length);
      for (const row of table.rows) for (const cell of row) expect(cell.trim()).not.toBe("");
    }
  });

  it("renders any definition, escaping inline markup and documenting rows that cross one way only", () => {
    const odd: FlowDefinition = {
      name: "odd",
      title: "ExactOnline Things ⇄ CRMOffice Stuff",
      exactonline: { type: "thing", label: "Things", writable: true, requiredToCreate: [["Code_"]] },
      crmoffice: { type: "stuff", label: "Stuff", writable: true, requiredToCreate: [] },
      fields: [
        { name: "code", exactonline: "Code_", crmoffice: "*code*", crmofficeType: "string", direction: "both", basis: "a `test` | basis" },
        { name: "note", exactonline: "Note", crmoffice: "- note", crmofficeType: "string", direction: "toExactonline", basis: "test" },
      ],
      matchBy: { field: "code", caseInsensitive: false },
      createOn: ["exactonline"],
      deletePolicy: "propagate",
      conflictPolicy: "latest-modified-wins",
    };
    const text = renderDataflowDocument([odd], { generated: "test" });
    checkDocument(text, [odd]);
    expect(text).toContain("Code\\_");
    expect(text).toContain("\\*code\\*");
    expect(text).toContain("Deletes (policy propagate)");
    const table = listTables(sections(text).find((section) => section.title === "ExactOnline Things to CRMOffice Stuff")?.body ?? [])[0];
    expect(table?.rows.find((row) => row[0] === "Note")?.[3]).toContain("Not written in this direction");
  });
});
