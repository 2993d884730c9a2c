/**
 * `npm start` shows the functions' structured JSON logs (as CloudWatch would receive them) as
 * one short line each: time, level, message and the correlation id. The metrics (CloudWatch
 * EMF lines) are left out; other output passes as is.
 */
export function printLogsReadably(stream: NodeJS.WriteStream = process.stdout): void {
  const write = stream.write.bind(stream) as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
    write(typeof chunk === "string" ? readable(chunk) : chunk, ...rest)) as typeof stream.write;
}

function readable(text: string): string {
  if (text.startsWith('{"_aws"')) return "";
  if (!text.startsWith('{"level"')) return text;
  try {
    const entry = JSON.parse(text) as { level: string; message: string; timestamp?: string; correlationId?: string; reason?: string };
    const time = entry.timestamp?.slice(11, 23) ?? "";
    const extra = [entry.reason, entry.correlationId && `cid ${entry.correlationId.slice(0, 8)}`].filter(Boolean).join(", ");
    return `${time} ${entry.level.padEnd(5)} ${entry.message}${extra ? `  (${extra})` : ""}\n`;
  } catch {
    return text;
  }
}
