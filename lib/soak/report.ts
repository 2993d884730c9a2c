/** The soak's readable report, its one-line JSON, and whether it met the targets. */
import { EXACT_REAL_LIMIT } from "./stack";
import type { SoakResult } from "./run";
import type { WrongRecord } from "./verify";

/** The issue's targets: nothing lost, duplicated or wrong, nothing unsyncable that should not be, nothing left dead-lettered. */
export function targetsMet(result: SoakResult): boolean {
  return (
    result.lost === 0 &&
    result.duplicated === 0 &&
    result.wrongFields === 0 &&
    result.unsyncable.unexpected === 0 &&
    result.unsyncable.missing === 0 &&
    result.deadLettered.afterReplay === 0 &&
    result.wrong.length === 0
  );
}

const minutes = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;

/** How long Exact's real budget (60 calls a minute, 5,000 a day) needs for the product's calls of this run. */
export function realLimitEstimate(result: SoakResult): { minutes: number; days: number } {
  return {
    minutes: Math.ceil(result.exactCalls / EXACT_REAL_LIMIT.perMinute),
    days: Math.round((result.exactCalls / EXACT_REAL_LIMIT.perDay) * 10) / 10,
  };
}

export function formatReport(result: SoakResult, { maxWrong = 20 } = {}): string {
  const estimate = realLimitEstimate(result);
  const lines = [
    `Soak: ${result.changes} changes, seed ${result.seed}, ${result.fast ? "--fast (Exact's limits lifted)" : "Exact's real limit (60 calls a minute)"}`,
    `  took ${minutes(result.durationMs)} (workload ${minutes(result.phasesMs.workload)}, then quiet, replay and quiet again ${minutes(result.phasesMs.settle)})`,
    `  ${result.entities} entities in ${Object.values(result.scenarios).reduce((sum, n) => sum + n, 0)} scenarios: ${Object.entries(
      result.scenarios,
    )
      .map(([name, n]) => `${name} ${n}`)
      .join(", ")}`,
    `  faults: ${Object.entries(result.faults)
      .map(([name, n]) => `${name} ${n}`)
      .join(", ")}`,
    "",
    `  lost ${result.lost}, duplicated ${result.duplicated}, wrong fields ${result.wrongFields}`,
    `  unsyncable: ${result.unsyncable.expected} expected, ${result.unsyncable.unexpected} unexpected, ${result.unsyncable.missing} expected but not recorded`,
    `  dead-lettered: ${result.deadLettered.beforeReplay} before the replay, ${result.deadLettered.afterReplay} after it`,
    `  edits overwritten by a write of the product's already in flight (known limit, both systems agree): ${result.overwrittenInFlight.length} records`,
    `  the product's API calls: Exact ${result.exactCalls} (${(result.exactCalls / Math.max(1, result.changes)).toFixed(2)} a change), CRMOffice ${result.crmofficeCalls}; the people's own: Exact ${result.soakCalls.exactonline}, CRMOffice ${result.soakCalls.crmoffice}`,
    `  at Exact's real 60 calls a minute the product's Exact calls alone need ${estimate.minutes} min (${estimate.days} days of its 5,000 a day)`,
    `  edits that overlapped a write of the product's: ${result.races}; steps never seen synced: ${result.notSettled}; calls the people retried: ${result.retriedBySoak}; scenarios stopped by the people's own failed calls: ${result.soakFailures.length}`,
    "",
    targetsMet(result)
      ? "  targets met: 0 lost, 0 duplicated, 0 wrong, 0 unexpected unsyncable, 0 dead letters after one replay"
      : "  TARGETS MISSED",
  ];
  if (result.wrong.length > 0) {
    lines.push("", `  wrong records (${result.wrong.length}${result.wrong.length > maxWrong ? `, first ${maxWrong}` : ""}):`);
    for (const wrong of result.wrong.slice(0, maxWrong)) {
      lines.push(`  - ${wrong.entity}: ${wrong.side} ${wrong.kind} ${wrong.id ?? "(not found)"}: ${wrong.problem}`);
      if (wrong.expected) lines.push(`      expected ${JSON.stringify(wrong.expected)}`);
      if (wrong.actual) lines.push(`      actual   ${JSON.stringify(wrong.actual)}`);
      lines.push(...historyLines(wrong.history));
    }
  }
  if (result.overwrittenInFlight.length > 0) {
    lines.push("", `  overwritten in flight (${result.overwrittenInFlight.length}):`);
    for (const record of result.overwrittenInFlight.slice(0, maxWrong)) {
      lines.push(`  - ${record.entity}: ${record.side} ${record.kind} ${record.id ?? ""}: ${record.problem}`);
      lines.push(
        `      expected ${JSON.stringify(record.expected)}`,
        `      actual   ${JSON.stringify(record.actual)}`,
        ...historyLines(record.history),
      );
    }
  }
  if (result.slow.length > 0) {
    lines.push("", `  steps never seen synced before their scenario gave up (${result.notSettled}, first ${result.slow.length}):`);
    for (const slow of result.slow) lines.push(`  - ${slow.entity}`, ...historyLines(slow.history));
  }
  return lines.join("\n");
}

function historyLines(history: WrongRecord["history"]): string[] {
  const lines: string[] = [];
  for (const entry of history.soak) {
    lines.push(
      `      ${entry.at} soak: ${entry.what}${entry.side ? ` in ${entry.side}` : ""}${entry.id ? ` ${entry.id}` : ""}${entry.values ? ` ${JSON.stringify(entry.values)}` : ""}`,
    );
  }
  for (const decision of history.product) {
    lines.push(
      `      ${decision.at} product: ${decision.flow} ${decision.kind} ${decision.record.side} ${decision.record.id}${decision.fields ? ` wrote ${JSON.stringify(decision.fields)}` : ""}${decision.conflicts ? ` conflicts ${JSON.stringify(decision.conflicts)}` : ""}${decision.reason ? ` (${decision.reason})` : ""}`,
    );
  }
  return lines;
}

/** The result as one line of JSON (the acceptance checks read its names). */
export function toJson(result: SoakResult): string {
  return JSON.stringify({ ...result, targetsMet: targetsMet(result), realLimit: realLimitEstimate(result) });
}
