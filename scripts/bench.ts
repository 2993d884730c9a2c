/**
 * `npm run bench`: speed as it matters here (how fast a webhook is acknowledged, how soon a change
 * shows up on the other side, how few API calls it spends, against a naive baseline), and each
 * function's bundle, measured on a local stack of the bench's own (lib/bench/run.ts).
 *
 *   npm run bench                 the readable report
 *   npm run bench -- --json       the report, then the figures as one JSON object on the last line
 *   npm run bench -- --quick      a smoke run on small counts (not figures to quote)
 *
 * Progress goes to stderr. Exits 0 whether or not every target is met (misses are printed, and
 * marked in the JSON); non-zero only when the bench itself failed.
 */
import { fileURLToPath } from "node:url";
import { formatReport, toJson } from "#lib/bench/report";
import { dropFunctionOutput } from "#lib/local/function-output";
import { FULL_RUN, QUICK_RUN, runBench } from "#lib/bench/run";

const args = process.argv.slice(2);
const unknown = args.filter((arg) => !["--json", "--quick"].includes(arg));
if (unknown.length > 0) {
  console.error(`unknown option(s): ${unknown.join(" ")} (known: --json, --quick)`);
  process.exit(2);
}

// The functions' own JSON logs and metrics are written and dropped: stdout holds the report and the JSON line only.
dropFunctionOutput();

const started = performance.now();
const progress = (message: string) =>
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}\n`);

try {
  const result = await runBench({
    ...(args.includes("--quick") ? QUICK_RUN : FULL_RUN),
    root: fileURLToPath(new URL("..", import.meta.url)),
    progress,
  });
  process.stdout.write(`\n${formatReport(result)}\n`);
  if (args.includes("--json")) process.stdout.write(`${toJson(result)}\n`);
  process.exit(0);
} catch (error) {
  console.error("the bench failed:", error);
  process.exit(1);
}
