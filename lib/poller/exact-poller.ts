import { randomUUID } from "node:crypto";
import type { ExactConnector, ExactSyncPage, ExactDeletedPage } from "#lib/connectors/exactonline/client";
import { EXACT_SYNCED_TYPES, type ExactSyncedType } from "#lib/connectors/exactonline/record-types";
import type { ChangeEvent } from "#lib/events/change-event";
import { flowsForRecord } from "#lib/flows/index";
import { movedSince, type Cursor, type CursorStore } from "#lib/links/cursors";
import type { LinkStore } from "#lib/links/store";
import { alreadyAgreed } from "#lib/sync/processor";

/** How often each feed is read, and how far a feed that keeps finding nothing may back off (minutes). */
export interface PollSchedule {
  /** Employees have no webhook: this read is their only path, so it never backs off. */
  employeesMinutes: number;
  /** Contacts and Items: the fallback for lost webhooks. */
  fallbackMinutes: number;
  /** `sync/Deleted`: one feed for every type. */
  deletedMinutes: number;
  /** `system/Divisions`: whether the division was moved (which renumbers every Timestamp). */
  divisionCheckMinutes: number;
  /** The longest interval a backing-off feed reaches (each empty read doubles it, from its base). */
  maxBackoffMinutes: number;
}

export interface ExactPollerDeps {
  exact: ExactConnector;
  cursors: CursorStore;
  store: LinkStore;
  division: number;
  enqueue: (events: readonly ChangeEvent[]) => Promise<void>;
  schedule: PollSchedule;
  now?: () => number;
}

export interface PollSummary {
  /** Change events enqueued, per feed. */
  enqueued: Record<string, number>;
  /** Rows already in agreement with their links (synced by a webhook): not enqueued. */
  alreadySynced: number;
  /** Feeds seen for the first time: their cursor was placed at the end, nothing enqueued. */
  initialised: string[];
  /** Feeds read this time (the others were not due). */
  read: string[];
  /** Feeds set back to the start because the division was moved after their position was taken. */
  restarted: string[];
}

/** Exact record types some flow syncs; each has a sync API feed. */
const POLLED_TYPES = EXACT_SYNCED_TYPES.filter((type) => flowsForRecord("exactonline", type).length > 0);
export const DELETED_FEED = "sync/Deleted";
const DIVISION_CHECK = "system/Divisions";
/** The first Timestamp a feed asks after (`Timestamp gt 1`), as Exact documents. */
const FEED_START = 1;
/**
 * A feed is read on the wake that comes within this long (at most half its interval) before it
 * is due, so the few seconds a wake takes never push a read to the wake after.
 */
const DUE_SLACK_MS = 60_000;
const MINUTE_MS = 60_000;
/** `sync/Deleted` keeps this long: a feed read less recently has lost deletions. */
export const DELETION_LOG_KEPT_MS = 60 * 24 * 60 * MINUTE_MS;

export const pollCursorName = (division: number, feed: string) => `poll#exactonline#${division}#${feed}`;
const syncFeedName = (type: ExactSyncedType) => `sync/${type}`;

/** Every feed the poller reads, by the name its cursor carries. */
export const POLLED_FEEDS: readonly string[] = [...POLLED_TYPES.map(syncFeedName), DELETED_FEED];

function changeEvent(recordType: ExactSyncedType, recordId: string, action: ChangeEvent["action"], now: number): ChangeEvent {
  const eventId = randomUUID();
  return {
    eventId,
    correlationId: eventId,
    system: "exactonline",
    recordType,
    recordId,
    action,
    source: "poller",
    observedAt: new Date(now).toISOString(),
  };
}

interface Feed {
  feed: string;
  baseMinutes: number;
  backsOff: boolean;
  pages: (after: number) => AsyncGenerator<{ events: ChangeEvent[]; lastTimestamp: number }>;
}

/**
 * One wake of the Exact poller. Each feed has its own interval: employees (no webhook exists for
 * them) often, `sync/Deleted` and the Contacts/Items fallbacks for lost webhooks less often, and
 * a fallback that keeps finding nothing backs off, up to a limit, until it finds something. A
 * wake that finds no feed due calls nothing, so waking often costs no Exact call and no token
 * refresh. Each feed's cursor (the largest Timestamp handled) moves only after that page's events
 * are on the queue; a feed seen for the first time starts at its end: what existed before is the
 * backfill's to sync.
 *
 * A division moved to another database has every Timestamp renumbered from 1, so a cursor taken
 * before the move would wait for ever; the division's move date is checked on its own interval
 * and such cursors restart from 1 (the rows read again are echoes: pages read, nothing written).
 */
export async function pollExact(deps: ExactPollerDeps, maxPagesPerFeed = 5): Promise<PollSummary> {
  const now = deps.now ?? Date.now;
  const summary: PollSummary = { enqueued: {}, alreadySynced: 0, initialised: [], read: [], restarted: [] };
  await checkDivisionMove(deps, now(), summary);

  const feeds: Feed[] = [
    ...POLLED_TYPES.map((type) => ({
      feed: syncFeedName(type),
      baseMinutes: type === "employee" ? deps.schedule.employeesMinutes : deps.schedule.fallbackMinutes,
      backsOff: type !== "employee",
      pages: (after: number) =>
        mapPages(deps.exact.syncPages(type, after), async (page: ExactSyncPage) => {
          const changed: ChangeEvent[] = [];
          for (const row of page.rows) {
            if (await alreadyAgreed({ side: "exactonline", type, id: row.record.id }, row.record, deps.store)) summary.alreadySynced += 1;
            else changed.push(changeEvent(type, row.record.id, "upsert", now()));
          }
          return { events: changed, lastTimestamp: page.lastTimestamp };
        }),
    })),
    {
      feed: DELETED_FEED,
      baseMinutes: deps.schedule.deletedMinutes,
      backsOff: true,
      pages: (after: number) =>
        mapPages(deps.exact.deletedPages(after), async (page: ExactDeletedPage) => {
          const deleted: ChangeEvent[] = [];
          for (const row of page.rows) {
            if (!(POLLED_TYPES as readonly string[]).includes(row.type)) continue;
            // Not linked in any flow (never was, or unlinked already): nothing to do, and no Exact read to spend on it.
            if ((await deps.store.referencesOf({ side: "exactonline", type: row.type, id: row.id })).length === 0)
              summary.alreadySynced += 1;
            else deleted.push(changeEvent(row.type, row.id, "delete", now()));
          }
          return { events: deleted, lastTimestamp: page.lastTimestamp };
        }),
    },
  ];

  for (const feed of feeds) {
    const name = pollCursorName(deps.division, feed.feed);
    const cursor = await deps.cursors.read(name);
    if (!isDue(cursor, now())) continue;
    summary.read.push(feed.feed);
    let position = cursor?.position ?? null;
    const initialising = position === null;
    // Before the first page is asked for: a division move during this read postdates it.
    const readStartedAt = new Date().toISOString();
    let pagesRead = 0;
    let enqueued = 0;
    for await (const page of feed.pages(position ?? FEED_START)) {
      if (!initialising) {
        await deps.enqueue(page.events);
        enqueued += page.events.length;
      }
      if (page.lastTimestamp !== position) {
        await deps.cursors.advance(name, position, page.lastTimestamp, readStartedAt);
        position = page.lastTimestamp;
      }
      if (!initialising && ++pagesRead >= maxPagesPerFeed) break;
    }
    if (initialising) summary.initialised.push(feed.feed);
    else summary.enqueued[feed.feed] = enqueued;
    // Something to sync, or pages left: read again at the next wake, there may be more where it came from.
    const busy = enqueued > 0 || pagesRead >= maxPagesPerFeed;
    const emptyReads = busy ? 0 : (cursor?.emptyReads ?? 0) + 1;
    const intervalMinutes = busy ? 0 : nextInterval(feed, emptyReads, deps.schedule);
    await deps.cursors.recordRead(name, {
      readAt: new Date(now()).toISOString(),
      nextReadAt: dueAfter(now(), intervalMinutes),
      emptyReads,
    });
  }
  return summary;
}

function isDue(cursor: Cursor | null, now: number): boolean {
  return cursor?.nextReadAt === undefined || cursor.nextReadAt <= now;
}

/** When a feed read at `now` is next due, `minutes` on, less the slack. */
function dueAfter(now: number, minutes: number): number {
  const interval = minutes * MINUTE_MS;
  return now + interval - Math.min(DUE_SLACK_MS, interval / 2);
}

/** The base interval, doubled for each empty read after the first, up to the limit. */
function nextInterval(feed: Feed, emptyReads: number, schedule: PollSchedule): number {
  if (!feed.backsOff || emptyReads <= 1) return feed.baseMinutes;
  return Math.min(schedule.maxBackoffMinutes, feed.baseMinutes * 2 ** (emptyReads - 1));
}

/**
 * Reads the division's move date when due; every feed whose position was taken before it starts
 * over from 1. The check's own cursor holds the move date last seen (epoch ms, 0: never moved).
 */
async function checkDivisionMove(deps: ExactPollerDeps, now: number, summary: PollSummary): Promise<void> {
  const name = pollCursorName(deps.division, DIVISION_CHECK);
  const check = await deps.cursors.read(name);
  if (!isDue(check, now)) return;
  const movedAt = (await deps.exact.division())?.movedAt ?? null;
  const moved = movedAt === null ? 0 : Date.parse(movedAt);
  for (const feed of POLLED_FEEDS) {
    const feedName = pollCursorName(deps.division, feed);
    const cursor = await deps.cursors.read(feedName);
    if (cursor && movedSince(cursor, moved)) {
      await deps.cursors.restart(feedName, FEED_START, new Date(moved).toISOString());
      // Due at once: after a move, the feeds have been silent since it.
      await deps.cursors.recordRead(feedName, { readAt: cursor.readAt ?? cursor.updatedAt, nextReadAt: now, emptyReads: 0 });
      summary.restarted.push(feed);
    }
  }
  if (check?.position !== moved) await deps.cursors.advance(name, check?.position ?? null, moved);
  await deps.cursors.recordRead(name, {
    readAt: new Date(now).toISOString(),
    nextReadAt: dueAfter(now, deps.schedule.divisionCheckMinutes),
    emptyReads: 0,
  });
}

/** Feeds whose last complete read is older than Exact keeps deletions: deletions may have been missed. */
export function staleDeletionFeed(cursor: Cursor | null, now: number): { readAt: string } | null {
  if (!cursor) return null;
  const readAt = cursor.readAt ?? cursor.updatedAt;
  return now - Date.parse(readAt) > DELETION_LOG_KEPT_MS ? { readAt } : null;
}

async function* mapPages<Page, Mapped>(pages: AsyncIterable<Page>, map: (page: Page) => Promise<Mapped>): AsyncGenerator<Mapped> {
  for await (const page of pages) yield await map(page);
}
