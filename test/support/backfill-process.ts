/**
 * A backfill in a process of its own, for the test that kills one half way: the same code as
 * `syncctl backfill`, against the environment the test's stack put in process.env.
 *
 * Run: `node --import tsx test/support/backfill-process.ts <flow>`. Prints `records <n>` after
 * every page it has finished and checkpointed.
 */
import { runBackfill } from "#lib/sync/backfill";
import { backfillDeps } from "#lib/sync/context";

await runBackfill(await backfillDeps(), { flows: process.argv.slice(2) }, (progress) =>
  process.stdout.write(`records ${progress.records}\n`),
);
process.stdout.write("done\n");
