import { describe, expect, it } from "vitest";
import { formatStatus, type StatusReport } from "#lib/cli/commands/status";
import { DELETION_LOG_KEPT_MS, staleDeletionFeed } from "#lib/poller/exact-poller";

const DAY = 86_400_000;
const now = Date.parse("2026-12-01T12:00:00Z");
const readAgo = (ms: number) => ({
  position: 40_000,
  updatedAt: new Date(now - ms - DAY).toISOString(),
  readAt: new Date(now - ms).toISOString(),
});

describe("sync/Deleted read too long ago", () => {
  it("is reported once its last read is older than the two months Exact keeps deletions", () => {
    expect(DELETION_LOG_KEPT_MS).toBe(60 * DAY);
    expect(staleDeletionFeed(readAgo(59 * DAY), now)).toBeNull();
    expect(staleDeletionFeed(readAgo(61 * DAY), now)).toEqual({ readAt: new Date(now - 61 * DAY).toISOString() });
    // A feed never read is not stale: its first read starts at the end, what is older is the backfill's.
    expect(staleDeletionFeed(null, now)).toBeNull();
  });

  it("falls back to when the position last moved for a cursor without read times", () => {
    expect(staleDeletionFeed({ position: 1, updatedAt: new Date(now - 90 * DAY).toISOString() }, now)).not.toBeNull();
  });

  it("is shown by syncctl status with what to run", () => {
    const report = {
      queueDepth: 0,
      deadLetterDepth: 0,
      linksByFlow: {},
      unsyncable: 0,
      unsyncableByFlow: {},
      decisionsLastHourByFlow: {},
      lastErrors: [],
      exactBudget: {
        minute: { used: 0, limit: 60, remaining: 60, resetAt: now },
        day: { used: 0, limit: 5000, remaining: 5000, resetAt: now },
      },
      exactConnection: null,
      exactFeeds: [],
      deletionsMayBeMissed: { lastReadAt: "2026-09-01T00:00:00.000Z" },
      environment: "local stack",
      tableName: "t",
    } satisfies StatusReport;
    const text = formatStatus(report).join("\n");
    expect(text).toContain("sync/Deleted was last read 2026-09-01T00:00:00.000Z");
    expect(text).toContain("syncctl backfill --full");
  });
});
