/**
 * Write timestamps that strictly increase, even for two writes in the same millisecond or a
 * clock that steps back: pollers order and resume by `modifiedAt`, so ties or regressions
 * would make them skip or repeat records.
 */
export class MonotonicClock {
  private lastIssuedMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly now: () => number = Date.now) {}

  /** The wall clock as given (for token expiry and signatures, where ties do not matter). */
  currentMs(): number {
    return this.now();
  }

  /** A write time later than every one issued before, as ISO 8601 UTC with milliseconds. */
  nextWriteTime(): string {
    this.lastIssuedMs = Math.max(this.now(), this.lastIssuedMs + 1);
    return new Date(this.lastIssuedMs).toISOString();
  }
}
