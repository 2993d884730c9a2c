import { afterEach, describe, expect, it } from "vitest";
import { FaultInjector } from "#lib/sandbox/common/faults";
import { createRouter, sendJson, startHttpServer } from "#lib/sandbox/common/http";
import type { RunningServer } from "#lib/sandbox/common/http";
import { createApiCallGate, mountSandboxRoutes } from "#lib/sandbox/common/sandbox-routes";
import { CallStats } from "#lib/sandbox/common/stats";

/* `delayMs` on an injected fault: a slow system, for the callers' timeouts. */
let server: RunningServer;
afterEach(async () => server.close());

async function startSystem() {
  const stats = new CallStats();
  const faults = new FaultInjector();
  const served: string[] = [];
  const errorBody = (status: number, message: string) => ({ problem: message, status });
  const router = createRouter().add("POST", "/records", (_req, res) => {
    served.push("POST /records");
    sendJson(res, 201, { id: "r1" });
  });
  mountSandboxRoutes(router, { stats, faults, errorBody, reset: () => undefined });
  const admit = createApiCallGate({ stats, faults, errorBody });
  server = await startHttpServer(
    async (req, res) => {
      if (await admit(req, res)) await router.handle(req, res);
    },
    { port: 0, host: "127.0.0.1" },
  );
  const arm = (body: unknown) =>
    fetch(`${server.url}/_sandbox/faults`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const call = (signal?: AbortSignal) => fetch(`${server.url}/records`, { method: "POST", body: "{}", ...(signal ? { signal } : {}) });
  return { arm, call, served, stats };
}

describe("injected delays", () => {
  it("a delay without a status serves the call, late", async () => {
    const { arm, call } = await startSystem();
    expect((await arm({ delayMs: 300, times: 1 })).status).toBe(201);
    const started = Date.now();
    expect((await call()).status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    const again = Date.now();
    await call();
    expect(Date.now() - again).toBeLessThan(250);
  });

  it("a delay with a status answers that status, late", async () => {
    const { arm, call, served } = await startSystem();
    await arm({ status: 503, delayMs: 200, times: 1 });
    const started = Date.now();
    expect((await call()).status).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
    expect(served).toEqual([]);
  });

  it("serves a delayed call even when its caller gave up waiting (the work lands, the answer is lost)", async () => {
    const { arm, call, served, stats } = await startSystem();
    await arm({ delayMs: 400, times: 1, method: "POST", path: "/records" });
    await expect(call(AbortSignal.timeout(100))).rejects.toThrow();
    expect(served).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(served).toEqual(["POST /records"]);
    expect(stats.snapshot().calls).toEqual({ "POST /records": 1 });
  });

  it("refuses a fault with neither status nor delay, and delays out of range", async () => {
    const { arm } = await startSystem();
    expect((await arm({ times: 1 })).status).toBe(400);
    expect((await arm({ delayMs: -1, times: 1 })).status).toBe(400);
    expect((await arm({ delayMs: 1.5, times: 1 })).status).toBe(400);
    expect((await arm({ delayMs: 10 * 60_000, times: 1 })).status).toBe(400);
    expect(() => new FaultInjector().add({ times: 1 })).toThrow(RangeError);
  });
});
