import { randomUUID } from "node:crypto";
import type { ExactConnector } from "#lib/connectors/exactonline/client";
import type { ExactSyncedType } from "#lib/connectors/exactonline/resources";
import type { ChangeEvent } from "#lib/events/change-event";
import { flowsForRecord } from "#lib/flows/index";
import type { CursorStore } from "#lib/links/cursors";
import type { LinkStore } from "#lib/links/store";
import { alreadyAgreed } from "#lib/sync/processor";

export interface ExactPollerDeps {
  exact: ExactConnector;
  cursors: CursorStore;
  store: LinkStore;
  division: number;
  enqueue: (events: readonly ChangeEvent[]) => Promise<void>;
}

export interface PollSummary {
  /** Change events enqueued, per feed. */
  enqueued: Record<string, number>;
  /** Rows already in agreement with their links (synced by a webhook): not enqueued. */
  alreadySynced: number;
  /** Feeds seen for the first time: their cursor was placed at the end, nothing enqueued. */
  initialised: string[];
}

/** Exact record types some flow syncs; each has a sync API feed. */
const POLLED_TYPES = (["employee", "contact", "item"] as const).filter((type) => flowsForRecord("exactonline", type).length > 0);
const DELETED_FEED = "sync/Deleted";
/** The feeds one poll reads, in order (the names of their cursors). */
export const POLLED_FEEDS: readonly string[] = [...POLLED_TYPES.map((type) => `sync/${type}`), DELETED_FEED];

export const pollCursorName = (division: number, feed: string) => `poll#exactonline#${division}#${feed}`;

function changeEvent(recordType: ExactSyncedType, recordId: string, action: ChangeEvent["action"]): ChangeEvent {
  const eventId = randomUUID();
  return {
    eventId,
    correlationId: eventId,
    system: "exactonline",
    recordType,
    recordId,
    action,
    source: "poller",
    observedAt: new Date().toISOString(),
  };
}

/**
 * One poll of Exact's sync API: employees (no webhook exists for them), and contacts and items
 * as the fallback for lost webhooks, plus `sync/Deleted`. Each feed's cursor (the largest
 * Timestamp handled) moves only after that page's events are on the queue. A feed seen for the
 * first time starts at its end: what existed before is the backfill's to sync.
 */
export async function pollExact(deps: ExactPollerDeps, maxPagesPerFeed = 5): Promise<PollSummary> {
  const summary: PollSummary = { enqueued: {}, alreadySynced: 0, initialised: [] };
  const feeds = [
    ...POLLED_TYPES.map((type) => ({
      feed: `sync/${type}`,
      pages: (after: number) =>
        mapPages(deps.exact.syncPages(type, after), async (page) => {
          const changed = [];
          for (const row of page.rows) {
            if (await alreadyAgreed({ side: "exactonline", type, id: row.record.id }, row.record, deps.store)) summary.alreadySynced += 1;
            else changed.push(changeEvent(type, row.record.id, "upsert"));
          }
          return { events: changed, lastTimestamp: page.lastTimestamp };
        }),
    })),
    {
      feed: DELETED_FEED,
      pages: (after: number) =>
        mapPages(deps.exact.deletedPages(after), async (page) => ({
          events: page.rows
            .filter((row) => POLLED_TYPES.includes(row.type as (typeof POLLED_TYPES)[number]))
            .map((row) => changeEvent(row.type, row.id, "delete")),
          lastTimestamp: page.lastTimestamp,
        })),
    },
  ];

  for (const { feed, pages } of feeds) {
    const name = pollCursorName(deps.division, feed);
    let position = (await deps.cursors.read(name))?.position ?? null;
    const initialising = position === null;
    let pagesRead = 0;
    for await (const page of pages(position ?? 1)) {
      if (!initialising) {
        await deps.enqueue(page.events);
        summary.enqueued[feed] = (summary.enqueued[feed] ?? 0) + page.events.length;
      }
      if (page.lastTimestamp !== position) {
        await deps.cursors.advance(name, position, page.lastTimestamp);
        position = page.lastTimestamp;
      }
      if (!initialising && ++pagesRead >= maxPagesPerFeed) break;
    }
    if (initialising) summary.initialised.push(feed);
  }
  return summary;
}

async function* mapPages<Page, Mapped>(pages: AsyncIterable<Page>, map: (page: Page) => Promise<Mapped>): AsyncGenerator<Mapped> {
  for await (const page of pages) yield await map(page);
}
