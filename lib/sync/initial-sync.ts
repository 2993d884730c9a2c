import { randomUUID } from "node:crypto";
import type { CrmOfficeConnector } from "#lib/connectors/crmoffice/client";
import type { ExactConnector } from "#lib/connectors/exactonline/client";
import type { ExactSyncedType } from "#lib/connectors/exactonline/resources";
import type { ChangeEvent } from "#lib/events/change-event";
import { enqueueChangeEvents } from "#lib/events/queue";
import { otherSide, SIDES, type Side } from "#lib/flows/definition";
import { FLOWS } from "#lib/flows/index";

/** The record types whose existing records a flow carries over: those of its origin sides. */
export function originTypes(side: Side): string[] {
  return [...new Set(FLOWS.filter((flow) => flow.createOn.includes(otherSide(side))).map((flow) => flow[side].type))];
}

function backfillEvent(side: Side, recordType: string, recordId: string): ChangeEvent {
  const eventId = randomUUID();
  return {
    eventId,
    correlationId: eventId,
    system: side,
    recordType,
    recordId,
    action: "upsert",
    source: "backfill",
    observedAt: new Date().toISOString(),
  } as ChangeEvent;
}

/**
 * Enqueues one change event for every existing record of every flow's origin types, read
 * through Exact's sync API (1000 rows a call) and CRMOffice's paged lists. Returns the count.
 */
export async function enqueueInitialSync(
  connectors: { exactonline: ExactConnector; crmoffice: CrmOfficeConnector },
  queueUrl: string,
): Promise<number> {
  let count = 0;
  for (const side of SIDES) {
    for (const type of originTypes(side)) {
      const pages =
        side === "exactonline"
          ? mapPages(connectors.exactonline.syncPages(type as ExactSyncedType, 1), (page) => page.rows.map((row) => row.record.id))
          : mapPages(connectors.crmoffice.listModifiedSince(type, new Date(0).toISOString()), (page) => page.map((record) => record.id));
      for await (const ids of pages) {
        await enqueueChangeEvents(queueUrl, ids.map((id) => backfillEvent(side, type, id)));
        count += ids.length;
      }
    }
  }
  return count;
}

async function* mapPages<Page>(pages: AsyncIterable<Page>, ids: (page: Page) => string[]): AsyncGenerator<string[]> {
  for await (const page of pages) yield ids(page);
}
