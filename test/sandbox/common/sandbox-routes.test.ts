import { afterEach, describe, expect, it } from "vitest";
import { FaultInjector } from "#lib/sandbox/common/faults";
import { createRouter, sendJson, startHttpServer } from "#lib/sandbox/common/http";
import type { RunningServer } from "#lib/sandbox/common/http";
import { createApiCallGate, mountSandboxRoutes } from "#lib/sandbox/common/sandbox-routes";
import { CallStats } from "#lib/sandbox/common/stats";

let server: RunningServer;
afterEach(async () => server.close());

async function startSystem(outagePage?: (status: number) => string | undefined) {
  const stats = new CallStats();
  const faults = new FaultInjector();
  let resets = 0;
  const errorBody = (status: number, message: string) => ({ problem: message, status });
  const router = createRouter().add("GET", "/records", (_req, res) => sendJson(res, 200, { items: [] }));
  mountSandboxRoutes(router, { stats, faults, errorBody, reset: () => void (resets += 1) });
  const admit = createApiCallGate({
    stats,
    faults,
    errorBody,
    faultHeaders: (status) => ({ "X-Fault": String(status) }),
    ...(outagePage ? { outagePage } : {}),
  });
  server = await startHttpServer(
    (req, res) => {
      if (admit(req, res)) return router.handle(req, res);
    },
    { port: 0, host: "127.0.0.1" },
  );
  const post = (path: string, body: unknown) =>
    fetch(`${server.url}${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return { post, resets: () => resets };
}

describe("sandbox control routes and the API call gate", () => {
  it("arms faults that answer with the system's error body, Retry-After on 429, and extra headers", async () => {
    const { post } = await startSystem();
    expect((await post("/_sandbox/faults", { status: 429, times: 1, path: "/records" })).status).toBe(201);
    const limited = await fetch(`${server.url}/records?page=2`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("Retry-After")).toBe("1");
    expect(limited.headers.get("X-Fault")).toBe("429");
    expect(await limited.json()).toMatchObject({ status: 429 });
    expect((await fetch(`${server.url}/records`)).status).toBe(200);
  });

  it("answers an injected fault with the system's outage page where it has one, and its error body elsewhere", async () => {
    const { post } = await startSystem((status) => (status === 503 ? "<html><body>down</body></html>" : undefined));
    await post("/_sandbox/faults", { status: 503, times: 1 });
    await post("/_sandbox/faults", { status: 500, times: 1 });
    const outage = await fetch(`${server.url}/records`);
    expect(outage.status).toBe(503);
    expect(outage.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    expect(outage.headers.get("X-Fault")).toBe("503");
    expect(await outage.text()).toBe("<html><body>down</body></html>");
    const failure = await fetch(`${server.url}/records`);
    expect(failure.status).toBe(500);
    expect(await failure.json()).toMatchObject({ status: 500 });
  });

  it("refuses malformed fault bodies with 400 and clears faults on DELETE", async () => {
    const { post } = await startSystem();
    expect((await post("/_sandbox/faults", { status: 404, times: 1 })).status).toBe(400);
    expect((await post("/_sandbox/faults", { status: 500, times: 1.5 })).status).toBe(400);
    const notJson = await fetch(`${server.url}/_sandbox/faults`, { method: "POST", body: "{" });
    expect(notJson.status).toBe(400);
    await post("/_sandbox/faults", { status: 500, times: 9 });
    expect((await fetch(`${server.url}/records`)).status).toBe(500);
    expect((await fetch(`${server.url}/_sandbox/faults`, { method: "DELETE" })).status).toBe(204);
    expect((await fetch(`${server.url}/records`)).status).toBe(200);
  });

  it("never faults or counts /_sandbox/ routes; stats count API calls without the query; reset calls back", async () => {
    const { post, resets } = await startSystem();
    await post("/_sandbox/faults", { status: 503, times: 1 });
    expect((await fetch(`${server.url}/_sandbox/stats`)).status).toBe(200);
    expect((await fetch(`${server.url}/records?x=1`)).status).toBe(503);
    await fetch(`${server.url}/records?x=2`);
    expect((await post("/_sandbox/reset", {})).status).toBe(204);
    expect(resets()).toBe(1);
    const stats = await (await fetch(`${server.url}/_sandbox/stats`)).json();
    expect(stats).toEqual({ calls: { "GET /records": 2 }, deliveries: { sent: 0, failed: 0 } });
  });
});
