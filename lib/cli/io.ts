/** Where a command writes: lines for people or programs on stdout, messages and progress on stderr. */
export interface Io {
  /** One line (or several joined by newlines) on stdout. */
  out(text: string): void;
  /** One line on stderr. */
  err(text: string): void;
  /** Stderr as a stream, for a progress line redrawn in place when it is a terminal. */
  progress: ProgressStream;
}

export interface ProgressStream {
  isTTY: boolean;
  /** Terminal width, when known. */
  columns?: number | undefined;
  write(text: string): void;
}

export function processIo(): Io {
  return {
    out: (text) => void process.stdout.write(`${text}\n`),
    err: (text) => void process.stderr.write(`${text}\n`),
    progress: {
      isTTY: Boolean(process.stderr.isTTY),
      get columns() {
        return process.stderr.columns;
      },
      write: (text) => void process.stderr.write(text),
    },
  };
}

/** An Io that keeps everything, for tests. */
export function memoryIo({ isTTY = false } = {}): Io & { stdout: string[]; stderr: string[]; progressText: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const progressText: string[] = [];
  return {
    stdout,
    stderr,
    progressText,
    out: (text) => void stdout.push(...text.split("\n")),
    err: (text) => void stderr.push(...text.split("\n")),
    progress: { isTTY, columns: 120, write: (text) => void progressText.push(text) },
  };
}
