/**
 * Ingest: how fast a webhook is acknowledged. The Exact webhook function (signature check,
 * validation, enqueue to the real local SQS emulator) runs in a process of its own
 * (ingest-worker.ts), fed Exact notifications signed as the Exact sandbox signs them:
 *
 * - in-process: the handler invoked directly with API Gateway v2 events, `concurrency` at a time;
 * - over HTTP: the same handler behind the local stack's HTTP API adapter (lib/local/http-api.ts),
 *   sent from this process over keep-alive connections, `concurrency` requests at a time.
 *
 * Timing covers the invocation (or the request) only: bodies are signed beforehand, as the sender
 * signs them. The queue is a bench queue no worker reads, deleted afterwards.
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { CreateQueueCommand, DeleteQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { notificationBody } from "#lib/sandbox/exactonline/webhooks";
import type { IngestAnswer, IngestCommand } from "./ingest-worker";
import { round, summarize, type IngestDiagnosis, type IngestFigures } from "./report";

export interface IngestOptions {
  /** Measured invocations per mode (after the warm-up). */
  invocations: number;
  warmup: number;
  inProcessConcurrency: number;
  httpConcurrency: number;
  /** The stack's settings (its env); EVENTS_QUEUE_URL is replaced by the bench queue. */
  env: Record<string, string>;
}

export class IngestWorkerError extends Error {
  override name = "IngestWorkerError";
}

/** `count` Exact contact notifications, each for its own record, signed with the webhook secret. */
export function signedNotifications(
  count: number,
  { secret = EXACT_SANDBOX.webhookSecret, division = EXACT_SANDBOX.division, baseUrl = "https://start.exactonline.nl" } = {},
): string[] {
  return Array.from({ length: count }, () => {
    const key = randomUUID();
    return notificationBody(
      {
        Topic: "Contacts",
        ClientId: EXACT_SANDBOX.clientId,
        Division: division,
        Action: "Update",
        Key: key,
        ExactOnlineEndpoint: `${baseUrl}/api/v1/${division}/crm/Contacts(guid'${key}')`,
        EventCreatedOn: new Date().toISOString(),
      },
      secret,
    );
  });
}

class IngestWorker {
  private readonly child: ChildProcess;
  private waiting: { resolve: (answer: IngestAnswer) => void; reject: (error: Error) => void } | undefined;

  constructor(env: Record<string, string>) {
    this.child = fork(fileURLToPath(new URL("./ingest-worker.ts", import.meta.url)), [], {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, ...env },
      // The function's JSON logs and EMF metrics are written as in Lambda, and dropped.
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    this.child.on("message", (answer: IngestAnswer) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (answer.kind === "error") waiting?.reject(new IngestWorkerError(answer.message));
      else waiting?.resolve(answer);
    });
    this.child.on("exit", (code) => {
      this.waiting?.reject(new IngestWorkerError(`the ingest worker exited (code ${code})`));
      this.waiting = undefined;
    });
    this.child.on("error", (error) => {
      this.waiting?.reject(new IngestWorkerError(`the ingest worker failed: ${error.message}`));
      this.waiting = undefined;
    });
  }

  ask<Kind extends IngestAnswer["kind"]>(command: IngestCommand): Promise<Extract<IngestAnswer, { kind: Kind }>> {
    return new Promise((resolve, reject) => {
      if (!this.child.connected) {
        reject(new IngestWorkerError("the ingest worker is not running"));
        return;
      }
      this.waiting = { resolve: resolve as (answer: IngestAnswer) => void, reject };
      this.child.send(command);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (!this.child.connected) {
      this.child.kill("SIGKILL");
      return;
    }
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.send({ cmd: "stop" } satisfies IngestCommand);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

function figures(run: { latenciesMs: number[]; wallMs: number; errors: number }, concurrency: number): IngestFigures {
  const { p50Ms, p99Ms, maxMs } = summarize(run.latenciesMs);
  return {
    p50Ms,
    p99Ms,
    maxMs,
    perSecond: round(run.latenciesMs.length / (run.wallMs / 1000), 0),
    invocations: run.latenciesMs.length,
    concurrency,
    errors: run.errors,
  };
}

const cpuNow = () => {
  const cpu = process.cpuUsage();
  return cpu.user + cpu.system;
};

/** POSTs every body to `url`, `concurrency` at a time over as many keep-alive connections. */
async function postAll(
  url: string,
  bodies: string[],
  concurrency: number,
): Promise<{ latenciesMs: number[]; wallMs: number; errors: number; firstError?: string }> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(url);
  const latenciesMs = new Array<number>(bodies.length);
  let errors = 0;
  let firstError: string | undefined;
  const post = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const sent = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: "/webhooks/exactonline",
          method: "POST",
          headers: { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) },
        },
        (response) => {
          response.resume();
          response.on("end", () => resolve(response.statusCode ?? 0));
          response.on("error", reject);
        },
      );
      sent.on("error", reject);
      sent.end(body);
    });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, bodies.length) }, async () => {
      while (next < bodies.length) {
        const index = next++;
        const begin = performance.now();
        try {
          const status = await post(bodies[index] as string);
          if (status !== 202) {
            errors += 1;
            firstError ??= `HTTP ${status}`;
          }
        } catch (error) {
          errors += 1;
          firstError ??= String(error);
        }
        latenciesMs[index] = performance.now() - begin;
      }
    }),
  );
  const wallMs = performance.now() - started;
  agent.destroy();
  return { latenciesMs, wallMs, errors, ...(firstError ? { firstError } : {}) };
}

export async function measureIngest(
  options: IngestOptions,
): Promise<{ inProcess: IngestFigures; http: IngestFigures; diagnosis: IngestDiagnosis; notes: string[] }> {
  const sqs = new SQSClient({});
  const { QueueUrl: queueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `bench-ingest-${randomUUID().slice(0, 8)}` }));
  if (!queueUrl) throw new IngestWorkerError("CreateQueue returned no QueueUrl");
  const worker = new IngestWorker({ ...options.env, EVENTS_QUEUE_URL: queueUrl });
  const notes: string[] = [];
  const perCall = (cpuUs: number, calls: number) => round(cpuUs / 1000 / calls, 3);
  try {
    const total = options.warmup + options.invocations;
    const loadAverage = round(loadavg()[0] ?? 0);

    let parentBefore = cpuNow();
    const inProcessRun = await worker.ask<"inProcess">({
      cmd: "inProcess",
      bodies: signedNotifications(total),
      concurrency: options.inProcessConcurrency,
      warmup: options.warmup,
    });
    const emulatorCpuUs = cpuNow() - parentBefore;
    if (inProcessRun.firstError) notes.push(`in-process: ${inProcessRun.errors} invocations failed, e.g. ${inProcessRun.firstError}`);
    const inProcess = figures(inProcessRun, options.inProcessConcurrency);

    // The SendMessage alone needs fewer samples: its CPU per call is what is wanted.
    const sends = Math.min(options.invocations, 2_000);
    const sendRun = await worker.ask<"sqsOnly">({
      cmd: "sqsOnly",
      bodies: signedNotifications(options.warmup + sends),
      concurrency: options.inProcessConcurrency,
      warmup: options.warmup,
    });
    const sendOnly = figures(sendRun, options.inProcessConcurrency);

    const { url } = await worker.ask<"http">({ cmd: "http" });
    const bodies = signedNotifications(total);
    await postAll(url, bodies.slice(0, options.warmup), options.httpConcurrency);
    const childBefore = (await worker.ask<"cpu">({ cmd: "cpu" })).cpuUs;
    parentBefore = cpuNow();
    const httpRun = await postAll(url, bodies.slice(options.warmup), options.httpConcurrency);
    const childHttpCpuUs = (await worker.ask<"cpu">({ cmd: "cpu" })).cpuUs - childBefore;
    if (httpRun.firstError) notes.push(`http: ${httpRun.errors} requests failed, e.g. ${httpRun.firstError}`);
    const http = figures(httpRun, options.httpConcurrency);

    const functionCpuMs = perCall(inProcessRun.cpuUs, options.invocations);
    const sendMessageCpuMs = perCall(sendRun.cpuUs, sends);
    return {
      inProcess,
      http,
      diagnosis: {
        functionCpuMs,
        sendMessageCpuMs,
        ownCodeCpuMs: round(functionCpuMs - sendMessageCpuMs, 3),
        sqsEmulatorCpuMs: perCall(emulatorCpuUs, options.invocations),
        sendMessageOnly: { p50Ms: sendOnly.p50Ms, p99Ms: sendOnly.p99Ms, perSecond: sendOnly.perSecond },
        httpFunctionCpuMs: perCall(childHttpCpuUs, options.invocations),
        loadAverage,
      },
      notes,
    };
  } finally {
    await worker.stop();
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
    sqs.destroy();
  }
}
