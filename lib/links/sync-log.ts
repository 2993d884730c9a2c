import { paginateQuery, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { RecordRef } from "#lib/links/store";
import { keys, kinds } from "#lib/store/keys";
import { INDEX_BY_KIND, TTL_ATTRIBUTE } from "#lib/store/table";

export type DecisionKind = "created" | "linked" | "updated" | "echo" | "kept" | "unsyncable" | "unlinked" | "deleted" | "ignored";

/** One sync decision about one record. Field values appear only here, never in logs. */
export interface Decision {
  kind: DecisionKind;
  flow: string;
  record: RecordRef;
  partner?: RecordRef;
  /** Which row names were written, per side. */
  fields?: Partial<Record<RecordRef["side"], string[]>>;
  conflicts?: { field: string; values: Record<string, unknown>; winner: string; reason: string }[];
  reason?: string;
  eventId: string;
  correlationId: string;
}

export interface LoggedDecision extends Decision {
  at: string;
}

const HOUR_MS = 3_600_000;
/** The UTC hour of an ISO time, `2024-05-01T13`: one index partition of decisions. */
const hourOf = (iso: string) => iso.slice(0, 13);

/**
 * Per-record history of decisions in DynamoDB, removed by TTL after the retention period.
 * Each decision is also indexed by the hour it was made in (`byKind`, `DECISIONS#<hour>`,
 * sorted by time), so the recent decisions of all records can be read without a scan.
 */
export class SyncLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
    private readonly now: () => number = Date.now,
  ) {}

  async append(decision: Decision): Promise<LoggedDecision> {
    const at = new Date(this.now()).toISOString();
    const { side, type, id } = decision.record;
    const entry: LoggedDecision = { ...decision, at };
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.log(side, type, id, at, decision.eventId),
          gsi1pk: kinds.decisionsInHour(hourOf(at)),
          gsi1sk: `${at}#${decision.eventId}`,
          ...entry,
          [TTL_ATTRIBUTE]: Math.floor(this.now() / 1000) + this.retentionDays * 86_400,
        },
      }),
    );
    return entry;
  }

  /** Every decision kept about one record, oldest first. */
  async history(record: RecordRef): Promise<LoggedDecision[]> {
    const items: LoggedDecision[] = [];
    for await (const page of paginateQuery(
      { client: this.db },
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": keys.logPartition(record.side, record.type, record.id) },
      },
    )) {
      items.push(...(page.Items ?? []).map(toDecision));
    }
    return items;
  }

  /**
   * Every decision about any record logged at or after `from` (ISO time), oldest first, read
   * from the hour index: one query per hour since then.
   */
  async since(from: string): Promise<LoggedDecision[]> {
    const hours: string[] = [];
    const firstHour = Date.parse(from) - (Date.parse(from) % HOUR_MS);
    for (let start = firstHour; start <= this.now(); start += HOUR_MS) hours.push(hourOf(new Date(start).toISOString()));
    const pages = await Promise.all(hours.map((hour) => this.queryHour(hour, from)));
    return pages.flat();
  }

  private async queryHour(hour: string, from: string): Promise<LoggedDecision[]> {
    const items: LoggedDecision[] = [];
    for await (const page of paginateQuery(
      { client: this.db },
      {
        TableName: this.tableName,
        IndexName: INDEX_BY_KIND.name,
        KeyConditionExpression: "gsi1pk = :hour AND gsi1sk >= :from",
        ExpressionAttributeValues: { ":hour": kinds.decisionsInHour(hour), ":from": from },
      },
    )) {
      items.push(...(page.Items ?? []).map(toDecision));
    }
    return items;
  }
}

function toDecision(item: Record<string, unknown>): LoggedDecision {
  const { pk: _pk, sk: _sk, gsi1pk: _gsi1pk, gsi1sk: _gsi1sk, [TTL_ATTRIBUTE]: _ttl, ...decision } = item;
  return decision as unknown as LoggedDecision;
}
