import { describe, expect, it } from "vitest";
import { cachedFor } from "#lib/util/cached";

describe("a value cached for a while (secrets that can be rotated)", () => {
  it("loads once while fresh, again once it is older than its age", async () => {
    let now = 0;
    let loads = 0;
    const value = cachedFor(
      300_000,
      async () => `secret-${++loads}`,
      () => now,
    );
    expect(await value()).toBe("secret-1");
    now = 299_999;
    expect(await value()).toBe("secret-1");
    now = 300_000;
    expect(await value()).toBe("secret-2");
    expect(loads).toBe(2);
  });

  it("shares one load between concurrent callers", async () => {
    let loads = 0;
    const value = cachedFor(1_000, async () => {
      loads += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return loads;
    });
    expect(await Promise.all([value(), value(), value()])).toEqual([1, 1, 1]);
    expect(loads).toBe(1);
  });

  it("keeps serving what it had when a reload fails, and forgets a failed first load", async () => {
    let now = 0;
    let fail = true;
    const value = cachedFor(
      1_000,
      async () => {
        if (fail) throw new Error("throttled");
        return "fresh";
      },
      () => now,
    );
    await expect(value()).rejects.toThrow("throttled");
    fail = false;
    expect(await value()).toBe("fresh");
    fail = true;
    now = 5_000;
    expect(await value()).toBe("fresh");
  });
});
