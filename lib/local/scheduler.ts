/**
 * An EventBridge schedule rule ("rate(...)") invoking a deployed handler locally. Runs never
 * overlap: a tick that comes while the previous run is still going is skipped, as the poller
 * must not race itself for Exact's call budget.
 */
import { randomUUID } from "node:crypto";
import type { Context, ScheduledEvent } from "aws-lambda";
import { createLambdaContext } from "./lambda-context";
import { LOCAL_ACCOUNT_ID, LOCAL_AWS_REGION } from "./local-aws";
import { consoleRuntimeLog, type RuntimeLog } from "./runtime-log";

export type ScheduledHandler = (event: ScheduledEvent, context: Context) => Promise<unknown>;

export interface ScheduleOptions {
  everyMs: number;
  handler: ScheduledHandler;
  /** The rule's name, in the event's `resources`; also names the function. */
  ruleName?: string;
  /** First run at once instead of after `everyMs`. */
  runOnStart?: boolean;
  functionTimeoutMs?: number;
  region?: string;
  log?: RuntimeLog;
}

export interface Schedule {
  /** No further runs; resolves when the current run (if any) has finished. */
  stop(): Promise<void>;
}

export function startSchedule({
  everyMs,
  handler,
  ruleName = "local-schedule",
  runOnStart = false,
  functionTimeoutMs,
  region = process.env.AWS_REGION ?? LOCAL_AWS_REGION,
  log = consoleRuntimeLog,
}: ScheduleOptions): Schedule {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;

  const run = async (): Promise<void> => {
    const event: ScheduledEvent = {
      version: "0",
      id: randomUUID(),
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: LOCAL_ACCOUNT_ID,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      region,
      resources: [`arn:aws:events:${region}:${LOCAL_ACCOUNT_ID}:rule/${ruleName}`],
      detail: {},
    };
    try {
      await handler(event, createLambdaContext({ functionName: ruleName, timeoutMs: functionTimeoutMs, region }));
    } catch (error) {
      log.error(`schedule: ${ruleName} run failed; the next run comes as planned`, error);
    }
  };

  // Ticks at a fixed rate from the start; while a run is going, the ticks it covers are skipped.
  const startedAt = Date.now();
  const scheduleNextTick = () => {
    if (stopped) return;
    const elapsed = Date.now() - startedAt;
    const nextTick = (Math.floor(elapsed / everyMs) + 1) * everyMs;
    timer = setTimeout(tick, nextTick - elapsed);
  };
  const tick = () => {
    current = run().finally(() => {
      current = undefined;
      scheduleNextTick();
    });
  };

  if (runOnStart) tick();
  else scheduleNextTick();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
