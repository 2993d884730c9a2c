import { stringOption, type Command } from "#lib/cli/command";
import { parseRecordRef } from "#lib/cli/commands/history";
import { CliError, UsageError } from "#lib/cli/errors";
import { FLOWS, flowNamed } from "#lib/flows/index";
import { LinkRefusedError, linkToCandidate, retryRecord } from "#lib/ops/resolve";
import { syncContext } from "#lib/sync/context";

const RECORD = "<exactonline|crmoffice> <type> <id>";

export const retryCommand: Command = {
  name: "retry",
  summary: "look at one record again now: a change event for it through the normal queue",
  synopsis: `${RECORD} [--json]`,
  details: [
    "Puts a change event for the record on the events queue (source operator), as a webhook would: the worker",
    "reads the record's current state and decides again, e.g. after an edit made an unsyncable record valid.",
  ],
  optionHelp: [["--json", "one line: the change event put on the queue"]],
  options: { json: { type: "boolean" } },
  positionals: { min: 3, max: 3, names: RECORD },
  async run({ values, positionals, environment }, io) {
    const record = parseRecordRef(positionals);
    const { queueUrl } = await environment();
    const event = await retryRecord(queueUrl, record);
    if (values.json === true) io.out(JSON.stringify(event));
    else io.out(`queued ${record.side} ${record.type} ${record.id} for the worker (event ${event.eventId})`);
    return 0;
  },
};

export const linkCommand: Command = {
  name: "link",
  summary: "settle an ambiguous match: link an unsyncable record to the candidate you choose",
  synopsis: `${RECORD} --flow NAME --to ID [--json]`,
  details: [
    "The candidate must be one of the unlinked records that match the record by the flow's merge criterion (as",
    "`syncctl unsyncable` lists them). The link is made with the same conditional writes as any link, the choice",
    "is logged as the operator's decision about both records, and the worker then merges the two as a new link.",
  ],
  optionHelp: [
    ["--flow NAME", `the flow (${FLOWS.map((flow) => flow.name).join(", ")})`],
    ["--to ID", "the id of the chosen candidate in the other system"],
    ["--json", "one line: a JSON object { link, partner, decisions, event }"],
  ],
  options: { flow: { type: "string" }, to: { type: "string" }, json: { type: "boolean" } },
  positionals: { min: 3, max: 3, names: RECORD },
  async run({ values, positionals, environment }, io) {
    const record = parseRecordRef(positionals);
    const flow = stringOption(values, "flow");
    const candidateId = stringOption(values, "to");
    if (flow === undefined) throw new UsageError("link needs --flow NAME");
    if (!flowNamed(flow)) throw new UsageError(`unknown flow "${flow}" (flows: ${FLOWS.map((known) => known.name).join(", ")})`);
    if (!candidateId) throw new UsageError("link needs --to ID (the chosen candidate)");
    const { queueUrl } = await environment();
    try {
      const result = await linkToCandidate({ ...(await syncContext()), queueUrl }, { flow, record, candidateId });
      if (values.json === true) io.out(JSON.stringify(result));
      else
        io.out(
          `linked ${record.side} ${record.type} ${record.id} to ${result.partner.side} ${result.partner.type} ${result.partner.id} in ${flow}; the worker merges them next`,
        );
      return 0;
    } catch (error) {
      if (error instanceof LinkRefusedError) throw new CliError(error.message);
      throw error;
    }
  },
};
