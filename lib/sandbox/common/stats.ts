/** Counters a test or an operator reads from `GET /_sandbox/stats`. */
export interface StatsSnapshot {
  /** Keyed `"<METHOD> <path without query>"`. */
  calls: Record<string, number>;
  deliveries: { sent: number; failed: number };
}

export class CallStats {
  private calls = new Map<string, number>();
  private sent = 0;
  private failed = 0;

  countCall(method: string, pathWithoutQuery: string): void {
    const key = `${method.toUpperCase()} ${pathWithoutQuery}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
  }

  /** One webhook delivery attempt: `ok` when the receiver answered 2xx. */
  countDelivery(ok: boolean): void {
    if (ok) this.sent += 1;
    else this.failed += 1;
  }

  snapshot(): StatsSnapshot {
    return { calls: Object.fromEntries(this.calls), deliveries: { sent: this.sent, failed: this.failed } };
  }

  reset(): void {
    this.calls.clear();
    this.sent = 0;
    this.failed = 0;
  }
}
