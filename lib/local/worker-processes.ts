/**
 * Starts the worker of `worker-process.ts` in a child process and follows what it says on
 * stdout (`ready`, `batch <n>`), so a caller can wait until it polls and kill it while it holds
 * messages. Other output (the handler's JSON logs) is read and dropped, so the pipe never fills.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./worker-process.ts", import.meta.url));

export interface WorkerProcess {
  readonly pid: number;
  /** Resolves once the child polls the queue; rejects if it exits first. */
  ready: Promise<void>;
  /** Messages it has taken so far (the sum of its `batch <n>` lines). */
  taken(): number;
  /** performance.now() of its latest `batch` line, 0 before the first. */
  lastBatchAt(): number;
  /** Resolves when the child has exited (at once if it already has). */
  exited(): Promise<void>;
  /** Sends `signal` (SIGKILL: no chance to finish anything) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface WorkerProcessOptions {
  queueUrl: string;
  /** Pollers in the child; 2 by default. */
  concurrency?: number;
  /** The child's environment; the stack's settings are in process.env, which is the default. */
  env?: NodeJS.ProcessEnv;
  /** Told of each stderr chunk (the event source's errors); dropped by default. */
  onStderr?: (text: string) => void;
}

export function startWorkerProcess({ queueUrl, concurrency = 2, env = process.env, onStderr }: WorkerProcessOptions): WorkerProcess {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", SCRIPT], {
    env: { ...env, WORKER_QUEUE_URL: queueUrl, WORKER_CONCURRENCY: String(concurrency) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let taken = 0;
  let lastBatchAt = 0;
  let partial = "";
  let markReady: () => void = () => undefined;
  const exit = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    void exit.then(() => reject(new Error(`worker process ${child.pid} exited before it was ready`)));
  });
  // A caller that never waits for readiness must not see an unhandled rejection.
  ready.catch(() => undefined);
  child.stdout?.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString("utf8")).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (line === "ready") markReady();
      else if (/^batch \d+$/.test(line)) {
        taken += Number(line.slice(6));
        lastBatchAt = performance.now();
      }
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => onStderr?.(chunk.toString("utf8")));
  return {
    pid: child.pid ?? -1,
    ready,
    taken: () => taken,
    lastBatchAt: () => lastBatchAt,
    exited: () => exit,
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exit;
    },
  };
}
