import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { RecordRef } from "#lib/links/store";
import { keys } from "#lib/store/keys";
import { TTL_ATTRIBUTE } from "#lib/store/table";

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

/** Per-record history of decisions in DynamoDB, removed by TTL after the retention period. */
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
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": keys.logPartition(record.side, record.type, record.id) },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const { pk: _pk, sk: _sk, [TTL_ATTRIBUTE]: _ttl, ...decision } = item;
        items.push(decision as LoggedDecision);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}
