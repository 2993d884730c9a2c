/**
 * The division's data in memory. Every change stamps the record with the division's next
 * row version (`Timestamp`, one counter for everything, as the sync API needs), fills the
 * audit fields, records deletions for `sync/Deleted`, and tells listeners (webhooks).
 */
import { randomUUID } from "node:crypto";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { DELETED_ENTITY_TYPE } from "./model";
import type { ResourceKind, StoredRecord, StoredValue } from "./model";

/** The user every change is attributed to (Creator, Modifier, DeletedBy, Me.UserID). */
export const SANDBOX_USER_ID = "0c5f3b2a-8e41-4d7c-b6a9-3e2d1f0a9b84";

/** Row versions start well above 1, so the documented first call (`Timestamp gt 1`) sees everything. */
const FIRST_TIMESTAMP = 10_000;

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

  /** Empties every collection but keeps the default Account. Row versions keep counting up. */
  clear(): void {
    for (const kind of ["Accounts", "Contacts", "Items", "Employees"] as const) this.records.set(kind, new Map());
    this.deleted = [];
    this.insertDefaultAccount();
  }

  list(kind: ResourceKind): StoredRecord[] {
    return [...this.collection(kind).values()];
  }

  get(kind: ResourceKind, id: string): StoredRecord | undefined {
    return this.collection(kind).get(id.toLowerCase());
  }

  deletedRows(): StoredRecord[] {
    return [...this.deleted];
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
