import { ConditionalCheckFailedException, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  GetCommand,
  paginateQuery,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";
import type { AgreedValues, Side } from "#lib/flows/definition";
import { keys, kinds } from "#lib/store/keys";
import { INDEX_BY_KIND, TTL_ATTRIBUTE } from "#lib/store/table";

export interface RecordRef {
  side: Side;
  type: string;
  id: string;
}

export interface Link {
  flow: string;
  linkId: string;
  /**
   * `creating`: claimed, the record on the other side may not exist yet. `closed`: one side
   * was deleted and the other kept; the kept record stays out of the flow.
   */
  state: "creating" | "linked" | "closed";
  ids: Partial<Record<Side, string>>;
  types: Record<Side, string>;
  /** What both sides held after the last sync; null until the first one completes. */
  agreed: AgreedValues | null;
  version: number;
  /** Epoch ms until which the worker that claimed a create owns it. */
  claimedUntil?: number;
  /** While `creating`: the fingerprint of the record being created (see `PendingCreate`). */
  pending?: PendingCreate;
  /** Epoch ms until which one worker is writing this link's records (see `beginWrite`). */
  writingUntil?: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * A create in flight, findable by the values of the record it makes: the new record's own
 * webhook can come before its link is complete, and must not be taken for a new record.
 */
export interface PendingCreate {
  side: Side;
  type: string;
  fingerprint: string;
}

export interface RecordState {
  references: { flow: string; linkId: string }[];
  unsyncableIn: string[];
}

export interface UnsyncableEntry {
  flow: string;
  record: RecordRef;
  reason: string;
  /** ISO time it was last found unsyncable. */
  at: string;
}

/** The link moved under us (another worker wrote it first): decide again from fresh state. */
export class LinkConflictError extends Error {
  override name = "LinkConflictError";
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || error instanceof TransactionCanceledException;
}

async function guarded<T>(write: () => Promise<T>, what: string): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isConditionFailure(error)) throw new LinkConflictError(`${what}: lost a race`);
    throw error;
  }
}

/**
 * Links between records in DynamoDB. Every write that could race is conditional: a record's
 * reference item is created with `attribute_not_exists`, so two workers can never link one
 * record twice in a flow, and agreed values move only from the version they were read at.
 */
export class LinkStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * What the table holds about one record, in one query: the flows it is linked (or being
   * linked) in, with the link ids, and the flows in which it is recorded as unsyncable.
   */
  async recordState(ref: RecordRef): Promise<RecordState> {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": keys.recordPartition(ref.side, ref.type, ref.id) },
        ConsistentRead: true,
      }),
    );
    const items = result.Items ?? [];
    return {
      references: items
        .filter((item) => String(item.sk).startsWith("FLOW#"))
        .map((item) => ({ flow: String(item.flow), linkId: String(item.linkId) })),
      unsyncableIn: items.filter((item) => String(item.sk).startsWith("UNSYNCABLE#")).map((item) => String(item.flow)),
    };
  }

  /** The flows this record is linked (or being linked) in, with the link ids. */
  async referencesOf(ref: RecordRef): Promise<RecordState["references"]> {
    return (await this.recordState(ref)).references;
  }

  async findLink(flow: string, ref: RecordRef): Promise<Link | null> {
    const reference = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.reference(ref.side, ref.type, ref.id, flow), ConsistentRead: true }),
    );
    if (!reference.Item) return null;
    return this.getLink(flow, String(reference.Item.linkId));
  }

  async getLink(flow: string, linkId: string): Promise<Link | null> {
    const result = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.link(flow, linkId), ConsistentRead: true }));
    return result.Item ? (result.Item as Link) : null;
  }

  private referenceItem(flow: string, linkId: string, ref: RecordRef) {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...keys.reference(ref.side, ref.type, ref.id, flow), flow, linkId, side: ref.side, recordType: ref.type, recordId: ref.id },
        ConditionExpression: "attribute_not_exists(pk)",
      },
    };
  }

  private pendingItem(link: Link, pending: PendingCreate, leaseMs: number) {
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          ...keys.pending(pending.side, pending.type, pending.fingerprint),
          flow: link.flow,
          linkId: link.linkId,
          // Outlives the lease, so a record made by a worker that died can still be recognised.
          [TTL_ATTRIBUTE]: Math.floor((this.now() + leaseMs) / 1000) + 86_400,
        },
      },
    };
  }

  /** A record that joins a link is no longer unsyncable in its flow, whoever's decision linked it. */
  private clearUnsyncableItem(flow: string, ref: RecordRef) {
    return { Delete: { TableName: this.tableName, Key: keys.unsyncable(ref.side, ref.type, ref.id, flow) } };
  }

  private deletePendingItem(link: Link) {
    return link.pending
      ? [{ Delete: { TableName: this.tableName, Key: keys.pending(link.pending.side, link.pending.type, link.pending.fingerprint) } }]
      : [];
  }

  /** The create in flight (or interrupted) that would make a record with this fingerprint. */
  async pendingCreate(side: Side, type: string, fingerprint: string): Promise<{ flow: string; linkId: string } | null> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.pending(side, type, fingerprint), ConsistentRead: true }),
    );
    return result.Item ? { flow: String(result.Item.flow), linkId: String(result.Item.linkId) } : null;
  }

  private linkItem(link: Link) {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...keys.link(link.flow, link.linkId), ...link, gsi1pk: kinds.links(link.flow), gsi1sk: link.linkId },
        ConditionExpression: "attribute_not_exists(pk)",
      },
    };
  }

  /**
   * An update of the link that moves its version by one, only from the version it was read at
   * (optimistic locking): `set` attributes are assigned, `remove` ones deleted, `condition` is
   * added to the version check.
   */
  private versionedUpdate(
    link: Link,
    changes: {
      set: Record<string, unknown>;
      remove?: string[];
      condition?: string;
      names?: Record<string, string>;
      values?: Record<string, unknown>;
    },
  ) {
    const set = { ...changes.set, version: link.version + 1 };
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ":expectedVersion": link.version, ...changes.values };
    const assignments = Object.entries(set).map(([attribute, value], index) => {
      names[`#s${index}`] = attribute;
      values[`:s${index}`] = value;
      return `#s${index} = :s${index}`;
    });
    const removals = (changes.remove ?? []).map((attribute, index) => {
      names[`#r${index}`] = attribute;
      return `#r${index}`;
    });
    return {
      TableName: this.tableName,
      Key: keys.link(link.flow, link.linkId),
      UpdateExpression: `SET ${assignments.join(", ")}${removals.length ? ` REMOVE ${removals.join(", ")}` : ""}`,
      ConditionExpression: `#version = :expectedVersion${changes.condition ? ` AND (${changes.condition})` : ""}`,
      ExpressionAttributeNames: { ...names, ...changes.names, "#version": "version" },
      ExpressionAttributeValues: values,
    };
  }

  private newLink(flow: string, types: Record<Side, string>, state: Link["state"], ids: Link["ids"]): Link {
    const at = new Date(this.now()).toISOString();
    return { flow, linkId: crypto.randomUUID(), state, ids, types, agreed: null, version: 1, createdAt: at, updatedAt: at };
  }

  /**
   * Claim before create: reserve the source record and a `creating` link, so a retry or a
   * second worker finds the claim instead of creating the other record again.
   */
  async claimForCreate(
    flow: string,
    source: RecordRef,
    types: Record<Side, string>,
    leaseMs: number,
    pending: PendingCreate,
  ): Promise<Link> {
    const link = { ...this.newLink(flow, types, "creating", { [source.side]: source.id }), claimedUntil: this.now() + leaseMs, pending };
    await guarded(
      () =>
        this.db.send(
          new TransactWriteCommand({
            TransactItems: [this.referenceItem(flow, link.linkId, source), this.linkItem(link), this.pendingItem(link, pending, leaseMs)],
          }),
        ),
      "claim",
    );
    return link;
  }

  /** Takes over a `creating` claim whose lease ran out (its worker died). */
  async renewClaim(link: Link, leaseMs: number, pending: PendingCreate): Promise<Link> {
    const renewed = { ...link, claimedUntil: this.now() + leaseMs, version: link.version + 1, pending };
    const update = this.versionedUpdate(link, {
      set: { claimedUntil: renewed.claimedUntil, pending },
      condition: "#state = :creating",
      names: { "#state": "state" },
      values: { ":creating": "creating" },
    });
    await guarded(
      () => this.db.send(new TransactWriteCommand({ TransactItems: [{ Update: update }, this.pendingItem(link, pending, leaseMs)] })),
      "renew claim",
    );
    return renewed;
  }

  /** The created (or adopted) record joins the claimed link, with the values both now hold. */
  async completeCreate(link: Link, target: RecordRef, agreed: AgreedValues | null): Promise<Link> {
    const completed: Link = {
      ...link,
      state: "linked",
      ids: { ...link.ids, [target.side]: target.id },
      agreed,
      version: link.version + 1,
      updatedAt: new Date(this.now()).toISOString(),
    };
    delete completed.claimedUntil;
    delete completed.pending;
    const update = this.versionedUpdate(link, {
      set: { state: completed.state, ids: completed.ids, agreed, updatedAt: completed.updatedAt },
      remove: ["claimedUntil", "pending"],
    });
    await guarded(
      () =>
        this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              this.referenceItem(link.flow, link.linkId, target),
              this.clearUnsyncableItem(link.flow, target),
              { Update: update },
              ...this.deletePendingItem(link),
            ],
          }),
        ),
      "complete create",
    );
    return completed;
  }

  /** Links two records that already exist (a first-sight match). */
  async linkPair(flow: string, a: RecordRef, b: RecordRef): Promise<Link> {
    const link = this.newLink(flow, { [a.side]: a.type, [b.side]: b.type } as Record<Side, string>, "linked", {
      [a.side]: a.id,
      [b.side]: b.id,
    });
    await guarded(
      () =>
        this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              this.referenceItem(flow, link.linkId, a),
              this.referenceItem(flow, link.linkId, b),
              this.clearUnsyncableItem(flow, a),
              this.clearUnsyncableItem(flow, b),
              this.linkItem(link),
            ],
          }),
        ),
      "link pair",
    );
    return link;
  }

  /**
   * Reserves the link before its records are written, so that of several workers holding the
   * same change (duplicate notifications) only one writes; the others find the reservation,
   * wait, and then see an echo. The reservation ends with `saveAgreed`, or runs out.
   */
  async beginWrite(link: Link, leaseMs: number): Promise<Link> {
    const reserved: Link = { ...link, version: link.version + 1, writingUntil: this.now() + leaseMs };
    const update = this.versionedUpdate(link, {
      set: { writingUntil: reserved.writingUntil },
      condition: "attribute_not_exists(#writingUntil) OR #writingUntil < :now",
      names: { "#writingUntil": "writingUntil" },
      values: { ":now": this.now() },
    });
    await guarded(() => this.db.send(new UpdateCommand(update)), "reserve link for writing");
    return reserved;
  }

  /**
   * Gives a write reservation back early: its writes were refused (the systems answered with
   * an error), so nothing is in flight and the retry need not wait for the lease to run out.
   */
  async endWrite(link: Link): Promise<void> {
    const update = this.versionedUpdate(link, { set: {}, remove: ["writingUntil"] });
    await guarded(() => this.db.send(new UpdateCommand(update)), "end write reservation");
  }

  /** Stores what both sides now hold, only if nobody moved the link since it was read. */
  async saveAgreed(link: Link, agreed: AgreedValues): Promise<Link> {
    const saved: Link = { ...link, agreed, version: link.version + 1, updatedAt: new Date(this.now()).toISOString() };
    delete saved.writingUntil;
    const update = this.versionedUpdate(link, { set: { agreed, updatedAt: saved.updatedAt }, remove: ["writingUntil"] });
    await guarded(() => this.db.send(new UpdateCommand(update)), "save agreed values");
    return saved;
  }

  /**
   * Closes a link whose `deletedSide` record is gone while the other is kept: the kept record's
   * reference stays, pointing at the closed link, so a later edit of it does not create the
   * deleted record again.
   */
  async closeLink(link: Link, deletedSide: Side): Promise<Link> {
    const closed: Link = { ...link, state: "closed", version: link.version + 1, updatedAt: new Date(this.now()).toISOString() };
    const deletedId = link.ids[deletedSide];
    const update = this.versionedUpdate(link, {
      set: { state: "closed", updatedAt: closed.updatedAt, gsi1pk: kinds.closedLinks(link.flow) },
    });
    const deleteReference = deletedId
      ? [{ Delete: { TableName: this.tableName, Key: keys.reference(deletedSide, link.types[deletedSide], deletedId, link.flow) } }]
      : [];
    await guarded(() => this.db.send(new TransactWriteCommand({ TransactItems: [...deleteReference, { Update: update }] })), "close link");
    return closed;
  }

  /** Removes a link and its references, so either record may be linked afresh later. */
  async removeLink(link: Link): Promise<void> {
    const references = (Object.entries(link.ids) as [Side, string][]).map(([side, id]) => ({
      Delete: { TableName: this.tableName, Key: keys.reference(side, link.types[side], id, link.flow) },
    }));
    await guarded(
      () =>
        this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              ...references,
              ...this.deletePendingItem(link),
              {
                Delete: {
                  TableName: this.tableName,
                  Key: keys.link(link.flow, link.linkId),
                  ConditionExpression: "version = :version",
                  ExpressionAttributeValues: { ":version": link.version },
                },
              },
            ],
          }),
        ),
      "remove link",
    );
  }

  async markUnsyncable(flow: string, ref: RecordRef, reason: string): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.unsyncable(ref.side, ref.type, ref.id, flow),
          flow,
          side: ref.side,
          recordType: ref.type,
          recordId: ref.id,
          reason,
          at: new Date(this.now()).toISOString(),
          gsi1pk: kinds.unsyncable(flow),
          gsi1sk: `${ref.side}#${ref.type}#${ref.id}`,
        },
      }),
    );
  }

  /** The records of one flow recorded as unsyncable, with the reason and when. */
  async unsyncableRecords(flow: string): Promise<UnsyncableEntry[]> {
    const entries: UnsyncableEntry[] = [];
    for await (const page of paginateQuery(
      { client: this.db },
      {
        TableName: this.tableName,
        IndexName: INDEX_BY_KIND.name,
        KeyConditionExpression: "gsi1pk = :kind",
        ExpressionAttributeValues: { ":kind": kinds.unsyncable(flow) },
      },
    )) {
      for (const item of page.Items ?? []) {
        entries.push({
          flow,
          record: { side: item.side as Side, type: String(item.recordType), id: String(item.recordId) },
          reason: String(item.reason),
          at: String(item.at),
        });
      }
    }
    return entries;
  }

  async clearUnsyncable(flow: string, ref: RecordRef): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: keys.unsyncable(ref.side, ref.type, ref.id, flow) }));
  }

  /** Every open link of a flow (`linked` or `creating`; closed ones are listed apart), from the index. */
  async listLinks(flow: string): Promise<Link[]> {
    const links: Link[] = [];
    for await (const page of paginateQuery(
      { client: this.db },
      {
        TableName: this.tableName,
        IndexName: INDEX_BY_KIND.name,
        KeyConditionExpression: "gsi1pk = :kind",
        ExpressionAttributeValues: { ":kind": kinds.links(flow) },
      },
    )) {
      for (const item of page.Items ?? []) {
        const { pk: _pk, sk: _sk, gsi1pk: _kind, gsi1sk: _order, ...link } = item;
        links.push(link as Link);
      }
    }
    return links;
  }

  /** Counts the items of one kind (links of a flow, unsyncable records of a flow). */
  async countKind(kind: string): Promise<number> {
    let count = 0;
    for await (const page of paginateQuery(
      { client: this.db },
      {
        TableName: this.tableName,
        IndexName: INDEX_BY_KIND.name,
        KeyConditionExpression: "gsi1pk = :kind",
        ExpressionAttributeValues: { ":kind": kind },
        Select: "COUNT",
      },
    )) {
      count += page.Count ?? 0;
    }
    return count;
  }
}
