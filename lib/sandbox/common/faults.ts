/**
 * Injected failures: "make the next N matching API calls fail with this status", so the
 * sync's retry, back-off and dead-letter paths can be exercised on demand.
 */
export type FaultStatus = 429 | 500 | 503;

export interface FaultSpec {
  status: FaultStatus;
  /** How many matching calls fail; at least 1. */
  times: number;
  /** Only calls with this method (case-insensitive); absent matches every method. */
  method?: string;
  /** Only calls whose path contains this text; absent matches every path. */
  path?: string;
}

export interface InjectedFault {
  status: FaultStatus;
}

interface PendingFault {
  status: FaultStatus;
  remaining: number;
  method?: string;
  path?: string;
}

export class FaultInjector {
  private pending: PendingFault[] = [];

  add(spec: FaultSpec): void {
    if (!Number.isInteger(spec.times) || spec.times < 1) throw new RangeError("times must be an integer of at least 1");
    this.pending.push({
      status: spec.status,
      remaining: spec.times,
      method: spec.method?.toUpperCase(),
      path: spec.path,
    });
  }

  /** The first fault matching this call, used up by one; undefined when the call should proceed. */
  take(method: string, path: string): InjectedFault | undefined {
    const upperMethod = method.toUpperCase();
    const fault = this.pending.find(
      (candidate) =>
        (candidate.method === undefined || candidate.method === upperMethod) &&
        (candidate.path === undefined || path.includes(candidate.path)),
    );
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining === 0) this.pending = this.pending.filter((candidate) => candidate !== fault);
    return { status: fault.status };
  }

  clear(): void {
    this.pending = [];
  }
}
