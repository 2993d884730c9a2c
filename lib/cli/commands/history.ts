import { documentClient } from "#lib/aws/dynamodb";
import type { Command } from "#lib/cli/command";
import { UsageError } from "#lib/cli/errors";
import { table } from "#lib/cli/format";
import { RECORD_TYPES } from "#lib/events/change-event";
import { SIDES, type Side } from "#lib/flows/definition";
import { SyncLog, type LoggedDecision } from "#lib/links/sync-log";
import type { RecordRef } from "#lib/links/store";

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
const READ_ONLY_RETENTION_DAYS = 30;

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

export const historyCommand: Command = {
  name: "history",
  summary: "every sync decision about one record, oldest first",
  synopsis: "<exactonline|crmoffice> <type> <id> [--json]",
  details: [
    `Types: exactonline ${RECORD_TYPES.exactonline.join("|")}; crmoffice ${RECORD_TYPES.crmoffice.join("|")}.`,
    "One line per decision: time, flow, kind, partner, fields written, conflicts with both sides' values, reason.",
    "The sync log keeps decisions for the retention period (30 days by default).",
  ],
  optionHelp: [["--json", "one line: a JSON object { record, decisions }"]],
  options: { json: { type: "boolean" } },
  positionals: { min: 3, max: 3, names: "<exactonline|crmoffice> <type> <id>" },
  async run({ values, positionals, environment }, io) {
    const record = parseRecordRef(positionals);
    const { tableName } = await environment();
    const decisions = await new SyncLog(documentClient(), tableName, READ_ONLY_RETENTION_DAYS).history(record);
    if (values.json === true) {
      io.out(JSON.stringify({ record, decisions }));
      return 0;
    }
    const subject = `${record.side} ${record.type} ${record.id}`;
    if (decisions.length === 0) {
      io.out(`no decisions recorded about ${subject}`);
      return 0;
    }
    io.out(`${decisions.length} decision${decisions.length === 1 ? "" : "s"} about ${subject}, oldest first`);
    io.out(
      table([["time", "flow", "kind", "partner", "fields written", "conflicts", "reason"], ...decisions.map(decisionCells)]).join("\n"),
    );
    return 0;
  },
};
