/**
 * The division's data in memory. Every change stamps the record with the division's next
 * row version (`Timestamp`, one counter for everything, as the sync API needs), fills the
 * audit fields, records deletions for `sync/Deleted`, and tells listeners (webhooks).
 */
import { randomUUID } from "node:crypto";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { DELETED_ENTITY_TYPE, RESOURCE_KINDS } from "./entities";
import type { ResourceKind } from "./entities";
import type { StoredRecord, StoredValue } from "./model";

/** The user every change is attributed to (Creator, Modifier, DeletedBy, Me.UserID). */
export const SANDBOX_USER_ID = "0c5f3b2a-8e41-4d7c-b6a9-3e2d1f0a9b84";

/** Row versions start well above 1, so the documented first call (`Timestamp gt 1`) sees everything. */
const FIRST_TIMESTAMP = 10_000;
/** Where the row-version counter restarts when the division moves: the first renumbered row gets 2. */
const TIMESTAMP_AFTER_MOVE = 1;
/** Exact keeps `sync/Deleted` rows for two months (exactonline-api.md). */
const DELETION_RETENTION_MONTHS = 2;

export type ChangeAction = "Create" | "Update" | "Delete";

export interface RecordChange {
  kind: ResourceKind;
  action: ChangeAction;
  id: string;
}

export type ChangeListener = (change: RecordChange) => void;

/** The writable fields of a record, as the write rules computed them. */
export type RecordFields = Record<string, StoredValue>;

export class ExactStore {
  private readonly records = new Map<ResourceKind, Map<string, StoredRecord>>();
  private deleted: StoredRecord[] = [];
  private lastTimestamp = FIRST_TIMESTAMP;
  private lastContactNumber = 0;
  private movedAt: number | null = null;
  private readonly listeners: ChangeListener[] = [];

  constructor(
    readonly division: number,
    private readonly now: () => number,
  ) {
    this.clear();
  }

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  /** Empties every collection but keeps the default Account. Row versions and contact codes keep counting up. */
  clear(): void {
    for (const kind of RESOURCE_KINDS) this.records.set(kind, new Map());
    this.deleted = [];
    this.insertDefaultAccount();
  }

  list(kind: ResourceKind): StoredRecord[] {
    return [...this.collection(kind).values()];
  }

  get(kind: ResourceKind, id: string): StoredRecord | undefined {
    return this.collection(kind).get(id.toLowerCase());
  }

  /** The deletions of the last two months (older ones are gone, as on Exact). */
  deletedRows(): StoredRecord[] {
    this.purgeExpiredDeletions();
    return [...this.deleted];
  }

  /** The next contact number: a new contact's `Code` and `HID` (Exact numbers contacts itself). */
  nextContactNumber(): number {
    this.lastContactNumber += 1;
    return this.lastContactNumber;
  }

  /** When the division was last moved to another database (null: never). */
  divisionMoveDate(): number | null {
    return this.movedAt;
  }

  /**
   * The division moves to another database: every row version (records of every resource and
   * `sync/Deleted` rows) is renumbered in its old order from a restarted counter, so the first
   * gets 2, and the move is dated now. Later changes continue from there. A client's stored
   * cursor is then larger than every row, which is what `DivisionMoveDate` warns about.
   */
  moveDivision(): void {
    this.purgeExpiredDeletions();
    const rows = [...RESOURCE_KINDS.flatMap((kind) => this.list(kind)), ...this.deleted];
    rows.sort((a, b) => Number(a.Timestamp) - Number(b.Timestamp));
    this.lastTimestamp = TIMESTAMP_AFTER_MOVE;
    for (const row of rows) row.Timestamp = this.nextTimestamp();
    this.movedAt = this.now();
  }

  create(kind: ResourceKind, fields: RecordFields, id: string = randomUUID()): StoredRecord {
    const now = this.now();
    const key = id.toLowerCase();
    const record: StoredRecord = {
      ...fields,
      ID: key,
      Created: now,
      Creator: SANDBOX_USER_ID,
      Modified: now,
      Modifier: SANDBOX_USER_ID,
      Division: this.division,
      Timestamp: this.nextTimestamp(),
    };
    this.collection(kind).set(key, record);
    this.emit({ kind, action: "Create", id: key });
    return record;
  }

  /** Replaces the record's writable fields; audit fields move on. */
  update(kind: ResourceKind, id: string, fields: RecordFields): StoredRecord {
    const existing = this.require(kind, id);
    const record: StoredRecord = {
      ...existing,
      ...fields,
      ID: existing.ID,
      Modified: this.now(),
      Modifier: SANDBOX_USER_ID,
      Timestamp: this.nextTimestamp(),
    };
    this.collection(kind).set(existing.ID, record);
    this.emit({ kind, action: "Update", id: existing.ID });
    return record;
  }

  remove(kind: ResourceKind, id: string): void {
    const existing = this.require(kind, id);
    this.collection(kind).delete(existing.ID);
    this.purgeExpiredDeletions();
    const entityType = DELETED_ENTITY_TYPE[kind];
    if (entityType !== undefined) {
      this.deleted.push({
        ID: randomUUID(),
        Timestamp: this.nextTimestamp(),
        EntityKey: existing.ID,
        EntityType: entityType,
        DeletedBy: SANDBOX_USER_ID,
        DeletedDate: this.now(),
        Division: this.division,
      });
    }
    this.emit({ kind, action: "Delete", id: existing.ID });
  }

  private require(kind: ResourceKind, id: string): StoredRecord {
    const existing = this.get(kind, id);
    if (!existing) throw new RecordNotFoundError(kind, id);
    return existing;
  }

  private collection(kind: ResourceKind): Map<string, StoredRecord> {
    const collection = this.records.get(kind);
    if (!collection) throw new Error(`unknown resource ${kind}`);
    return collection;
  }

  private purgeExpiredDeletions(): void {
    const cutoff = new Date(this.now());
    cutoff.setUTCMonth(cutoff.getUTCMonth() - DELETION_RETENTION_MONTHS);
    this.deleted = this.deleted.filter((row) => Number(row.DeletedDate) >= cutoff.getTime());
  }

  private nextTimestamp(): number {
    this.lastTimestamp += 1;
    return this.lastTimestamp;
  }

  private emit(change: RecordChange): void {
    for (const listener of this.listeners) listener(change);
  }

  private insertDefaultAccount(): void {
    const now = this.now();
    const id = EXACT_SANDBOX.defaultAccountId;
    this.collection("Accounts").set(id, {
      ID: id,
      Code: "1",
      Name: "Demo Holding BV",
      City: "Amsterdam",
      Country: "NL",
      Created: now,
      Creator: SANDBOX_USER_ID,
      Modified: now,
      Modifier: SANDBOX_USER_ID,
      Division: this.division,
      Timestamp: this.nextTimestamp(),
    });
  }
}

export class RecordNotFoundError extends Error {
  constructor(
    readonly kind: ResourceKind,
    readonly id: string,
  ) {
    super(`${kind}(${id}) does not exist`);
    this.name = "RecordNotFoundError";
  }
}
