import type { Page, RecordMeta } from "./schemas";

/** The contract's list order: `modifiedAt`, then `id` (ISO UTC strings sort as times). */
function byModifiedAtThenId(a: RecordMeta, b: RecordMeta): number {
  if (a.modifiedAt !== b.modifiedAt) return a.modifiedAt < b.modifiedAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** One page (from 1) of the records in list order; a page past the end is empty. */
export function pageOf<T extends RecordMeta>(records: T[], page: number, pageSize: number): Page<T> {
  const ordered = [...records].sort(byModifiedAtThenId);
  const start = (page - 1) * pageSize;
  return { items: ordered.slice(start, start + pageSize), page, pageSize, totalCount: ordered.length };
}

/** Keeps records modified at or after `sinceMs` (≥: a resuming poller sees its last record again). */
export function modifiedSince<T extends RecordMeta>(records: T[], sinceMs: number | undefined): T[] {
  return sinceMs === undefined ? records : records.filter((record) => Date.parse(record.modifiedAt) >= sinceMs);
}
