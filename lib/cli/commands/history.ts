import { documentClient } from "#lib/aws/dynamodb";
import { stringOption, type Command, type OptionValues } from "#lib/cli/command";
import { UsageError } from "#lib/cli/errors";
import { table } from "#lib/cli/format";
import { RECORD_TYPES } from "#lib/events/change-event";
import { SIDES, type Side } from "#lib/flows/definition";
import { SyncLog, type LoggedDecision } from "#lib/links/sync-log";
import type { RecordRef } from "#lib/links/store";
import { findRecords, SEARCH_FIELDS, type SearchField } from "#lib/ops/find";
import { syncContext } from "#lib/sync/context";

/** The record named on the command line, checked against the systems' record types. */
export function parseRecordRef([system, type, id]: string[]): RecordRef {
  if (!SIDES.includes(system as Side)) throw new UsageError(`unknown system "${system}" (exactonline or crmoffice)`);
  const side = system as Side;
  const types: readonly string[] = RECORD_TYPES[side];
  if (!type || !types.includes(type)) throw new UsageError(`unknown ${side} record type "${type ?? ""}" (${types.join(", ")})`);
  if (!id) throw new UsageError("missing the record id");
  return { side, type, id };
}

/** SyncLog wants a retention for what it writes; reading ignores it. */
export const READ_ONLY_RETENTION_DAYS = 30;

const value = (v: unknown) => (v === undefined ? "-" : JSON.stringify(v));

/** One line's cells: time, flow, kind, partner, fields written, conflicts (with both values), reason. */
export function decisionCells(decision: LoggedDecision): string[] {
  const partner = decision.partner ? `${decision.partner.side} ${decision.partner.type} ${decision.partner.id}` : "-";
  const fields =
    Object.entries(decision.fields ?? {})
      .filter(([, names]) => names && names.length > 0)
      .map(([side, names]) => `${side}: ${(names ?? []).join(", ")}`)
      .join("; ") || "-";
  const conflicts =
    (decision.conflicts ?? [])
      .map((conflict) => {
        const values = Object.entries(conflict.values)
          .map(([side, v]) => `${side} ${value(v)}`)
          .join(" vs ");
        return `${conflict.field}: ${values} → ${conflict.winner} (${conflict.reason})`;
      })
      .join("; ") || "-";
  return [decision.at, decision.flow, decision.kind, partner, fields, conflicts, decision.reason || "-"];
}

/** The readable history of one record: a heading, then one line per decision. */
export function formatHistory(record: RecordRef, decisions: readonly LoggedDecision[]): string[] {
  const subject = `${record.side} ${record.type} ${record.id}`;
  if (decisions.length === 0) return [`no decisions recorded about ${subject}`];
  return [
    `${decisions.length} decision${decisions.length === 1 ? "" : "s"} about ${subject}, oldest first`,
    ...table([["time", "flow", "kind", "partner", "fields written", "conflicts", "reason"], ...decisions.map(decisionCells)]),
  ];
}

export const historyCommand: Command = {
  name: "history",
  summary: "every sync decision about one record, oldest first",
  synopsis: "<exactonline|crmoffice> <type> <id> | --email ADDRESS | --code CODE [--json]",
  details: [
    `Types: exactonline ${RECORD_TYPES.exactonline.join("|")}; crmoffice ${RECORD_TYPES.crmoffice.join("|")}.`,
    "One line per decision: time, flow, kind, partner, fields written, conflicts with both sides' values, reason.",
    "--email or --code finds the records in both systems first (contacts and employees by email, items and",
    "companies by Code = orgNr) and shows the history of each.",
    "The sync log keeps decisions for the retention period (30 days by default).",
  ],
  optionHelp: [
    ["--email ADDRESS", "the records with this email address, in both systems"],
    ["--code CODE", "the items and companies with this Code (orgNr)"],
    ["--json", "one line: a JSON object { record, decisions } (with --email or --code: { records: [{ record, decisions }] })"],
  ],
  options: { email: { type: "string" }, code: { type: "string" }, json: { type: "boolean" } },
  positionals: { min: 0, max: 3, names: "<exactonline|crmoffice> <type> <id>" },
  async run({ values, positionals, environment }, io) {
    const search = searchOption(values, positionals);
    if (!search && positionals.length < 3)
      throw new UsageError("history needs <exactonline|crmoffice> <type> <id>, --email ADDRESS or --code CODE");
    const record = search ? undefined : parseRecordRef(positionals);
    const { tableName } = await environment();
    const log = new SyncLog(documentClient(), tableName, READ_ONLY_RETENTION_DAYS);
    if (search) {
      const records = await findRecords((await syncContext()).connectors, search.field, search.value);
      const histories = await Promise.all(records.map(async (record) => ({ record, decisions: await log.history(record) })));
      if (values.json === true) io.out(JSON.stringify({ records: histories }));
      else if (histories.length === 0) io.out(`no record in either system has this ${search.field}`);
      else
        io.out(
          histories.flatMap(({ record, decisions }, index) => [...(index ? [""] : []), ...formatHistory(record, decisions)]).join("\n"),
        );
      return 0;
    }
    if (!record) return 0;
    const decisions = await log.history(record);
    if (values.json === true) io.out(JSON.stringify({ record, decisions }));
    else io.out(formatHistory(record, decisions).join("\n"));
    return 0;
  },
};

function searchOption(values: OptionValues, positionals: string[]): { field: SearchField; value: string } | undefined {
  const given = SEARCH_FIELDS.flatMap((field) => {
    const value = stringOption(values, field);
    return value === undefined ? [] : [{ field, value }];
  });
  if (given.length === 0) return undefined;
  if (given.length > 1 || positionals.length > 0) throw new UsageError("history takes a record, --email or --code: one of them");
  const [search] = given as [{ field: SearchField; value: string }];
  if (search.value.trim() === "") throw new UsageError(`--${search.field} needs a value`);
  return search;
}
