/**
 * The functions write their JSON logs and EMF metrics to stdout, as in Lambda. A command that
 * runs them in its own process and prints a report there (the bench, the soak) lets them write
 * (their cost is part of the run) and drops those lines, so stdout holds the report only.
 */
export function dropFunctionOutput(): void {
  const write = process.stdout.write.bind(process.stdout) as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk === "string" && (chunk.startsWith('{"level"') || chunk.startsWith('{"_aws"'))) {
      const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
      callback?.();
      return true;
    }
    return write(chunk, ...rest);
  }) as typeof process.stdout.write;
}
