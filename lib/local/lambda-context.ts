/**
 * The Lambda `Context` a handler receives, for invoking deployed handlers locally. Powertools
 * reads functionName, awsRequestId, invokedFunctionArn and memoryLimitInMB into every log line,
 * and code that budgets its work asks getRemainingTimeInMillis().
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";
import { LOCAL_ACCOUNT_ID, LOCAL_AWS_REGION } from "./local-aws";

export interface LambdaContextOptions {
  functionName: string;
  /** The function's configured timeout; the remaining time counts down from the invocation. */
  timeoutMs?: number;
  memoryLimitInMB?: number;
  region?: string;
  /** Clock in epoch ms, for tests. */
  now?: () => number;
}

/** The callback-style completion methods of Node.js 0.10 runtimes, which our handlers never use. */
export class LegacyContextMethodError extends Error {
  override name = "LegacyContextMethodError";
}

/** One context per invocation (each gets its own awsRequestId and deadline). */
export function createLambdaContext({
  functionName,
  timeoutMs = 30_000,
  memoryLimitInMB = 1024,
  region = process.env.AWS_REGION ?? LOCAL_AWS_REGION,
  now = Date.now,
}: LambdaContextOptions): Context {
  const deadline = now() + timeoutMs;
  const legacy = (method: string) => () => {
    throw new LegacyContextMethodError(`context.${method}() is not supported: return a promise from the handler`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: String(memoryLimitInMB),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${new Date(now()).toISOString().slice(0, 10).replaceAll("-", "/")}/[$LATEST]${randomBytes(16).toString("hex")}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: legacy("done"),
    fail: legacy("fail"),
    succeed: legacy("succeed"),
  };
}
