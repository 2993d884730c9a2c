import { documentClient } from "#lib/aws/clients";
import { crmOfficeConfig, exactConfig } from "#lib/config/connectors";
import { loadSecrets } from "#lib/config/secrets";
import { settings } from "#lib/config/settings";
import { createCrmOfficeConnector } from "#lib/connectors/crmoffice/client";
import { createExactConnector } from "#lib/connectors/exactonline/client";
import { LinkStore } from "#lib/links/store";
import { SyncLog } from "#lib/links/sync-log";
import type { SyncContext } from "#lib/sync/processor";
import { once } from "#lib/util/once";

/** Everything the worker needs, built once per Lambda container from settings and secrets. */
export const syncContext = once(async (): Promise<SyncContext> => {
  const config = settings();
  const secrets = await loadSecrets();
  const db = documentClient();
  return {
    store: new LinkStore(db, config.TABLE_NAME),
    log: new SyncLog(db, config.TABLE_NAME, config.SYNC_LOG_RETENTION_DAYS),
    connectors: {
      exactonline: createExactConnector(exactConfig(config, secrets, { reportBudget: true })),
      crmoffice: createCrmOfficeConnector(crmOfficeConfig(config, secrets)),
    },
    settings: { EXACT_DEFAULT_ACCOUNT_ID: config.EXACT_DEFAULT_ACCOUNT_ID, propagateDeletes: config.PROPAGATE_DELETES },
    now: Date.now,
    // A claimed create (or a write reservation) belongs to its worker this long; past it, a retry may take it over.
    createLeaseMs: config.SYNC_LEASE_MS,
  };
});
