import { afterEach, describe, expect, it } from "vitest";
import { WebhookDeliverer } from "#lib/sandbox/common/deliveries";
import { readBody, sendEmpty, startHttpServer } from "#lib/sandbox/common/http";
import type { RunningServer } from "#lib/sandbox/common/http";
import { CallStats } from "#lib/sandbox/common/stats";

interface Hit {
  at: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

let receiver: RunningServer | undefined;
let deliverer: WebhookDeliverer | undefined;
afterEach(async () => {
  deliverer?.stop();
  await receiver?.close();
  receiver = undefined;
  deliverer = undefined;
});

async function startReceiver(statuses: number[], hangMs = 0): Promise<Hit[]> {
  const hits: Hit[] = [];
  receiver = await startHttpServer(
    async (req, res) => {
      hits.push({ at: Date.now(), body: (await readBody(req, 1 << 20)).toString("utf8"), headers: req.headers });
      if (hangMs > 0) await new Promise((resolve) => setTimeout(resolve, hangMs));
      if (!res.destroyed) sendEmpty(res, statuses.shift() ?? 200);
    },
    { port: 0, host: "127.0.0.1" },
  );
  return hits;
}

describe("WebhookDeliverer", () => {
  it("posts the raw body with the given headers and counts a success", async () => {
    const hits = await startReceiver([204]);
    const stats = new CallStats();
    deliverer = new WebhookDeliverer(stats);
    deliverer.deliver({ url: `${receiver?.url}/in`, body: '{"a": 1}', headers: { "Content-Type": "application/json", "X-Sig": "s" } });
    await deliverer.drain();
    expect(hits).toHaveLength(1);
    expect(hits[0]?.body).toBe('{"a": 1}');
    expect(hits[0]?.headers["x-sig"]).toBe("s");
    expect(stats.snapshot().deliveries).toEqual({ sent: 1, failed: 0 });
  });

  it("retries non-2xx answers with doubling back-off, then gives up after `attempts`", async () => {
    const hits = await startReceiver([500, 500, 500, 500]);
    const stats = new CallStats();
    deliverer = new WebhookDeliverer(stats, { attempts: 3, retryDelayMs: 20 });
    deliverer.deliver({ url: `${receiver?.url}/in`, body: "x", headers: {} });
    await deliverer.drain();
    expect(hits).toHaveLength(3);
    const [first, second, third] = hits.map((hit) => hit.at);
    expect(Number(second) - Number(first)).toBeGreaterThanOrEqual(18);
    expect(Number(third) - Number(second)).toBeGreaterThanOrEqual(38);
    expect(stats.snapshot().deliveries).toEqual({ sent: 0, failed: 3 });
  });

  it("counts an unreachable or too slow receiver as failed", async () => {
    await startReceiver([], 500);
    const stats = new CallStats();
    deliverer = new WebhookDeliverer(stats, { attempts: 1, timeoutMs: 50 });
    deliverer.deliver({ url: `${receiver?.url}/slow`, body: "x", headers: {} });
    deliverer.deliver({ url: "http://127.0.0.1:9/closed", body: "x", headers: {} });
    await deliverer.drain();
    expect(stats.snapshot().deliveries).toEqual({ sent: 0, failed: 2 });
  });

  it("delivers late by delayMs, twice when the duplicate chance hits, and evaluates header functions per attempt", async () => {
    const hits = await startReceiver([500]);
    const stats = new CallStats();
    const chances = [0.2, 0.9];
    deliverer = new WebhookDeliverer(stats, { delayMs: 60, duplicateRate: 0.5, retryDelayMs: 1 }, () => chances.shift() ?? 1);
    let calls = 0;
    const queuedAt = Date.now();
    deliverer.deliver({ url: `${receiver?.url}/a`, body: "dup", headers: () => ({ "X-Attempt": String((calls += 1)) }) });
    deliverer.deliver({ url: `${receiver?.url}/b`, body: "single", headers: {} });
    await deliverer.drain();
    expect(Math.min(...hits.map((hit) => hit.at)) - queuedAt).toBeGreaterThanOrEqual(55);
    expect(hits.filter((hit) => hit.body === "dup")).toHaveLength(3);
    expect(hits.filter((hit) => hit.body === "single")).toHaveLength(1);
    expect(
      hits
        .map((hit) => hit.headers["x-attempt"])
        .filter(Boolean)
        .sort(),
    ).toEqual(["1", "2", "3"]);
  });

  it("stop() cancels waiting deliveries and drain() then resolves", async () => {
    const hits = await startReceiver([]);
    deliverer = new WebhookDeliverer(new CallStats(), { delayMs: 10_000 });
    deliverer.deliver({ url: `${receiver?.url}/later`, body: "never", headers: {} });
    deliverer.stop();
    await deliverer.drain();
    deliverer.deliver({ url: `${receiver?.url}/after-stop`, body: "never", headers: {} });
    await deliverer.drain();
    expect(hits).toEqual([]);
  });

  it("refuses invalid options", () => {
    expect(() => new WebhookDeliverer(new CallStats(), { duplicateRate: 2 })).toThrow();
    expect(() => new WebhookDeliverer(new CallStats(), { attempts: 0 })).toThrow();
  });
});
