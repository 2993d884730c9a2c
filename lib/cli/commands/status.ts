import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { documentClient } from "#lib/aws/dynamodb";
import { sqsClient } from "#lib/aws/sqs";
import type { Command } from "#lib/cli/command";
import { READ_ONLY_RETENTION_DAYS } from "#lib/cli/commands/history";
import type { CliEnvironment } from "#lib/cli/environment";
import { count, table } from "#lib/cli/format";
import { exactGovernor } from "#lib/config/connectors";
import { parseSettings } from "#lib/config/settings";
import type { BudgetWindowUsage } from "#lib/connectors/exactonline/governor";
import { FLOWS } from "#lib/flows/index";
import { readExactConnection, type ExactConnection } from "#lib/connectors/exactonline/tokens";
import { CursorStore } from "#lib/links/cursors";
import { FailureLog, type Failure } from "#lib/links/failures";
import { DELETED_FEED, POLLED_FEEDS, pollCursorName, staleDeletionFeed } from "#lib/poller/exact-poller";
import { kinds } from "#lib/store/keys";
import { LinkStore } from "#lib/links/store";
import { SyncLog } from "#lib/links/sync-log";
import { decisionsByFlow, HOUR_MS } from "#lib/ops/activity";

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
  /** Sync decisions logged in the last hour, per flow (every flow, 0 included). */
  decisionsLastHourByFlow: Record<string, number>;
  /** Exact Online calls spent in this minute and today, of the budget the governor enforces. */
  exactBudget: { minute: BudgetWindowUsage; day: BudgetWindowUsage };
  /** Whether Exact is connected: since when, by which Exact user (their id); null when it never was. */
  exactConnection: ExactConnection | null;
  /** The Exact poller's feeds: position, last complete read, next read; absent until the first poll. */
  exactFeeds: ExactFeedStatus[];
  /**
   * `sync/Deleted` was last read longer ago than Exact keeps deletions (two months): some may have
   * been missed, and only `syncctl backfill --full` finds them. Null when it is read in time.
   */
  deletionsMayBeMissed: { lastReadAt: string } | null;
  environment: string;
  tableName: string;
}

export interface ExactFeedStatus {
  feed: string;
  position: number;
  readAt: string | null;
  nextReadAt: string | null;
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
  const store = new LinkStore(db, environment.tableName);
  const perFlow = (kind: (flow: string) => string) =>
    Promise.all(FLOWS.map(async (flow) => [flow.name, await store.countKind(kind(flow.name))] as const)).then((entries) =>
      Object.fromEntries(entries),
    );
  const settings = parseSettings(process.env);
  const cursors = new CursorStore(db, environment.tableName);
  const feedCursors = Promise.all(
    POLLED_FEEDS.map(async (feed) => ({ feed, cursor: await cursors.read(pollCursorName(settings.EXACT_DIVISION, feed)) })),
  );
  const [linksByFlow, unsyncableByFlow, depth, deadLetterDepth, lastErrors, budget, feeds, exactConnection, lastHour] = await Promise.all([
    perFlow(kinds.links),
    perFlow(kinds.unsyncable),
    queueDepth(environment.queueUrl),
    queueDepth(environment.deadLetterQueueUrl),
    new FailureLog(db, environment.tableName).recent(5),
    exactGovernor(settings).usage(),
    feedCursors,
    readExactConnection(db, environment.tableName, settings.EXACT_DIVISION),
    new SyncLog(db, environment.tableName, READ_ONLY_RETENTION_DAYS).since(new Date(now() - HOUR_MS).toISOString()),
  ]);
  const deletions = feeds.find((feed) => feed.feed === DELETED_FEED)?.cursor ?? null;
  const stale = staleDeletionFeed(deletions, now());
  return {
    queueDepth: depth,
    deadLetterDepth,
    linksByFlow,
    unsyncable: Object.values(unsyncableByFlow).reduce((sum, n) => sum + n, 0),
    unsyncableByFlow,
    lastErrors,
    decisionsLastHourByFlow: decisionsByFlow(lastHour),
    exactBudget: { minute: budget.minute, day: budget.day },
    exactConnection,
    exactFeeds: feeds.flatMap(({ feed, cursor }) =>
      cursor
        ? [
            {
              feed,
              position: cursor.position,
              readAt: cursor.readAt ?? null,
              nextReadAt: cursor.nextReadAt === undefined ? null : new Date(cursor.nextReadAt).toISOString(),
            },
          ]
        : [],
    ),
    deletionsMayBeMissed: stale ? { lastReadAt: stale.readAt } : null,
    environment: environment.name,
    tableName: environment.tableName,
  };
}

export function formatStatus(report: StatusReport): string[] {
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
        [
          "Exact connected",
          report.exactConnection
            ? `since ${report.exactConnection.connectedAt}, by Exact user ${report.exactConnection.exactUserId}`
            : "no (syncctl connect exactonline)",
        ],
        ["queue", count(report.queueDepth)],
        ["dead letters", count(report.deadLetterDepth)],
        ["Exact calls this minute", `${count(minute.used)} of ${count(minute.limit)}`],
        ["Exact calls today", `${count(day.used)} of ${count(day.limit)}`],
      ],
      ["left", "right"],
    ),
  );
  if (report.deadLetterDepth > 0) lines.push("  (syncctl replay --dry-run lists them; syncctl replay moves them back)");
  if (report.exactFeeds.length > 0) {
    lines.push(
      "",
      ...table(
        [
          ["Exact feed", "position", "last read", "next read"],
          ...report.exactFeeds.map((feed) => [
            feed.feed,
            String(feed.position),
            feed.readAt ?? "never",
            feed.nextReadAt ?? "at the next wake",
          ]),
        ],
        ["left", "right", "left", "left"],
      ),
    );
  }
  if (report.deletionsMayBeMissed) {
    lines.push(
      "",
      `  WARNING: sync/Deleted was last read ${report.deletionsMayBeMissed.lastReadAt}, longer ago than Exact keeps deletions (two months):`,
      "  some deletions may have been missed; `syncctl backfill --full` finds them and applies each flow's delete policy.",
    );
  }
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
