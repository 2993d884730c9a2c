import type { ScheduledEvent } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import type { RuntimeLog } from "#lib/local/runtime-log";
import { startSchedule, type Schedule } from "#lib/local/scheduler";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("startSchedule", () => {
  let schedule: Schedule | undefined;
  afterEach(async () => {
    await schedule?.stop();
    schedule = undefined;
  });

  it("never runs twice at once, even when a run outlasts the interval", async () => {
    let active = 0;
    let mostAtOnce = 0;
    let runs = 0;
    schedule = startSchedule({
      everyMs: 20,
      runOnStart: true,
      handler: async () => {
        active++;
        mostAtOnce = Math.max(mostAtOnce, active);
        await pause(70);
        active--;
        runs++;
      },
    });
    await expect.poll(() => runs, { timeout: 2_000 }).toBeGreaterThanOrEqual(3);
    expect(mostAtOnce).toBe(1);
  });

  it("invokes the handler with an EventBridge scheduled event", async () => {
    const events: ScheduledEvent[] = [];
    schedule = startSchedule({
      everyMs: 10,
      ruleName: "exact-poller",
      region: "eu-west-1",
      handler: async (event) => void events.push(event),
    });
    await expect.poll(() => events.length).toBeGreaterThanOrEqual(1);
    expect(events[0]).toMatchObject({
      version: "0",
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: "000000000000",
      region: "eu-west-1",
      resources: ["arn:aws:events:eu-west-1:000000000000:rule/exact-poller"],
      detail: {},
    });
    expect(events[0]!.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
  });

  it("logs a run that throws and keeps to the schedule", async () => {
    const logged: string[] = [];
    const log: RuntimeLog = { error: (message) => logged.push(message) };
    let runs = 0;
    schedule = startSchedule({
      everyMs: 10,
      log,
      handler: async () => {
        runs++;
        if (runs === 1) throw new Error("Exact is down");
      },
    });
    await expect.poll(() => runs).toBeGreaterThanOrEqual(3);
    expect(logged).toEqual([expect.stringContaining("run failed")]);
  });

  it("stop() waits for the current run and no run starts after it", async () => {
    let started = 0;
    let finished = 0;
    schedule = startSchedule({
      everyMs: 10,
      runOnStart: true,
      handler: async () => {
        started++;
        await pause(100);
        finished++;
      },
    });
    await expect.poll(() => started).toBe(1);
    await schedule.stop();
    expect(finished).toBe(1);
    await pause(50);
    expect(started).toBe(1);
  });

  it("waits one interval before the first run unless runOnStart", async () => {
    let runs = 0;
    schedule = startSchedule({ everyMs: 400, handler: async () => void runs++ });
    await pause(100);
    expect(runs).toBe(0);
    await expect.poll(() => runs, { timeout: 2_000 }).toBe(1);
  });
});
