/**
 * The idle day's process (see idle-day.ts). `Date` is faked before anything else is loaded, so
 * every clock in this process (the poller's, its token store's and governor's, the Exact
 * sandbox's) reads the simulated day; timers and I/O stay real, so each wake's calls are real
 * HTTP and AWS SDK calls. Reports its figures to the parent over IPC, then exits.
 */
import { randomUUID } from "node:crypto";
import { install } from "@sinonjs/fake-timers";
import { EXACT_TOKEN_CALL, type IdleDayFigures, type IdleDayMessage } from "./idle-day";

const clock = install({ toFake: ["Date"], now: Date.now() });

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

async function idleDay(): Promise<IdleDayFigures> {
  const wakeMs = Number(env("IDLE_DAY_WAKE_MINUTES")) * 60_000;
  const wakes = Math.round((Number(env("IDLE_DAY_HOURS")) * 3_600_000) / wakeMs);
  // Loaded after the clock is faked: the sandbox takes its clock when it starts.
  const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
  const { SQSClient } = await import("@aws-sdk/client-sqs");
  const { useLocalAws } = await import("#lib/local/infrastructure");
  const { createQueues, createTable } = await import("#lib/local/resources");
  const { queueNames } = await import("#lib/local/defaults");
  const { localProductEnvironment } = await import("#lib/local/settings");
  const { startHttpApi } = await import("#lib/local/http-api");
  const { connectExactLikeAnOperator } = await import("#lib/local/connect");
  const { createLambdaContext } = await import("#lib/local/lambda-context");
  const { startExactSandbox } = await import("#lib/sandbox/exactonline/server");
  const { startCrmOfficeSandbox } = await import("#lib/sandbox/crmoffice/server");

  useLocalAws({ dynamoEndpoint: env("IDLE_DAY_DYNAMODB_ENDPOINT"), sqsEndpoint: env("IDLE_DAY_SQS_ENDPOINT") });
  const prefix = `bench-idle-${randomUUID().slice(0, 8)}`;
  await createTable(new DynamoDBClient({}), prefix);
  const queues = await createQueues(new SQSClient({}), {
    name: queueNames(prefix).queue,
    visibilityTimeoutSeconds: 30,
    maxReceiveCount: 5,
  });
  // Exact's own limits (60 a minute, 5,000 a day, its token lifetime): the sandbox's defaults.
  const exactSandbox = await startExactSandbox({ port: 0, seed: "none" });
  const crmofficeSandbox = await startCrmOfficeSandbox({ port: 0, seed: "none" });
  const stops: (() => Promise<void>)[] = [() => exactSandbox.stop(), () => crmofficeSandbox.stop()];
  try {
    // The deployed settings: nothing of the poller's schedule or the call budget is set, so the defaults apply.
    Object.assign(process.env, {
      ...localProductEnvironment({
        tableName: prefix,
        queueUrl: queues.queueUrl,
        exactUrl: exactSandbox.url,
        crmofficeUrl: crmofficeSandbox.url,
      }),
      DEAD_LETTER_QUEUE_URL: queues.dlqUrl,
    });
    const { start, callback } = await import("#functions/exact-authorization");
    const { handler: poller } = await import("#functions/poller");
    const api = await startHttpApi({
      port: 0,
      routes: { "GET /oauth/exactonline/start": start, "GET /oauth/exactonline/callback": callback },
      log: { error: (message, error) => process.stderr.write(`${message} ${String(error ?? "")}\n`) },
    });
    stops.push(() => api.close());
    await connectExactLikeAnOperator(api.url, prefix);

    const wake = () => poller({}, createLambdaContext({ functionName: "poller" }));
    // The first wake after a deploy places every feed's cursor; the day is the wakes after it.
    await wake();
    const exactCalls = () =>
      Object.entries(exactSandbox.stats().calls).filter(([key]) => key.includes(" /api/v1/") || key === EXACT_TOKEN_CALL);
    const before = new Map(exactCalls());
    let wakesThatCalledExact = 0;
    for (let index = 0; index < wakes; index++) {
      clock.tick(wakeMs);
      const calledBefore = exactCalls().reduce((sum, [, count]) => sum + count, 0);
      await wake();
      if (exactCalls().reduce((sum, [, count]) => sum + count, 0) > calledBefore) wakesThatCalledExact += 1;
    }
    const calls: Record<string, number> = {};
    for (const [key, count] of exactCalls()) {
      const made = count - (before.get(key) ?? 0);
      if (made > 0) calls[key] = made;
    }
    const sum = (filter: (key: string) => boolean) =>
      Object.entries(calls)
        .filter(([key]) => filter(key))
        .reduce((total, [, count]) => total + count, 0);
    return {
      exactCallsPerDay: sum((key) => key !== EXACT_TOKEN_CALL),
      tokenRefreshesPerDay: sum((key) => key === EXACT_TOKEN_CALL),
      wakes,
      wakesThatCalledExact,
      wakeMinutes: wakeMs / 60_000,
      calls,
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

const message: IdleDayMessage = await idleDay().then(
  (figures) => ({ kind: "done", figures }) as const,
  (error: unknown) => ({ kind: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) }) as const,
);
clock.uninstall();
// Exits once the parent has the message: the AWS SDK clients' keep-alive sockets would keep it alive.
process.send?.(message, () => process.exit(0));
