import { stringOption, type Command } from "#lib/cli/command";
import { UsageError } from "#lib/cli/errors";
import { count, table } from "#lib/cli/format";
import { FLOWS, flowNamed } from "#lib/flows/index";
import { listUnsyncable, type UnsyncableRecord } from "#lib/ops/unsyncable";
import { syncContext } from "#lib/sync/context";

const value = (values: Record<string, unknown> | null | undefined, name: string) =>
  values === undefined ? "?" : values === null ? "(gone)" : JSON.stringify(values[name] ?? null);
const refText = (ref: { side: string; type: string; id: string }) => `${ref.side} ${ref.type} ${ref.id}`;

/** One block per record: the reason, a table of its values beside its partner's or candidates', what to type next. */
export function formatUnsyncable(records: readonly UnsyncableRecord[]): string[] {
  if (records.length === 0) return ["no unsyncable records"];
  const lines = [`${count(records.length)} unsyncable record${records.length === 1 ? "" : "s"}, oldest first`];
  for (const entry of records) {
    const subject = refText(entry.record);
    lines.push("", `${entry.flow}  ${subject}  (since ${entry.at})`, `  reason: ${entry.reason}`);
    if (entry.readError) lines.push(`  values: not read (${entry.readError})`);
    else {
      const others = entry.partner ? [{ label: `partner ${refText(entry.partner.record)}`, ...entry.partner }] : [];
      entry.candidates.forEach((candidate, index) =>
        others.push({ label: `candidate ${index + 1}: ${refText(candidate.record)}`, ...candidate }),
      );
      lines.push(
        ...table([
          ["  field", `this record (${entry.record.side})`, ...others.map((other) => other.label)],
          ...entry.rows.map((row) => [
            `  ${row.name}`,
            value(entry.values, row.name),
            ...others.map((other) => value(other.values, row.name)),
          ]),
        ]),
      );
    }
    for (const candidate of entry.candidates)
      lines.push(
        `  link:  syncctl link ${entry.record.side} ${entry.record.type} ${entry.record.id} --flow ${entry.flow} --to ${candidate.record.id}`,
      );
    lines.push(`  retry: syncctl retry ${entry.record.side} ${entry.record.type} ${entry.record.id}`);
  }
  return lines;
}

export const unsyncableCommand: Command = {
  name: "unsyncable",
  summary: "records that cannot sync: the reason, both sides' values, the candidates of an ambiguous match",
  synopsis: "[--flow NAME] [--json]",
  details: [
    "Each record recorded as unsyncable, oldest first: its flow, the reason, and its current values beside those",
    "of its partner or, for an ambiguous match, of every candidate (read from both systems now; this shows field",
    "values, as history does). Then `syncctl link` picks a candidate, `syncctl retry` looks at the record again.",
  ],
  optionHelp: [
    ["--flow NAME", `only this flow (${FLOWS.map((flow) => flow.name).join(", ")})`],
    ["--json", "one line: a JSON object { records }"],
  ],
  options: { flow: { type: "string" }, json: { type: "boolean" } },
  positionals: { min: 0, max: 0 },
  async run({ values, environment }, io) {
    const flow = stringOption(values, "flow");
    if (flow !== undefined && !flowNamed(flow))
      throw new UsageError(`unknown flow "${flow}" (flows: ${FLOWS.map((known) => known.name).join(", ")})`);
    await environment();
    const records = await listUnsyncable(await syncContext(), { flow });
    if (values.json === true) io.out(JSON.stringify({ records }));
    else io.out(formatUnsyncable(records).join("\n"));
    return 0;
  },
};
