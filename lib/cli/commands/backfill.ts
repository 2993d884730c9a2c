import { EXIT, stringOption, type Command } from "#lib/cli/command";
import { UsageError } from "#lib/cli/errors";
import { count, table } from "#lib/cli/format";
import type { Io } from "#lib/cli/io";
import { BackfillProgressView, DECISION_ORDER, decisionsText, sourceName } from "#lib/cli/progress";
import { FLOWS, flowNamed } from "#lib/flows/index";
import {
  backfillSources,
  reconcileDeletions,
  runBackfill,
  SeenRecords,
  type BackfillProgress,
  type DeletionSummary,
} from "#lib/sync/backfill";
import { backfillDeps } from "#lib/sync/context";

export function summaryTable(results: readonly BackfillProgress[]): string[] {
  const kinds = DECISION_ORDER.filter((kind) => results.some((result) => result.decisions[kind]));
  const total = (pick: (result: BackfillProgress) => number) => count(results.reduce((sum, result) => sum + pick(result), 0));
  return table(
    [
      ["source", "pages", "records", ...kinds],
      ...results.map((result) => [
        `${sourceName(result)}${result.done ? "" : " (stopped)"}`,
        count(result.pages),
        count(result.records),
        ...kinds.map((kind) => count(result.decisions[kind] ?? 0)),
      ]),
      [
        "total",
        total((result) => result.pages),
        total((result) => result.records),
        ...kinds.map((kind) => total((result) => result.decisions[kind] ?? 0)),
      ],
    ],
    ["left", "right", "right", ...kinds.map(() => "right" as const)],
  );
}

function printSummary(
  io: Io,
  json: boolean,
  results: readonly BackfillProgress[],
  startedAt: number,
  interrupted: boolean,
  deletions?: DeletionSummary,
): void {
  if (json) {
    io.out(
      JSON.stringify({ interrupted, seconds: (Date.now() - startedAt) / 1000, sources: results, ...(deletions ? { deletions } : {}) }),
    );
    return;
  }
  io.out(`backfill: ${results.length} source${results.length === 1 ? "" : "s"} in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  if (results.length) io.out(summaryTable(results).join("\n"));
  if (deletions) {
    const applied = decisionsText(deletions.decisions);
    io.out(`deletions: ${count(deletions.checked)} linked records checked, ${count(deletions.gone)} gone${applied ? ` (${applied})` : ""}`);
  }
}

export const backfillCommand: Command = {
  name: "backfill",
  summary: "initial or full resync of the flows, resumable, with a progress bar",
  synopsis: "[--flow NAME] [--full] [--json]",
  details: [
    "Reads every record of the flows' origin types page by page and decides each one as the worker",
    "would (link, create, update, or nothing for records already in step). A checkpoint is kept per",
    "page: an interrupted run (Ctrl+C stops after the current page) resumes where it stopped.",
    "With --full, the records of every link are then looked for in what was read: one that is gone from its",
    "system (a lost webhook, or deletions older than Exact's two months) has its flow's delete policy applied.",
  ],
  optionHelp: [
    ["--flow NAME", `only this flow (${FLOWS.map((flow) => flow.name).join(", ")})`],
    ["--full", "forget the checkpoints, read everything again, and find records deleted on one side"],
    ["--json", "the summary as one line of JSON { interrupted, seconds, sources } (progress stays on stderr)"],
  ],
  options: { flow: { type: "string" }, full: { type: "boolean" }, json: { type: "boolean" } },
  positionals: { min: 0, max: 0 },
  interruptible: true,
  async run({ values, environment, signal }, io) {
    const flow = stringOption(values, "flow");
    if (flow !== undefined && !flowNamed(flow))
      throw new UsageError(`unknown flow "${flow}" (flows: ${FLOWS.map((known) => known.name).join(", ")})`);
    const flows = flow === undefined ? FLOWS : FLOWS.filter((known) => known.name === flow);
    await environment();
    const deps = await backfillDeps();

    const startedAt = Date.now();
    const full = values.full === true;
    const seen = full ? new SeenRecords() : undefined;
    const latest = new Map<string, BackfillProgress>();
    const view = new BackfillProgressView(io.progress, backfillSources(flows));
    view.start();
    try {
      await runBackfill(deps, { flows: flows.map((known) => known.name), restart: full, signal, seen }, (progress) => {
        latest.set(sourceName(progress), progress);
        view.update(progress);
      });
    } catch (error) {
      view.finish();
      if (!signal.aborted) throw error;
      printSummary(io, values.json === true, [...latest.values()], startedAt, true);
      io.err("backfill stopped after the current page; the next `syncctl backfill` resumes from there");
      return EXIT.interrupted;
    }
    view.finish();
    const deletions = seen
      ? await reconcileDeletions(
          deps,
          flows.map((known) => known.name),
          seen,
        )
      : undefined;
    printSummary(io, values.json === true, [...latest.values()], startedAt, false, deletions);
    return EXIT.ok;
  },
};
