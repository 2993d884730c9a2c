/** The command line was wrong (exit code 2); the message says what to type instead. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** An operation failed for a reason the operator can act on (exit code 1). */
export class CliError extends Error {
  override name = "CliError";
}

/** One line for stderr: the error's own message, with its kind when that adds something. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const message = error.message.split("\n")[0]?.trim() || error.name;
  const generic = ["Error", "CliError", "UsageError"].includes(error.name);
  return generic || message.includes(error.name) ? message : `${error.name}: ${message}`;
}
