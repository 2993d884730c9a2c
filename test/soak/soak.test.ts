import { describe, expect, it } from "vitest";
import { formatReport } from "#lib/soak/report";
import { runSoak } from "#lib/soak/run";
import { useTestAws } from "../support/aws";

/*
 * The soak at a small scale, so every change to the engine meets it: 200 changes across all
 * three flows, every fault class in its phases (on this scale they overlap heavily), a fixed
 * seed, Exact's limits lifted. The full run is `npm run soak` (README, Reliability).
 */
describe("soak", () => {
  it("200 changes under every fault: nothing lost, duplicated or wrong, nothing left dead-lettered after one replay", async () => {
    const result = await runSoak({ changes: 200, seed: 13, fast: true, aws: useTestAws() });
    const report = formatReport(result);
    expect(result.changes, report).toBe(200);
    // The faults struck: each class acted at least once.
    for (const [fault, count] of Object.entries(result.faults)) expect(count, `${fault} never struck\n${report}`).toBeGreaterThan(0);
    expect(
      {
        lost: result.lost,
        duplicated: result.duplicated,
        wrongFields: result.wrongFields,
        unexpectedUnsyncable: result.unsyncable.unexpected,
        missingUnsyncable: result.unsyncable.missing,
        deadLetteredAfterReplay: result.deadLettered.afterReplay,
      },
      report,
    ).toEqual({ lost: 0, duplicated: 0, wrongFields: 0, unexpectedUnsyncable: 0, missingUnsyncable: 0, deadLetteredAfterReplay: 0 });
    // The workload made records the rules cannot sync, and the product recorded them so.
    expect(result.unsyncable.expected, report).toBeGreaterThan(0);
  }, 300_000);
});
