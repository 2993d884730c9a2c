import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { keys } from "#lib/store/keys";

/** Another poller or backfill moved the cursor since it was read. */
export class CursorMovedError extends Error {
  override name = "CursorMovedError";
}

export interface Cursor {
  /** Exact's sync Timestamp (a row version), or a page number, as the cursor's owner uses it. */
  position: number;
  /** When the position was last set. */
  updatedAt: string;
  /**
   * When the numbering the position belongs to was taken up: a feed's first read or a restart
   * after a division move (ISO). A move after it makes the position meaningless, however
   * recently it moved: a page answered before a move and advanced after it is still numbered the
   * old way. Cursors written before this field fall back to `updatedAt`.
   */
  since?: string;
  /** A feed's last complete read (ISO), whether it moved the position or not. */
  readAt?: string;
  /** Epoch ms when the feed is next due. */
  nextReadAt?: number;
  /** Reads in a row that found nothing to sync (a feed backs off by them). */
  emptyReads?: number;
}

/** True when the division moved (`movedAt`, epoch ms) after the numbering of `cursor`'s position was taken up. */
export function movedSince(cursor: Cursor, movedAt: number): boolean {
  return movedAt > Date.parse(cursor.since ?? cursor.updatedAt);
}

/** What a completed read of a feed leaves for the next one. */
export interface FeedRead {
  readAt: string;
  nextReadAt: number;
  emptyReads: number;
}

/**
 * Positions in change feeds (Exact's sync API Timestamps, a backfill's checkpoint), keyed by
 * name, e.g. `poll#exactonline#3183061#sync/employee`. A position only moves from the position it
 * was read at, so two pollers cannot skip each other's rows; only a division move sets it back
 * (`restart`).
 */
export class CursorStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async read(name: string): Promise<Cursor | null> {
    const result = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.cursor(name), ConsistentRead: true }));
    const item = result.Item;
    if (!item) return null;
    return {
      position: Number(item.position),
      updatedAt: String(item.updatedAt),
      ...(item.since !== undefined ? { since: String(item.since) } : {}),
      ...(item.readAt !== undefined ? { readAt: String(item.readAt) } : {}),
      ...(item.nextReadAt !== undefined ? { nextReadAt: Number(item.nextReadAt) } : {}),
      ...(item.emptyReads !== undefined ? { emptyReads: Number(item.emptyReads) } : {}),
    };
  }

  /**
   * Moves the cursor from `from` (null: it did not exist) to `to`. A new cursor's numbering dates
   * from `since` (ISO): when its owner began the read that found `to`.
   */
  async advance(name: string, from: number | null, to: number, since?: string): Promise<void> {
    const now = new Date(this.now()).toISOString();
    try {
      if (from === null) {
        await this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...keys.cursor(name), position: to, updatedAt: now, since: since ?? now },
            ConditionExpression: "attribute_not_exists(pk)",
          }),
        );
      } else {
        // An update, not a put: the feed's read times stay as they are.
        await this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.cursor(name),
            UpdateExpression: "SET #position = :to, updatedAt = :now",
            ConditionExpression: "#position = :from",
            ExpressionAttributeNames: { "#position": "position" },
            ExpressionAttributeValues: { ":from": from, ":to": to, ":now": now },
          }),
        );
      }
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new CursorMovedError(`cursor ${name} moved since it was read`);
      throw error;
    }
  }

  /**
   * Sets the position back, whatever it was: a division move renumbered the feed. `since` is
   * the move's date (ISO): the new position is numbered as Exact numbers rows after it.
   */
  async restart(name: string, position: number, since: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.cursor(name),
        UpdateExpression: "SET #position = :position, updatedAt = :now, since = :since",
        ExpressionAttributeNames: { "#position": "position" },
        ExpressionAttributeValues: { ":position": position, ":now": new Date(this.now()).toISOString(), ":since": since },
      }),
    );
  }

  /** Records a feed's completed read and when it is next due (the position is not touched). */
  async recordRead(name: string, read: FeedRead): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.cursor(name),
        UpdateExpression: "SET readAt = :readAt, nextReadAt = :nextReadAt, emptyReads = :emptyReads",
        ExpressionAttributeValues: { ":readAt": read.readAt, ":nextReadAt": read.nextReadAt, ":emptyReads": read.emptyReads },
      }),
    );
  }
}
