import { paginateQuery, PutCommand, QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { RecordRef } from "#lib/links/store";
import { keys, kinds } from "#lib/store/keys";
import { INDEX_BY_KIND, TTL_ATTRIBUTE } from "#lib/store/table";

export interface Failure {
  at: string;
  correlationId: string;
  record: RecordRef;
  error: string;
  /** The error's message: names and statuses only, never record values or secrets. */
  reason: string;
  receiveCount: number;
}

const RETENTION_DAYS = 7;

/** The worker's recent failures, newest first, for `syncctl status`. */
export class FailureLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async record(failure: Omit<Failure, "at">): Promise<void> {
    const at = new Date(this.now()).toISOString();
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.failure(failure.correlationId, at),
          gsi1pk: kinds.failures,
          gsi1sk: `${at}#${failure.correlationId}`,
          ...failure,
          at,
          [TTL_ATTRIBUTE]: Math.floor(this.now() / 1000) + RETENTION_DAYS * 86_400,
        },
      }),
    );
  }

  async recent(limit: number): Promise<Failure[]> {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: INDEX_BY_KIND.name,
        KeyConditionExpression: "gsi1pk = :kind",
        ExpressionAttributeValues: { ":kind": kinds.failures },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (result.Items ?? []).map(toFailure);
  }

  /** Every failure kept since `from` (ISO time), oldest first. */
  async since(from: string): Promise<Failure[]> {
    const failures: Failure[] = [];
    for await (const page of paginateQuery(
      { client: this.db },
      {
        TableName: this.tableName,
        IndexName: INDEX_BY_KIND.name,
        KeyConditionExpression: "gsi1pk = :kind AND gsi1sk >= :from",
        ExpressionAttributeValues: { ":kind": kinds.failures, ":from": from },
      },
    )) {
      failures.push(...(page.Items ?? []).map(toFailure));
    }
    return failures;
  }

  /** The latest failure of one change (its correlation id), e.g. the last error of a dead letter. */
  async latest(correlationId: string): Promise<Failure | null> {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": keys.failurePartition(correlationId) },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const [item] = result.Items ?? [];
    return item ? toFailure(item) : null;
  }
}

function toFailure(item: Record<string, unknown>): Failure {
  return {
    at: String(item.at),
    correlationId: String(item.correlationId),
    record: item.record as RecordRef,
    error: String(item.error),
    reason: String(item.reason),
    receiveCount: Number(item.receiveCount),
  };
}
