import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  amsterdamOffsetMs,
  fromAmsterdamWallClock,
  fromExactDate,
  fromExactLocalDateTime,
  toAmsterdamWallClock,
  toExactDateTime,
} from "#lib/connectors/exactonline/dates";

const HOUR = 3_600_000;

describe("Exact's dates are Amsterdam wall-clock time", () => {
  it("reads a summer /Date()/ two hours back: the spec's recording of a 14:14:12 GMT create in June", () => {
    expect(fromExactDate("/Date(1782404052403)/")).toBe("2026-06-25T14:14:12.403Z");
  });

  it("reads a winter /Date()/ one hour back", () => {
    // 15 January 2026, 10:00 on Amsterdam's clocks.
    expect(fromExactDate("/Date(1768471200000)/")).toBe("2026-01-15T09:00:00.000Z");
  });

  it("ignores an offset suffix: the number is the wall-clock time either way", () => {
    expect(fromExactDate("/Date(1768471200000+0100)/")).toBe("2026-01-15T09:00:00.000Z");
  });

  it("writes an instant as zone-less ISO in Amsterdam time, in both seasons", () => {
    expect(toExactDateTime("2026-06-25T14:14:12.403Z")).toBe("2026-06-25T16:14:12.403");
    expect(toExactDateTime("2026-01-15T09:00:00Z")).toBe("2026-01-15T10:00:00.000");
  });

  it("changes offset at the instants the clocks change, end of March and end of October", () => {
    // Summer time starts 29 March 2026 at 01:00 UTC and ends 25 October 2026 at 01:00 UTC.
    expect(amsterdamOffsetMs(Date.parse("2026-03-29T00:59:59Z"))).toBe(HOUR);
    expect(amsterdamOffsetMs(Date.parse("2026-03-29T01:00:00Z"))).toBe(2 * HOUR);
    expect(amsterdamOffsetMs(Date.parse("2026-10-25T00:59:59Z"))).toBe(2 * HOUR);
    expect(amsterdamOffsetMs(Date.parse("2026-10-25T01:00:00Z"))).toBe(HOUR);
    // Either side of the March change, one second apart on the real clock.
    expect(toExactDateTime("2026-03-29T00:59:59Z")).toBe("2026-03-29T01:59:59.000");
    expect(toExactDateTime("2026-03-29T01:00:00Z")).toBe("2026-03-29T03:00:00.000");
    expect(fromExactDate(`/Date(${Date.parse("2026-03-29T03:00:00Z")})/`)).toBe("2026-03-29T01:00:00.000Z");
    // Either side of the October change.
    expect(fromExactDate(`/Date(${Date.parse("2026-10-25T01:59:59Z")})/`)).toBe("2026-10-24T23:59:59.000Z");
    expect(fromExactDate(`/Date(${Date.parse("2026-10-25T03:00:00Z")})/`)).toBe("2026-10-25T02:00:00.000Z");
  });

  it("takes the winter instant for the October hour that happens twice", () => {
    expect(fromExactDate(`/Date(${Date.parse("2026-10-25T02:30:00Z")})/`)).toBe("2026-10-25T01:30:00.000Z");
  });

  it("gets every instant back from its wall-clock time, but in the hour before clocks go back", () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.parse("1990-01-01T00:00:00Z"), max: Date.parse("2060-01-01T00:00:00Z") }), (instant) => {
        const back = fromAmsterdamWallClock(toAmsterdamWallClock(instant));
        if (back !== instant) {
          // Only the summer-time pass of the repeated hour maps to its winter twin.
          expect(back).toBe(instant + HOUR);
          expect(amsterdamOffsetMs(instant)).toBe(2 * HOUR);
          expect(amsterdamOffsetMs(back)).toBe(HOUR);
        }
      }),
    );
  });

  it("reads Exact's zone-less date-times (a webhook's EventCreatedOn) as Amsterdam time", () => {
    expect(fromExactLocalDateTime("2026-06-25T16:14:12.403")).toBe("2026-06-25T14:14:12.403Z");
    expect(fromExactLocalDateTime("2026-01-15T10:00:00.0000000")).toBe("2026-01-15T09:00:00.000Z");
    expect(fromExactLocalDateTime("2026-01-15T10:00:00Z")).toBe("2026-01-15T10:00:00.000Z");
    expect(fromExactLocalDateTime("2026-01-15")).toBe("2026-01-14T23:00:00.000Z");
    expect(fromExactLocalDateTime("yesterday")).toBeUndefined();
  });

  it("refuses what is not a date", () => {
    expect(() => fromExactDate("2022-01-01")).toThrow(RangeError);
    expect(() => toExactDateTime("yesterday")).toThrow(RangeError);
  });
});
