import { documentClient } from "#lib/aws/dynamodb";
import { connectorsFromEnvironment } from "#lib/config/connectors";
import { CursorStore } from "#lib/links/cursors";
import { LinkStore } from "#lib/links/store";
import type { BackfillDeps } from "#lib/sync/backfill";
import { SyncLog } from "#lib/links/sync-log";
import type { SyncContext } from "#lib/sync/processor";
import { once } from "#lib/util/once";

/** Everything the worker needs, built once per Lambda container from settings and secrets. */
export const syncContext = once(async (): Promise<SyncContext> => {
  const { settings: config, exactonline, crmoffice } = await connectorsFromEnvironment(process.env, { reportBudget: true });
  const db = documentClient();
  return {
    store: new LinkStore(db, config.TABLE_NAME),
    log: new SyncLog(db, config.TABLE_NAME, config.SYNC_LOG_RETENTION_DAYS),
    connectors: { exactonline, crmoffice },
    settings: { EXACT_DEFAULT_ACCOUNT_ID: config.EXACT_DEFAULT_ACCOUNT_ID, propagateDeletes: config.PROPAGATE_DELETES },
    now: Date.now,
    // A claimed create (or a write reservation) belongs to its worker this long; past it, a retry may take it over.
    createLeaseMs: config.SYNC_LEASE_MS,
  };
});

/** What a backfill needs, from the same environment (syncctl, the local stack's demo sync). */
export async function backfillDeps(): Promise<BackfillDeps> {
  const { settings: config, exactonline, crmoffice } = await connectorsFromEnvironment();
  return {
    ctx: await syncContext(),
    exactonline,
    crmoffice,
    cursors: new CursorStore(documentClient(), config.TABLE_NAME),
    division: config.EXACT_DIVISION,
  };
}
