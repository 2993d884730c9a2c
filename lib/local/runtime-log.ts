/**
 * Where the local runtime (HTTP adapter, SQS event source, scheduler) reports the failures that
 * API Gateway or Lambda would have logged on their side. Console by default; tests pass a quiet
 * one.
 */
export interface RuntimeLog {
  error(message: string, error?: unknown): void;
}

export const consoleRuntimeLog: RuntimeLog = {
  error: (message, error) => (error === undefined ? console.error(message) : console.error(message, error)),
};
