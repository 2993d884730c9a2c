/**
 * Injected failures: "make the next N matching API calls fail with this status", or "answer
 * them only after a delay" (a slow system, for the callers' timeouts), so the sync's retry,
 * back-off, timeout and dead-letter paths can be exercised on demand.
 */
export type FaultStatus = 429 | 500 | 503;

export interface FaultSpec {
  /** Fail with this status. Absent (then `delayMs` is required): the call is served normally, late. */
  status?: FaultStatus;
  /** How many matching calls fail; at least 1. */
  times: number;
  /** Only calls with this method (case-insensitive); absent matches every method. */
  method?: string;
  /** Only calls whose path contains this text; absent matches every path. */
  path?: string;
  /** Hold each matching call this long before answering (with `status`) or serving it (without). */
  delayMs?: number;
}

export interface InjectedFault {
  /** Absent: a delay only; the call proceeds after it. */
  status?: FaultStatus;
  delayMs?: number;
}

interface PendingFault {
  status?: FaultStatus;
  delayMs?: number;
  remaining: number;
  method?: string;
  path?: string;
}

/** The longest injectable delay: enough to outlast any client timeout, short enough not to hang a test run. */
export const MAX_FAULT_DELAY_MS = 120_000;

export class FaultInjector {
  private pending: PendingFault[] = [];

  add(spec: FaultSpec): void {
    if (!Number.isInteger(spec.times) || spec.times < 1) throw new RangeError("times must be an integer of at least 1");
    if (spec.delayMs !== undefined && !(Number.isInteger(spec.delayMs) && spec.delayMs >= 0 && spec.delayMs <= MAX_FAULT_DELAY_MS)) {
      throw new RangeError(`delayMs must be an integer from 0 to ${MAX_FAULT_DELAY_MS}`);
    }
    if (spec.status === undefined && spec.delayMs === undefined) throw new RangeError("a fault needs a status, a delayMs or both");
    this.pending.push({
      ...(spec.status !== undefined ? { status: spec.status } : {}),
      ...(spec.delayMs !== undefined ? { delayMs: spec.delayMs } : {}),
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
    return {
      ...(fault.status !== undefined ? { status: fault.status } : {}),
      ...(fault.delayMs !== undefined ? { delayMs: fault.delayMs } : {}),
    };
  }

  clear(): void {
    this.pending = [];
  }
}
