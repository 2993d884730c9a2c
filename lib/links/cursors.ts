import { GetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { keys } from "#lib/store/keys";

/** Another poller or backfill moved the cursor since it was read. */
export class CursorMovedError extends Error {
  override name = "CursorMovedError";
}

export interface Cursor {
  /** Exact's sync Timestamp (a row version), or a page number, as the cursor's owner uses it. */
  position: number;
  updatedAt: string;
}

/**
 * Positions in change feeds (Exact's sync API Timestamps, a backfill's checkpoint), keyed by
 * name, e.g. `exactonline#3183061#sync/CRM/Contacts`. A cursor only moves forward, and only
 * from the position it was read at, so two pollers cannot skip each other's rows.
 */
export class CursorStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async read(name: string): Promise<Cursor | null> {
    const result = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.cursor(name), ConsistentRead: true }));
    return result.Item ? { position: Number(result.Item.position), updatedAt: String(result.Item.updatedAt) } : null;
  }

  /** Moves the cursor from `from` (null: it did not exist) to `to`. */
  async advance(name: string, from: number | null, to: number): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.cursor(name), position: to, updatedAt: new Date(this.now()).toISOString() },
          ...(from === null
            ? { ConditionExpression: "attribute_not_exists(pk)" }
            : {
                ConditionExpression: "#position = :from",
                ExpressionAttributeNames: { "#position": "position" },
                ExpressionAttributeValues: { ":from": from },
              }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new CursorMovedError(`cursor ${name} moved since it was read`);
      throw error;
    }
  }
}
