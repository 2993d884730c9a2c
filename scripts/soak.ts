/**
 * `npm run soak`: the whole product through a long, mixed, hostile workload on a local stack of
 * its own, then both systems' full contents compared with what they must hold (lib/soak/).
 *
 *   npm run soak                       10,000 changes at Exact's real limit of 60 calls a minute
 *   npm run soak -- --fast             the same with Exact's limits lifted
 *   npm run soak -- --changes 500 --seed 7 --json
 *
 * Progress goes to stderr; the report to stdout, then with --json one JSON line last. Exits 0
 * when the targets are met, 1 when they are not (or the soak itself failed), 2 on wrong usage.
 */
import { parseArgs } from "node:util";
import { dropFunctionOutput } from "#lib/local/function-output";
import { formatReport, targetsMet, toJson } from "#lib/soak/report";
import { runSoak } from "#lib/soak/run";

let options: { changes: number; seed: number; fast: boolean; json: boolean };
try {
  const { values } = parseArgs({
    options: {
      changes: { type: "string", default: "10000" },
      seed: { type: "string", default: "1" },
      fast: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
    strict: true,
  });
  const changes = Number(values.changes);
  const seed = Number(values.seed);
  if (!Number.isInteger(changes) || changes < 1) throw new Error(`--changes must be a positive integer, got ${values.changes}`);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got ${values.seed}`);
  options = { changes, seed, fast: values.fast, json: values.json };
} catch (error) {
  console.error(`${(error as Error).message}\nusage: npm run soak -- [--changes N] [--seed S] [--fast] [--json]`);
  process.exit(2);
}

// The functions' own JSON logs and metrics are written and dropped: stdout holds the report and the JSON line only.
dropFunctionOutput();

const started = performance.now();
const progress = (message: string) =>
  process.stderr.write(`[soak ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);

try {
  const result = await runSoak({ ...options, progress });
  process.stdout.write(`\n${formatReport(result)}\n`);
  if (options.json) process.stdout.write(`${toJson(result)}\n`);
  process.exit(targetsMet(result) ? 0 : 1);
} catch (error) {
  console.error("the soak failed:", error);
  process.exit(1);
}
