import { EXIT, stringOption, type Command } from "#lib/cli/command";
import { UsageError } from "#lib/cli/errors";
import { age, count, table } from "#lib/cli/format";
import { FLOWS, flowNamed } from "#lib/flows/index";
import { replayDeadLetters, type ReplaySummary } from "#lib/sync/replay";

/** Long enough for a large dead-letter queue; a killed run's held messages come back after it. */
const HOLD_SECONDS = 120;

export function formatReplay(summary: ReplaySummary): string[] {
  const lines: string[] = [];
  const scope = summary.flow ? ` of flow ${summary.flow}` : "";
  if (summary.events.length) {
    lines.push(
      ...table(
        [
          ["record", "flows", "receives", "age", "correlation id"],
          ...summary.events.map((event) => [
            `${event.system} ${event.recordType} ${event.recordId}`,
            event.flows.join(", "),
            String(event.receiveCount),
            age(event.ageSeconds),
            event.correlationId,
          ]),
        ],
        ["left", "left", "right", "right", "left"],
      ),
      "",
    );
  }
  const left = [
    summary.skipped ? `${count(summary.skipped)} of other flows` : "",
    summary.malformed ? `${count(summary.malformed)} malformed` : "",
  ].filter(Boolean);
  const verb = summary.dryRun ? `dry run: would move ${count(summary.events.length)}` : `moved ${count(summary.moved)}`;
  lines.push(
    `${verb} dead-lettered event${summary.events.length === 1 ? "" : "s"}${scope} back to the queue; examined ${count(summary.examined)}` +
      (left.length ? `; left in the dead-letter queue: ${left.join(", ")}` : ""),
  );
  for (const message of summary.malformedMessages) lines.push(`  malformed ${message.messageId}: ${message.reason}`);
  if (summary.dryRun && summary.events.length) lines.push("nothing was moved; run again without --dry-run to move them");
  return lines;
}

export const replayCommand: Command = {
  name: "replay",
  summary: "move dead-lettered change events back to the queue for processing",
  synopsis: "[--dry-run] [--flow NAME] [--limit N] [--message ID]… [--json]",
  details: [
    "Each chosen event goes back to the events queue as a new event (source replay, a fresh event id,",
    "the same correlation id); its dead letter is deleted only once the send succeeded. Events of other",
    "flows and malformed messages stay in the dead-letter queue. Replaying is safe: the worker reads the",
    "record's current state.",
  ],
  optionHelp: [
    ["--dry-run", "list what would move (record, flows, receive count, age); move nothing"],
    ["--flow NAME", `only events of this flow (${FLOWS.map((flow) => flow.name).join(", ")})`],
    ["--limit N", "move at most N events"],
    ["--message ID", "only this dead letter (its SQS message id, as --dry-run --json lists it); repeat for several"],
    ["--json", "one line: a JSON object { moved, skipped, malformed, examined, events, … }"],
  ],
  options: {
    "dry-run": { type: "boolean" },
    flow: { type: "string" },
    limit: { type: "string" },
    message: { type: "string", multiple: true },
    json: { type: "boolean" },
  },
  positionals: { min: 0, max: 0 },
  interruptible: true,
  async run({ values, environment, signal }, io) {
    const flow = stringOption(values, "flow");
    if (flow !== undefined && !flowNamed(flow))
      throw new UsageError(`unknown flow "${flow}" (flows: ${FLOWS.map((known) => known.name).join(", ")})`);
    const limitText = stringOption(values, "limit");
    const limit = limitText === undefined ? undefined : Number(limitText);
    if (limit !== undefined && !(/^\d+$/.test(limitText ?? "") && limit > 0))
      throw new UsageError(`--limit must be a positive whole number, got "${limitText}"`);
    const messages = values.message;
    const messageIds = Array.isArray(messages) ? messages.map(String) : undefined;
    const { queueUrl, deadLetterQueueUrl } = await environment();
    const summary = await replayDeadLetters({
      queueUrl,
      deadLetterQueueUrl,
      flow,
      limit,
      messageIds,
      dryRun: values["dry-run"] === true,
      // Examined messages stay hidden while the run lasts and are released at its end (Ctrl+C included).
      visibilityTimeoutSeconds: HOLD_SECONDS,
      signal,
    });
    if (values.json === true) io.out(JSON.stringify(summary));
    else io.out(formatReplay(summary).join("\n"));
    if (summary.interrupted) {
      io.err("replay stopped; the events not yet moved are still in the dead-letter queue");
      return EXIT.interrupted;
    }
    return EXIT.ok;
  },
};
