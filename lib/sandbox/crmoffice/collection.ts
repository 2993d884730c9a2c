import type { MonotonicClock } from "./clock";
import type { IdSequence } from "./ids";
import type { RecordMeta } from "./schemas";

/**
 * One kind of record kept in memory: assigns ids and write times. Records go in and out as
 * copies, so nobody holding a returned record can change what is stored.
 */
export class RecordCollection<F extends object> {
  private readonly records = new Map<string, RecordMeta & F>();

  constructor(
    private readonly kind: string,
    private readonly ids: IdSequence,
    private readonly clock: MonotonicClock,
  ) {}

  get(id: string): (RecordMeta & F) | undefined {
    const record = this.records.get(id);
    return record && structuredClone(record);
  }

  has(id: string): boolean {
    return this.records.has(id);
  }

  all(): (RecordMeta & F)[] {
    return [...this.records.values()].map((record) => structuredClone(record));
  }

  create(fields: F): RecordMeta & F {
    const writtenAt = this.clock.nextWriteTime();
    return this.store({ id: this.ids.next(this.kind), ...fields, createdAt: writtenAt, modifiedAt: writtenAt });
  }

  /** Replaces every writable field; undefined when there is no such record. */
  replace(id: string, fields: F): (RecordMeta & F) | undefined {
    const current = this.records.get(id);
    if (!current) return undefined;
    return this.store({ id, ...fields, createdAt: current.createdAt, modifiedAt: this.clock.nextWriteTime() });
  }

  /** The deletion time, or undefined when there was no such record. */
  delete(id: string): string | undefined {
    return this.records.delete(id) ? this.clock.nextWriteTime() : undefined;
  }

  clear(): void {
    this.records.clear();
  }

  private store(record: RecordMeta & F): RecordMeta & F {
    this.records.set(record.id, structuredClone(record));
    return record;
  }
}
