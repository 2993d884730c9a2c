/**
 * Exact's dates are not UTC. `/Date(ms)/` holds the wall-clock time of Exact's servers in
 * Amsterdam written as if it were UTC (Exact's REST FAQ; recordings show a 14:14 GMT create in
 * June come back as 16:14 "Z"), and a zone-less ISO value written to Exact is read as Amsterdam
 * time. Taken at face value, every Exact time would be one hour (winter) or two (summer) in the
 * future, and Exact would win every conflict with a CRMOffice edit made just after it.
 *
 * The offset comes from the time-zone database (Intl), per instant, so records modified before
 * and after a daylight-saving change each get their own. `current/Me`'s `ServerUtcOffset` is
 * only today's offset and could not place a record modified in another season.
 */
export const EXACT_TIME_ZONE = "Europe/Amsterdam";

/*
 * Made on first use, not at import: a formatter for a named zone loads the zone data (about
 * 18 ms of a cold start), which every function importing this module paid at init whether or
 * not it went on to convert an Exact date (the OAuth start never does).
 */
let wallClockFormat: Intl.DateTimeFormat | undefined;
const wallClockParts = () =>
  (wallClockFormat ??= new Intl.DateTimeFormat("en-GB", {
    timeZone: EXACT_TIME_ZONE,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }));

/** Amsterdam's offset from UTC at `instantMs` (ms: 3,600,000 in winter, 7,200,000 in summer). */
export function amsterdamOffsetMs(instantMs: number): number {
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((candidate) => candidate.type === type)?.value);
  const whole = Math.floor(instantMs / 1000) * 1000;
  const parts = wallClockParts().formatToParts(new Date(whole));
  const asUtc = Date.UTC(part("year"), part("month") - 1, part("day"), part("hour"), part("minute"), part("second"));
  return asUtc - whole;
}

/** The wall-clock time in Amsterdam at `instantMs`, as Exact writes it (as if it were UTC). */
export function toAmsterdamWallClock(instantMs: number): number {
  return instantMs + amsterdamOffsetMs(instantMs);
}

/**
 * The instant whose Amsterdam wall-clock time is `wallClockMs`. In the autumn hour that happens
 * twice the later instant (winter time) is taken; a time in the spring hour that never happens
 * lands an hour on, as a clock set forward would show it.
 */
export function fromAmsterdamWallClock(wallClockMs: number): number {
  const guess = wallClockMs - amsterdamOffsetMs(wallClockMs);
  return wallClockMs - amsterdamOffsetMs(guess);
}

/** `/Date(1641034800000)/`; an offset suffix (`+0100`) is informational: the number is the wall-clock time. */
export const ODATA_DATE_PATTERN = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/;

/** `/Date(1782404052403)/` (Amsterdam wall clock) → `2026-06-25T14:14:12.403Z`. */
export function fromExactDate(text: string): string {
  const match = ODATA_DATE_PATTERN.exec(text);
  if (!match?.[1]) throw new RangeError("not an OData /Date(ms)/ value");
  return new Date(fromAmsterdamWallClock(Number(match[1]))).toISOString();
}

/** An instant as Exact takes it on write: zone-less ISO in Amsterdam time (`2026-06-25T16:14:12.403`). */
export function toExactDateTime(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new RangeError("not an ISO 8601 date");
  return new Date(toAmsterdamWallClock(ms)).toISOString().slice(0, -1);
}

/**
 * A zone-less ISO date-time that Exact wrote (a webhook's `EventCreatedOn`) → the instant, ISO
 * UTC. A value that carries its own zone is taken as it is.
 */
export function fromExactLocalDateTime(text: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(text)) return undefined;
  const zoned = /T.*(?:Z|[+-]\d{2}:?\d{2})$/i.test(text);
  // JavaScript reads a zone-less date-time as the process's local time: make it explicit.
  const asWritten = zoned || !text.includes("T") ? text : `${text.replace(/(\.\d{3})\d+$/, "$1")}Z`;
  const ms = Date.parse(asWritten);
  if (!Number.isFinite(ms)) return undefined;
  return new Date(zoned ? ms : fromAmsterdamWallClock(ms)).toISOString();
}
