import { describe, expect, it } from "vitest";
import { FaultInjector } from "#lib/sandbox/common/faults";
import { CallStats } from "#lib/sandbox/common/stats";

describe("FaultInjector", () => {
  it("fails exactly `times` matching calls, matching method and any path containing `path`", () => {
    const faults = new FaultInjector();
    faults.add({ status: 503, times: 2, method: "put", path: "/contacts" });
    expect(faults.take("GET", "/contacts/1")).toBeUndefined();
    expect(faults.take("PUT", "/companies/1")).toBeUndefined();
    expect(faults.take("PUT", "/api/contacts/1")).toEqual({ status: 503 });
    expect(faults.take("PUT", "/contacts")).toEqual({ status: 503 });
    expect(faults.take("PUT", "/contacts")).toBeUndefined();
  });

  it("without method or path matches every call; faults are used in the order added; clear() drops all", () => {
    const faults = new FaultInjector();
    faults.add({ status: 429, times: 1 });
    faults.add({ status: 500, times: 3 });
    expect(faults.take("DELETE", "/x")).toEqual({ status: 429 });
    expect(faults.take("GET", "/y")).toEqual({ status: 500 });
    faults.clear();
    expect(faults.take("GET", "/y")).toBeUndefined();
    expect(() => faults.add({ status: 500, times: 0 })).toThrow(RangeError);
  });
});

describe("CallStats", () => {
  it("counts calls per method and path and deliveries by outcome; reset() zeroes", () => {
    const stats = new CallStats();
    stats.countCall("get", "/contacts");
    stats.countCall("GET", "/contacts");
    stats.countCall("POST", "/contacts");
    stats.countDelivery(true);
    stats.countDelivery(false);
    stats.countDelivery(false);
    expect(stats.snapshot()).toEqual({
      calls: { "GET /contacts": 2, "POST /contacts": 1 },
      deliveries: { sent: 1, failed: 2 },
    });
    stats.reset();
    expect(stats.snapshot()).toEqual({ calls: {}, deliveries: { sent: 0, failed: 0 } });
  });
});
