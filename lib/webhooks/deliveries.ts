/**
 * Webhook deliveries already taken, so that a captured, validly signed notification posted a
 * thousand times enqueues once (each enqueued change costs an Exact read, and Exact's budget is
 * 5,000 a day). A delivery is known by what identifies it at its sender: Exact's HashCode (the
 * signature over the Content, the same for every copy of one notification) and CRMOffice's event
 * id. The item lives longer than any redelivery window and is then removed by TTL.
 *
 * Taking a delivery is two steps around the enqueue, so a crash between them loses nothing: a
 * claim, then the mark that it was enqueued. A claim that never got its mark (the function died)
 * may be taken again after a minute; a copy that arrives while a claim is fresh is told to come
 * back later (a 503 its sender retries), never that it was handled.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { RecordSystem } from "#lib/events/change-event";
import { keys } from "#lib/store/keys";
import { TTL_ATTRIBUTE } from "#lib/store/table";

/** A claim older than this without its mark belonged to an invocation that died. */
const CLAIM_LEASE_MS = 60_000;

export type DeliveryClaim = "new" | "duplicate" | "in-flight";

export interface DeliveryRegister {
  claim(system: RecordSystem, deliveryId: string): Promise<DeliveryClaim>;
  markEnqueued(system: RecordSystem, deliveryId: string): Promise<void>;
  /** Gives a claim back after the enqueue failed, so the sender's retry is taken. */
  release(system: RecordSystem, deliveryId: string): Promise<void>;
}

export class DynamoDeliveryRegister implements DeliveryRegister {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** How long a delivery is remembered: longer than any sender redelivers. */
    private readonly keepDays: number,
    private readonly now: () => number = Date.now,
  ) {}

  async claim(system: RecordSystem, deliveryId: string): Promise<DeliveryClaim> {
    const key = keys.delivery(system, deliveryId);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, state: "claimed", claimedAt: this.now(), [TTL_ATTRIBUTE]: Math.ceil(this.now() / 1000) + this.keepDays * 86_400 },
          ConditionExpression: "attribute_not_exists(pk) OR (#state = :claimed AND claimedAt < :stale)",
          ExpressionAttributeNames: { "#state": "state" },
          ExpressionAttributeValues: { ":claimed": "claimed", ":stale": this.now() - CLAIM_LEASE_MS },
        }),
      );
      return "new";
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return Item?.state === "enqueued" ? "duplicate" : "in-flight";
  }

  async markEnqueued(system: RecordSystem, deliveryId: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.delivery(system, deliveryId),
        UpdateExpression: "SET #state = :enqueued",
        ExpressionAttributeNames: { "#state": "state" },
        ExpressionAttributeValues: { ":enqueued": "enqueued" },
      }),
    );
  }

  async release(system: RecordSystem, deliveryId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: keys.delivery(system, deliveryId) }));
  }
}
