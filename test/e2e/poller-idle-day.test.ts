import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { measureIdleDay, readPollerWakeMinutes } from "#lib/bench/idle-day";
import { useTestAws } from "../support/aws";

/*
 * The poller's defaults are a budget promise: a day of scheduled wakes with nothing changing
 * costs at most 250 of Exact's 5,000 daily calls and at most 100 of its 200 daily token
 * refreshes, and still reads the employees (who have no webhook) every 15 minutes. The deployed
 * handler runs through the day on a simulated clock against the Exact sandbox, which counts the
 * calls (the same run as the bench's `idle` figures).
 */
it("a quiet day at the default schedule costs at most 250 Exact calls and 100 token refreshes", { timeout: 180_000 }, async () => {
  const { dynamoEndpoint, sqsEndpoint } = useTestAws();
  const wakeMinutes = readPollerWakeMinutes(readFileSync(new URL("../../serverless.yml", import.meta.url), "utf8"));
  const day = await measureIdleDay({ dynamoEndpoint, sqsEndpoint, wakeMinutes });

  expect(day.wakes).toBe((24 * 60) / wakeMinutes);
  expect(day.exactCallsPerDay).toBeLessThanOrEqual(250);
  expect(day.tokenRefreshesPerDay).toBeLessThanOrEqual(100);
  const employeeReads = Object.entries(day.calls)
    .filter(([key]) => key.endsWith("/sync/Payroll/Employees"))
    .reduce((sum, [, count]) => sum + count, 0);
  expect(employeeReads).toBeGreaterThanOrEqual((24 * 60) / 15);
});
