import { count, fit } from "#lib/cli/format";
import type { ProgressStream } from "#lib/cli/io";
import type { BackfillProgress } from "#lib/sync/backfill";

/** Decision kinds in the order people read them. */
export const DECISION_ORDER = ["created", "linked", "updated", "echo", "kept", "unsyncable", "unlinked", "deleted", "ignored"] as const;

export const sourceName = (progress: Pick<BackfillProgress, "side" | "type">) => `${progress.side} ${progress.type}`;

export function decisionsText(decisions: BackfillProgress["decisions"]): string {
  return DECISION_ORDER.filter((kind) => decisions[kind])
    .map((kind) => `${kind} ${count(decisions[kind] ?? 0)}`)
    .join(", ");
}

/**
 * The backfill's progress on stderr: on a terminal, one line per source redrawn in place (and
 * kept when the source is done); otherwise a plain line at most every `intervalMs`, and one when
 * each source is done.
 */
export class BackfillProgressView {
  private readonly started = new Map<string, number>();
  /** When the source now being read began: the run's start, then each previous source's end. */
  private sourceStart: number;
  private lastPrinted = Number.NEGATIVE_INFINITY;
  private drawing = false;

  constructor(
    private readonly stream: ProgressStream,
    /** The sources in the order the backfill reads them (backfillSources). */
    private readonly sources: readonly Pick<BackfillProgress, "side" | "type">[],
    private readonly now: () => number = Date.now,
    private readonly intervalMs = 2_000,
  ) {
    this.sourceStart = now();
  }

  /** Shows the first source before its first page arrives. */
  start(): void {
    const first = this.sources[0];
    if (first) this.waiting(first);
  }

  line(progress: BackfillProgress): string {
    const startedAt = this.started.get(sourceName(progress)) ?? this.sourceStart;
    const seconds = Math.max(0.001, (this.now() - startedAt) / 1000);
    const decisions = decisionsText(progress.decisions);
    return [
      `${progress.done ? "done" : "backfill"} ${sourceName(progress)}`,
      `${count(progress.pages)} page${progress.pages === 1 ? "" : "s"}`,
      `${count(progress.records)} records`,
      `${count(Math.round(progress.records / seconds))}/s`,
      ...(decisions ? [decisions] : []),
    ].join(" · ");
  }

  update(progress: BackfillProgress): void {
    const name = sourceName(progress);
    if (!this.started.has(name)) this.started.set(name, this.sourceStart);
    const text = this.line(progress);
    if (this.stream.isTTY) this.draw(text, progress.done);
    else if (progress.done || this.now() - this.lastPrinted >= this.intervalMs) {
      this.stream.write(`${text}\n`);
      this.lastPrinted = this.now();
    }
    if (progress.done) {
      this.sourceStart = this.now();
      const next = this.sources[this.sources.findIndex((source) => sourceName(source) === name) + 1];
      if (next) this.waiting(next);
    }
  }

  /** Ends a line left half drawn (an interrupted run), so what follows starts on its own line. */
  finish(): void {
    if (this.drawing) this.stream.write("\n");
    this.drawing = false;
  }

  private waiting(source: Pick<BackfillProgress, "side" | "type">): void {
    if (this.stream.isTTY) this.draw(`backfill ${sourceName(source)} · reading the first page…`, false);
  }

  private draw(text: string, done: boolean): void {
    const width = this.stream.columns ? this.stream.columns - 1 : undefined;
    this.stream.write(`\r\x1b[2K${fit(text, width)}${done ? "\n" : ""}`);
    this.drawing = !done;
  }
}
