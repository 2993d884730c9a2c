/**
 * The `/_sandbox/` control routes both sandboxes share (faults, stats, reset), and the
 * gate every real API call passes first: count it, then fail it if a fault is armed.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { MAX_FAULT_DELAY_MS, type FaultInjector, type FaultStatus } from "./faults";
import { readBody, sendEmpty, sendHtml, sendJson } from "./http";
import type { Router } from "./http";
import type { CallStats } from "./stats";

export const SANDBOX_PREFIX = "/_sandbox/";

/** The system's own error body for a status and message. */
export type ErrorBodyFactory = (status: number, message: string) => unknown;

const faultSpecSchema = z
  .object({
    status: z.union([z.literal(429), z.literal(500), z.literal(503)]).optional(),
    times: z.number().int().min(1),
    method: z.string().min(1).optional(),
    path: z.string().min(1).optional(),
    /** A slow system: hold the call this long, then fail it with `status` or, without one, serve it. */
    delayMs: z.number().int().min(0).max(MAX_FAULT_DELAY_MS).optional(),
  })
  .strict()
  .refine((spec) => spec.status !== undefined || spec.delayMs !== undefined, { message: "a fault needs a status, a delayMs or both" });

const MAX_CONTROL_BODY_BYTES = 16 * 1024;

export interface SandboxControl {
  faults: FaultInjector;
  stats: CallStats;
  /** Empties the system (each sandbox says what it keeps). */
  reset: () => void | Promise<void>;
  errorBody: ErrorBodyFactory;
}

export function mountSandboxRoutes(router: Router, control: SandboxControl): void {
  router
    .add("POST", "/_sandbox/faults", async (req, res) => {
      const raw = await readBody(req, MAX_CONTROL_BODY_BYTES);
      let json: unknown;
      try {
        json = JSON.parse(raw.toString("utf8"));
      } catch {
        sendJson(res, 400, control.errorBody(400, "Body is not valid JSON"));
        return;
      }
      const parsed = faultSpecSchema.safeParse(json);
      if (!parsed.success) {
        sendJson(res, 400, control.errorBody(400, `Invalid fault: ${z.prettifyError(parsed.error)}`));
        return;
      }
      control.faults.add(parsed.data);
      sendJson(res, 201, parsed.data);
    })
    .add("DELETE", "/_sandbox/faults", (_req, res) => {
      control.faults.clear();
      sendEmpty(res, 204);
    })
    .add("GET", "/_sandbox/stats", (_req, res) => {
      sendJson(res, 200, control.stats.snapshot());
    })
    .add("POST", "/_sandbox/reset", async (_req, res) => {
      await control.reset();
      sendEmpty(res, 204);
    });
}

export interface ApiCallGateOptions {
  stats: CallStats;
  faults: FaultInjector;
  errorBody: ErrorBodyFactory;
  /** Extra headers on an injected fault's answer (e.g. Exact's minutely rate-limit headers on 429). */
  faultHeaders?: (status: FaultStatus) => Record<string, string>;
  /**
   * An HTML page to answer an injected fault with instead of the error body, as a system's
   * outage does (a load balancer's page); undefined keeps the error body for that status.
   */
  outagePage?: (status: FaultStatus) => string | undefined;
}

/**
 * Runs before any routing: counts the call (not `/_sandbox/` ones) and answers an armed
 * fault. Returns false when it has answered, true when the call should proceed: at once, or
 * as a promise when an injected delay holds the call first. A delayed call is served even if
 * its caller gave up waiting meanwhile (as a slow server does: the work lands, the answer is
 * lost). An injected fault never reaches rate limiting, so it is not charged to any budget.
 */
export function createApiCallGate(options: ApiCallGateOptions): (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean> {
  const answer = (req: IncomingMessage, res: ServerResponse, status: FaultStatus): false => {
    const headers = {
      ...(status === 429 ? { "Retry-After": "1" } : {}),
      ...options.faultHeaders?.(status),
    };
    // Drain the request body so the connection can be reused after the early answer.
    req.resume();
    const page = options.outagePage?.(status);
    if (page === undefined) sendJson(res, status, options.errorBody(status, faultMessage(status)), headers);
    else sendHtml(res, status, page, headers);
    return false;
  };
  return (req, res) => {
    const path = new URL(req.url ?? "/", "http://sandbox").pathname;
    if (path.startsWith(SANDBOX_PREFIX)) return true;
    const method = (req.method ?? "GET").toUpperCase();
    options.stats.countCall(method, path);
    const fault = options.faults.take(method, path);
    if (!fault) return true;
    const { status, delayMs } = fault;
    if (!delayMs) return status === undefined ? true : answer(req, res, status);
    return new Promise<void>((resolve) => setTimeout(resolve, delayMs)).then(() =>
      status === undefined ? true : answer(req, res, status),
    );
  };
}

function faultMessage(status: FaultStatus): string {
  switch (status) {
    case 429:
      return "Too many requests (injected fault)";
    case 500:
      return "Internal server error (injected fault)";
    case 503:
      return "Service unavailable (injected fault)";
  }
}
