/**
 * Asynchronous webhook delivery with the habits of real senders: retries with doubling
 * back-off on failure, optionally late, optionally twice (at-least-once). Signing stays with
 * each sandbox; this only moves bytes and counts attempts.
 */
import { z } from "zod";
import type { CallStats } from "./stats";

export const deliveryOptionsSchema = z.object({
  /** Tries per delivery, the first included. */
  attempts: z.number().int().min(1).default(4),
  /** Wait before the first retry; doubles after each further failure. */
  retryDelayMs: z.number().int().min(0).default(500),
  /** Deliver late by this much. */
  delayMs: z.number().int().min(0).default(0),
  /** Chance (0..1) that a second copy of a delivery is sent too. */
  duplicateRate: z.number().min(0).max(1).default(0),
  /** Per attempt; a receiver slower than this counts as failed. */
  timeoutMs: z.number().int().min(1).default(5000),
});

export type DeliveryOptions = z.input<typeof deliveryOptionsSchema>;

export interface WebhookDelivery {
  url: string;
  /** The raw body, sent byte for byte. */
  body: string;
  /** Fixed headers, or a function evaluated at each attempt (for signatures with a send time). */
  headers: Record<string, string> | (() => Record<string, string>);
}

export class WebhookDeliverer {
  private readonly options: z.output<typeof deliveryOptionsSchema>;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private readonly aborter = new AbortController();

  constructor(
    private readonly stats: CallStats,
    options: DeliveryOptions = {},
    /** Source of chance for `duplicateRate`; injectable so tests are deterministic. */
    private readonly random: () => number = Math.random,
  ) {
    this.options = deliveryOptionsSchema.parse(options);
  }

  /** Queues a delivery and returns at once; ignored after stop(). */
  deliver(delivery: WebhookDelivery): void {
    if (this.aborter.signal.aborted) return;
    const copies = this.options.duplicateRate > 0 && this.random() < this.options.duplicateRate ? 2 : 1;
    for (let copy = 0; copy < copies; copy += 1) this.track(this.run(delivery));
  }

  /** Resolves once every queued delivery has succeeded or used up its attempts. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Cancels waiting deliveries and aborts requests under way (shutdown). */
  stop(): void {
    this.aborter.abort();
    for (const [timer, wake] of this.timers) {
      clearTimeout(timer);
      wake();
    }
    this.timers.clear();
  }

  private track(task: Promise<void>): void {
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  private async run(delivery: WebhookDelivery): Promise<void> {
    if (this.options.delayMs > 0) await this.sleep(this.options.delayMs);
    let backOff = this.options.retryDelayMs;
    for (let attempt = 1; attempt <= this.options.attempts; attempt += 1) {
      if (this.aborter.signal.aborted) return;
      const ok = await this.send(delivery);
      if (this.aborter.signal.aborted) return;
      this.stats.countDelivery(ok);
      if (ok) return;
      if (attempt < this.options.attempts) {
        await this.sleep(backOff);
        backOff *= 2;
      }
    }
  }

  private async send(delivery: WebhookDelivery): Promise<boolean> {
    const headers = typeof delivery.headers === "function" ? delivery.headers() : delivery.headers;
    try {
      const response = await fetch(delivery.url, {
        method: "POST",
        headers,
        body: delivery.body,
        redirect: "manual",
        signal: AbortSignal.any([this.aborter.signal, AbortSignal.timeout(this.options.timeoutMs)]),
      });
      // Read the body so the connection is released for reuse.
      await response.arrayBuffer();
      return response.status >= 200 && response.status < 300;
    } catch {
      return false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.set(timer, resolve);
    });
  }
}
