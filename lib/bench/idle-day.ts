/**
 * A quiet day of the deployed poller: what Exact's budget pays for the poller's schedule alone.
 *
 * The poller handler (functions/poller.ts, as deployed: its default schedule, Exact's standard
 * call budget) wakes as its EventBridge schedule wakes it in AWS, every few minutes for a day,
 * against the Exact sandbox with nothing changing. The day passes on a simulated clock: a child
 * process (idle-day-child.ts) fakes `Date` only (timers and I/O stay real) before anything else
 * loads, so the handler, its token store and call governor, and the sandbox (its token lifetime,
 * its rate-limit windows) all live in the same simulated day, while DynamoDB Local, the SQS
 * emulator and every HTTP call are real. The calls are the ones the sandbox counted
 * (`/_sandbox/stats`): API calls under `/api/v1/`, token refreshes as `POST /api/oauth2/token`.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Exact's token endpoint: every call there is a token refresh once the connection exists. */
export const EXACT_TOKEN_CALL = "POST /api/oauth2/token";

export interface IdleDayOptions {
  dynamoEndpoint: string;
  sqsEndpoint: string;
  /** How often the schedule wakes the poller (serverless.yml's `rate(...)`). */
  wakeMinutes: number;
  /** How long the simulated day is (hours). */
  hours?: number;
}

export interface IdleDayFigures {
  /** Calls under `/api/v1/` in the day, at the default schedule. */
  exactCallsPerDay: number;
  /** `POST /api/oauth2/token` calls in the day. */
  tokenRefreshesPerDay: number;
  /** Wakes of the poller in the day, and how many of them called Exact at all. */
  wakes: number;
  wakesThatCalledExact: number;
  wakeMinutes: number;
  /** The day's calls by "<METHOD> <path>" (paths as the sandbox keys them). */
  calls: Record<string, number>;
}

export type IdleDayMessage = { kind: "done"; figures: IdleDayFigures } | { kind: "error"; message: string };

export class IdleDayError extends Error {
  override name = "IdleDayError";
}

/** serverless.yml's poller schedule, `rate(${env:EXACT_POLL_WAKE_MINUTES, '5'} minutes)`: the default wake interval. */
export function readPollerWakeMinutes(serverlessYml: string): number {
  const rate = /^ {6}- schedule: rate\((?:\$\{env:EXACT_POLL_WAKE_MINUTES, '(\d+)'\}|(\d+)) minutes?\)\s*$/m.exec(serverlessYml);
  const minutes = Number(rate?.[1] ?? rate?.[2]);
  if (!Number.isFinite(minutes) || minutes <= 0)
    throw new IdleDayError("serverless.yml has no poller schedule of the form rate(N minutes)");
  return minutes;
}

/** Runs the day in a child process; resolves with what the sandbox counted. */
export function measureIdleDay({ dynamoEndpoint, sqsEndpoint, wakeMinutes, hours = 24 }: IdleDayOptions): Promise<IdleDayFigures> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL("./idle-day-child.ts", import.meta.url)), [], {
      execArgv: ["--import", "tsx"],
      // Nothing of this process's environment (a local stack's settings, say): the deployed defaults apply.
      env: {
        PATH: process.env.PATH ?? "",
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        IDLE_DAY_DYNAMODB_ENDPOINT: dynamoEndpoint,
        IDLE_DAY_SQS_ENDPOINT: sqsEndpoint,
        IDLE_DAY_WAKE_MINUTES: String(wakeMinutes),
        IDLE_DAY_HOURS: String(hours),
      },
      // The poller's JSON logs and EMF metrics are written as in Lambda, and dropped.
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    let answer: IdleDayMessage | undefined;
    child.on("message", (message: IdleDayMessage) => {
      answer = message;
    });
    child.on("error", (error) => reject(new IdleDayError(`the idle day's process failed: ${error.message}`)));
    child.on("exit", (code) => {
      if (answer?.kind === "done") resolve(answer.figures);
      else
        reject(
          new IdleDayError(answer?.kind === "error" ? answer.message : `the idle day's process exited (code ${code}) without figures`),
        );
    });
  });
}
