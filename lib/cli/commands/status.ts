import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { documentClient } from "#lib/aws/dynamodb";
import { sqsClient } from "#lib/aws/sqs";
import type { Command } from "#lib/cli/command";
import { READ_ONLY_RETENTION_DAYS } from "#lib/cli/commands/history";
import type { CliEnvironment } from "#lib/cli/environment";
import { age, count, table } from "#lib/cli/format";
import { exactGovernor } from "#lib/config/connectors";
import { parseSettings } from "#lib/config/settings";
import type { BudgetWindowUsage } from "#lib/connectors/exactonline/governor";
import { FLOWS } from "#lib/flows/index";
import { FailureLog, type Failure } from "#lib/links/failures";
import { kinds } from "#lib/links/keys";
import { CursorStore } from "#lib/links/cursors";
import { LinkStore } from "#lib/links/store";
import { SyncLog } from "#lib/links/sync-log";
import { decisionsByFlow, HOUR_MS } from "#lib/ops/activity";
import { readExactConnection, readPollerFeeds, type ExactConnection, type PollerFeed } from "#lib/ops/facts";

export interface StatusReport {
  /** Messages waiting, in flight or delayed on the events queue. */
  queueDepth: number;
  deadLetterDepth: number;
  /** Every flow, 0 included. */
  linksByFlow: Record<string, number>;
  /** Records that cannot sync (missing fields, ambiguous matches, …), all flows. */
  unsyncable: number;
  unsyncableByFlow: Record<string, number>;
  /** The worker's latest failures, newest first. */
  lastErrors: Failure[];
  /** Exact Online calls spent in this minute and today, of the budget the governor enforces. */
  exactBudget: { minute: BudgetWindowUsage; day: BudgetWindowUsage };
  /** Sync decisions logged in the last hour, per flow (every flow, 0 included). */
  decisionsLastHourByFlow: Record<string, number>;
  exactConnection: ExactConnection;
  /** Where the Exact poller stands in each feed. */
  poller: PollerFeed[];
  environment: string;
  tableName: string;
}

const DEPTH_ATTRIBUTES = [
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesNotVisible",
  "ApproximateNumberOfMessagesDelayed",
] as const;

/** Waiting + in flight + delayed. */
export async function queueDepth(queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqsClient().send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...DEPTH_ATTRIBUTES] }),
  );
  return DEPTH_ATTRIBUTES.reduce((sum, name) => sum + Number(Attributes[name] ?? 0), 0);
}

export async function collectStatus(environment: CliEnvironment, now: () => number = Date.now): Promise<StatusReport> {
  const db = documentClient();
  const settings = parseSettings(process.env);
  const store = new LinkStore(db, environment.tableName);
  const perFlow = (kind: (flow: string) => string) =>
    Promise.all(FLOWS.map(async (flow) => [flow.name, await store.countKind(kind(flow.name))] as const)).then((entries) =>
      Object.fromEntries(entries),
    );
  const [linksByFlow, unsyncableByFlow, depth, deadLetterDepth, lastErrors, budget, lastHour, exactConnection, poller] = await Promise.all([
    perFlow(kinds.links),
    perFlow(kinds.unsyncable),
    queueDepth(environment.queueUrl),
    queueDepth(environment.deadLetterQueueUrl),
    new FailureLog(db, environment.tableName).recent(5),
    exactGovernor(settings).usage(),
    new SyncLog(db, environment.tableName, READ_ONLY_RETENTION_DAYS).since(new Date(now() - HOUR_MS).toISOString()),
    readExactConnection(db, environment.tableName, settings.EXACT_DIVISION),
    readPollerFeeds(new CursorStore(db, environment.tableName), settings.EXACT_DIVISION),
  ]);
  return {
    queueDepth: depth,
    deadLetterDepth,
    linksByFlow,
    unsyncable: Object.values(unsyncableByFlow).reduce((sum, n) => sum + n, 0),
    unsyncableByFlow,
    lastErrors,
    exactBudget: { minute: budget.minute, day: budget.day },
    decisionsLastHourByFlow: decisionsByFlow(lastHour),
    exactConnection,
    poller,
    environment: environment.name,
    tableName: environment.tableName,
  };
}

export function formatExactConnection(connection: ExactConnection, now: number): string[] {
  if (!connection.connected) return ["Exact Online: not connected (no token stored)"];
  const issued = connection.tokenIssuedAt ? `, token issued ${age((now - Date.parse(connection.tokenIssuedAt)) / 1000)} ago` : "";
  return [`Exact Online: connected${issued}`];
}

export function formatStatus(report: StatusReport, now: number = Date.now()): string[] {
  const lines = [`${report.environment} (table ${report.tableName})`, ""];
  lines.push(
    ...table(
      [
        ["flow", "links", "unsyncable", "decisions last hour"],
        ...FLOWS.map((flow) => [
          flow.name,
          count(report.linksByFlow[flow.name] ?? 0),
          count(report.unsyncableByFlow[flow.name] ?? 0),
          count(report.decisionsLastHourByFlow[flow.name] ?? 0),
        ]),
        [
          "total",
          count(Object.values(report.linksByFlow).reduce((sum, n) => sum + n, 0)),
          count(report.unsyncable),
          count(Object.values(report.decisionsLastHourByFlow).reduce((sum, n) => sum + n, 0)),
        ],
      ],
      ["left", "right", "right", "right"],
    ),
  );
  const { minute, day } = report.exactBudget;
  lines.push(
    "",
    ...table(
      [
        ["queue", count(report.queueDepth)],
        ["dead letters", count(report.deadLetterDepth)],
        ["Exact calls this minute", `${count(minute.used)} of ${count(minute.limit)}`],
        ["Exact calls today", `${count(day.used)} of ${count(day.limit)}`],
      ],
      ["left", "right"],
    ),
  );
  if (report.deadLetterDepth > 0) lines.push("  (syncctl replay --dry-run lists them; syncctl replay moves them back)");
  lines.push("", ...formatExactConnection(report.exactConnection, now), "", "poller (feed, cursor, last moved)");
  lines.push(
    ...table(
      report.poller.map((feed) => [
        `  ${feed.feed}`,
        feed.position === null ? "not polled yet" : String(feed.position),
        feed.movedAt === null ? "-" : `${age((now - Date.parse(feed.movedAt)) / 1000)} ago`,
      ]),
      ["left", "right", "left"],
    ),
  );
  lines.push("", "last errors");
  if (report.lastErrors.length === 0) lines.push("  none");
  else {
    lines.push(
      ...table(
        report.lastErrors.map((failure) => [
          `  ${failure.at}`,
          `${failure.record.side} ${failure.record.type} ${failure.record.id}`,
          failure.error,
          `${failure.reason}${failure.receiveCount ? ` (attempt ${failure.receiveCount})` : ""}`,
        ]),
      ),
    );
  }
  return lines;
}

export const statusCommand: Command = {
  name: "status",
  summary: "links per flow, queue and dead-letter depth, unsyncable records, last errors",
  synopsis: "[--json]",
  details: [
    "Links per flow and unsyncable records (from the table), the events queue's depth (waiting, in flight",
    "and delayed) and the dead-letter queue's, Exact Online calls spent this minute and today, and the",
    "worker's five latest failures.",
  ],
  optionHelp: [
    ["--json", "one line: a JSON object { queueDepth, deadLetterDepth, linksByFlow, unsyncable, unsyncableByFlow, lastErrors, … }"],
  ],
  options: { json: { type: "boolean" } },
  positionals: { min: 0, max: 0 },
  async run({ values, environment }, io) {
    const report = await collectStatus(await environment());
    if (values.json === true) io.out(JSON.stringify(report));
    else io.out(formatStatus(report).join("\n"));
    return 0;
  },
};
