/**
 * The webhook function in a process of its own, as a Lambda container runs it: started by
 * lib/bench/ingest.ts with `fork`, the stack's settings in its environment and EVENTS_QUEUE_URL
 * pointing at a queue no worker reads (so the bench's thousands of notifications cost no sync
 * work), driven over the IPC channel:
 *
 * - `{ cmd: "inProcess", bodies, concurrency, warmup }`: invokes the handler directly with an
 *   API Gateway v2 event per body, `concurrency` at a time, and answers each invocation's time;
 * - `{ cmd: "sqsOnly", bodies, concurrency }`: only the enqueue, a SendMessage per body through the
 *   same SQS client the function uses (to tell the function's own cost from the SDK call's);
 * - `{ cmd: "http" }`: starts the local stack's HTTP API adapter in front of the same handler
 *   and answers its URL; the parent sends the requests;
 * - `{ cmd: "cpu" }`: answers the CPU time this process has used so far;
 * - `{ cmd: "stop" }`: closes the server and exits.
 *
 * Its stdout (the functions' JSON logs and EMF metrics, written as in Lambda) goes nowhere.
 */
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { handler } from "#functions/webhook-exactonline";
import { sqsClient } from "#lib/aws/sqs";
import { createLambdaContext } from "#lib/local/lambda-context";
import { startHttpApi } from "#lib/local/http-api";
import { LOCAL_ACCOUNT_ID } from "#lib/local/local-aws";

export const WEBHOOK_ROUTE = "POST /webhooks/exactonline";

export type IngestCommand =
  | { cmd: "inProcess"; bodies: string[]; concurrency: number; warmup: number }
  | { cmd: "sqsOnly"; bodies: string[]; concurrency: number; warmup: number }
  | { cmd: "http" }
  | { cmd: "cpu" }
  | { cmd: "stop" };
export interface RunAnswer {
  latenciesMs: number[];
  wallMs: number;
  /** CPU time (user + system) this process spent during the measured run, µs. */
  cpuUs: number;
  errors: number;
  firstError?: string;
}
export type IngestAnswer =
  | ({ kind: "inProcess" } & RunAnswer)
  | ({ kind: "sqsOnly" } & RunAnswer)
  | { kind: "http"; url: string }
  | { kind: "cpu"; cpuUs: number }
  | { kind: "error"; message: string };

/** The event API Gateway (payload format 2.0) hands the function for a webhook POST. */
export function webhookEvent(body: string, now = new Date()): APIGatewayProxyEventV2 {
  const rawPath = "/webhooks/exactonline";
  return {
    version: "2.0",
    routeKey: WEBHOOK_ROUTE,
    rawPath,
    rawQueryString: "",
    headers: {
      "content-type": "application/json; charset=utf-8",
      "content-length": String(Buffer.byteLength(body)),
      host: "bench.local",
      "user-agent": "exact-webhooks",
      "x-forwarded-for": "127.0.0.1",
      "x-forwarded-proto": "https",
    },
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: "bench",
      domainName: "bench.local",
      domainPrefix: "bench",
      http: { method: "POST", path: rawPath, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "exact-webhooks" },
      requestId: `bench-${now.getTime()}-${Math.random().toString(36).slice(2, 10)}`,
      routeKey: WEBHOOK_ROUTE,
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body,
    isBase64Encoded: false,
  };
}

/** Runs `work` once per item, `concurrency` at a time, timing each; `work` answers an error text or nothing. */
async function timeEach<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<string | undefined>): Promise<RunAnswer> {
  const latenciesMs = new Array<number>(items.length);
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        const begin = performance.now();
        let error: string | undefined;
        try {
          error = await work(items[index] as T);
        } catch (thrown) {
          error = String(thrown);
        }
        latenciesMs[index] = performance.now() - begin;
        if (error !== undefined) {
          errors += 1;
          firstError ??= error;
        }
      }
    }),
  );
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { latenciesMs, wallMs, cpuUs: cpu.user + cpu.system, errors, ...(firstError ? { firstError } : {}) };
}

/** One invocation as Lambda makes it: the event (built beforehand, as API Gateway builds it) and a fresh context. */
async function invoke(event: APIGatewayProxyEventV2): Promise<string | undefined> {
  const result = (await handler(
    event,
    createLambdaContext({ functionName: "webhookExactonline", timeoutMs: 10_000 }),
  )) as APIGatewayProxyStructuredResultV2;
  return result.statusCode === 202 ? undefined : `status ${result.statusCode}: ${String(result.body)}`;
}

async function sendOnly(body: string): Promise<undefined> {
  await sqsClient().send(new SendMessageCommand({ QueueUrl: process.env.EVENTS_QUEUE_URL, MessageBody: body }));
  return undefined;
}

let server: Awaited<ReturnType<typeof startHttpApi>> | undefined;

async function handle(command: IngestCommand): Promise<IngestAnswer | undefined> {
  switch (command.cmd) {
    case "inProcess": {
      const events = command.bodies.map((body) => webhookEvent(body));
      await timeEach(events.slice(0, command.warmup), command.concurrency, invoke);
      return { kind: "inProcess", ...(await timeEach(events.slice(command.warmup), command.concurrency, invoke)) };
    }
    case "sqsOnly": {
      await timeEach(command.bodies.slice(0, command.warmup), command.concurrency, sendOnly);
      return { kind: "sqsOnly", ...(await timeEach(command.bodies.slice(command.warmup), command.concurrency, sendOnly)) };
    }
    case "http": {
      server ??= await startHttpApi({
        port: 0,
        routes: { [WEBHOOK_ROUTE]: handler },
        log: { error: (message) => process.stderr.write(`${message}\n`) },
      });
      return { kind: "http", url: server.url };
    }
    case "cpu": {
      const cpu = process.cpuUsage();
      return { kind: "cpu", cpuUs: cpu.user + cpu.system };
    }
    case "stop": {
      await server?.close();
      process.exit(0);
    }
  }
}

if (process.send) {
  process.on("message", (command: IngestCommand) => {
    handle(command)
      .then((answer) => answer && process.send?.(answer))
      .catch((error: unknown) => process.send?.({ kind: "error", message: String(error) } satisfies IngestAnswer));
  });
  process.on("disconnect", () => process.exit(0));
}
