import { describe, expect, it } from "vitest";
import { createLambdaContext, LegacyContextMethodError } from "#lib/local/lambda-context";

describe("createLambdaContext", () => {
  it("describes the function the way Lambda does", () => {
    const context = createLambdaContext({ functionName: "sync-worker", region: "eu-west-1", memoryLimitInMB: 512 });
    expect(context).toMatchObject({
      functionName: "sync-worker",
      functionVersion: "$LATEST",
      invokedFunctionArn: "arn:aws:lambda:eu-west-1:000000000000:function:sync-worker",
      memoryLimitInMB: "512",
      logGroupName: "/aws/lambda/sync-worker",
    });
    expect(context.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(createLambdaContext({ functionName: "sync-worker" }).awsRequestId).not.toBe(context.awsRequestId);
  });

  it("counts the remaining time down from the timeout, never below zero", () => {
    let now = 1_000_000;
    const context = createLambdaContext({ functionName: "f", timeoutMs: 30_000, now: () => now });
    expect(context.getRemainingTimeInMillis()).toBe(30_000);
    now += 12_500;
    expect(context.getRemainingTimeInMillis()).toBe(17_500);
    now += 60_000;
    expect(context.getRemainingTimeInMillis()).toBe(0);
  });

  it("refuses the legacy callback methods instead of silently ignoring them", () => {
    const context = createLambdaContext({ functionName: "f" });
    expect(() => context.succeed("done")).toThrow(LegacyContextMethodError);
  });
});
