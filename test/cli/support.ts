/** Runs syncctl's commands in this process against a local stack started by the test file. */
import { localEnvironment, type CliEnvironment } from "#lib/cli/environment";
import { memoryIo } from "#lib/cli/io";
import { runSyncctl } from "#lib/cli/main";
import type { LocalStack } from "#lib/local/stack";

const port = (url: string) => new URL(url).port;

/**
 * The CLI's local environment for a test stack: its ports through the same environment variables
 * `npm start` honours, its resource prefix; the queue URLs are looked up by name as for `npm start`.
 */
export function environmentFor(stack: LocalStack): Promise<CliEnvironment> {
  return localEnvironment({
    env: {
      WEBHOOK_API_PORT: port(stack.urls.api),
      EXACT_SANDBOX_PORT: port(stack.urls.exactonline),
      CRMOFFICE_SANDBOX_PORT: port(stack.urls.crmoffice),
      DYNAMODB_PORT: port(stack.urls.dynamodb),
      SQS_PORT: port(stack.urls.sqs),
    },
    resourcePrefix: stack.tableName,
  });
}

export interface CliRun {
  code: number;
  stdout: string[];
  stderr: string[];
  progress: string;
}

/** `syncctl <argv>` against the stack, as the operator would type it. */
export async function syncctl(
  stack: LocalStack,
  argv: string[],
  { signal, isTTY = false }: { signal?: AbortSignal; isTTY?: boolean } = {},
): Promise<CliRun> {
  const io = memoryIo({ isTTY });
  const code = await runSyncctl(argv, { io, environment: () => environmentFor(stack), signal: signal ?? new AbortController().signal });
  return { code, stdout: io.stdout, stderr: io.stderr, progress: io.progressText.join("") };
}

export const quietLog = { info: () => undefined, error: (message: string, error?: unknown) => console.error(message, error) };
