/**
 * Two facts the operator's views show whose full form is still being built: whether Exact is
 * connected (since when, by which Exact user) and when the poller last ran each feed. Each is
 * read here, from what the table holds today, behind one small function, so the views
 * (`syncctl status`, the console) stay the same when the facts are recorded more fully.
 */
import { GetCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { tokenItemKey } from "#lib/connectors/exactonline/tokens";
import type { CursorStore } from "#lib/links/cursors";
import { POLLED_FEEDS, pollCursorName } from "#lib/poller/exact-poller";

export interface ExactConnection {
  connected: boolean;
  /** When the stored access token was issued (every refresh renews it): ISO time. */
  tokenIssuedAt?: string;
  /** When a person connected Exact, and as which Exact user: not recorded yet. */
  since?: string;
  userId?: string;
}

/**
 * Is an Exact token pair stored for the division? Reads only the token's issue time: the
 * tokens themselves never leave the table for an operator's view.
 */
export async function readExactConnection(db: DynamoDBDocumentClient, tableName: string, division: number): Promise<ExactConnection> {
  const { Item } = await db.send(
    new GetCommand({ TableName: tableName, Key: tokenItemKey(division), ProjectionExpression: "issuedAt", ConsistentRead: true }),
  );
  if (!Item) return { connected: false };
  const issuedAt = Number(Item.issuedAt);
  return { connected: true, ...(Number.isFinite(issuedAt) ? { tokenIssuedAt: new Date(issuedAt).toISOString() } : {}) };
}

export interface PollerFeed {
  /** e.g. `sync/contact`, `sync/Deleted`. */
  feed: string;
  /** The last Exact sync Timestamp handled; null before the first poll of the feed. */
  position: number | null;
  /** When the poller last moved this feed's cursor (a poll that finds nothing new does not). */
  movedAt: string | null;
}

/** Each polled feed's cursor: where the poller stands and when it last moved. */
export async function readPollerFeeds(cursors: CursorStore, division: number): Promise<PollerFeed[]> {
  return Promise.all(
    POLLED_FEEDS.map(async (feed) => {
      const cursor = await cursors.read(pollCursorName(division, feed));
      return { feed, position: cursor?.position ?? null, movedAt: cursor?.updatedAt ?? null };
    }),
  );
}
