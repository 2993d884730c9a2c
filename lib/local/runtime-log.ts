/**
 * Where the local runtime (HTTP adapter, SQS event source, scheduler) reports what Lambda or
 * API Gateway would have logged on their side. Console by default; tests pass a quiet one.
 * Powertools' Logger fits this shape too.
 */
export interface RuntimeLog {
  info(message: string): void;
  error(message: string, error?: unknown): void;
}

export const consoleRuntimeLog: RuntimeLog = {
  info: (message) => console.log(message),
  error: (message, error) => (error === undefined ? console.error(message) : console.error(message, error)),
};
