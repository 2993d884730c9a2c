/**
 * A backfill in a process of its own, for the test that kills one half way: the same code as
 * `syncctl backfill`, against the environment the test's stack put in process.env.
 *
 * Run: `node --import tsx test/support/backfill-process.ts <flow>`. Prints `records <n>` after
 * every page it has finished and checkpointed.
 */
import { documentClient } from "#lib/aws/clients";
import { cliConnectors } from "#lib/cli/connectors";
import { CursorStore } from "#lib/links/cursors";
import { runBackfill } from "#lib/sync/backfill";
import { syncContext } from "#lib/sync/context";

const { settings, exactonline, crmoffice } = await cliConnectors();
await runBackfill(
  { ctx: await syncContext(), exactonline, crmoffice, cursors: new CursorStore(documentClient(), settings.TABLE_NAME), division: settings.EXACT_DIVISION },
  { flows: process.argv.slice(2) },
  (progress) => process.stdout.write(`records ${progress.records}\n`),
);
process.stdout.write("done\n");
