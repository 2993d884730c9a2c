/**
 * Exact Online's clock: its servers write and read dates as Europe/Amsterdam wall-clock time
 * (CET, UTC+1 in winter; CEST, UTC+2 in summer), and `/Date(n)/` is that wall-clock time
 * written as if it were UTC (exactonline-api.md). The sandbox keeps real instants (epoch ms)
 * and converts at the edge: out with `wallClockOf`, in with `instantOfWallClock`.
 *
 * The zone rules come from the runtime's time-zone database (Intl), never from a table of
 * our own, so the DST changes fall where the real ones do.
 */

export const EXACT_TIME_ZONE = "Europe/Amsterdam";

const HOUR_MS = 3_600_000;
/** Further than any UTC offset: a wall-clock time this far on either side is safely past a change. */
const BEYOND_ANY_OFFSET_MS = 14 * HOUR_MS;

const partsFormatter = new Intl.DateTimeFormat("en-GB", {
  timeZone: EXACT_TIME_ZONE,
  hourCycle: "h23",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

/** The Amsterdam wall-clock time of `instant`, written as epoch ms as if it were UTC. */
export function wallClockOf(instant: number): number {
  const part: Record<string, number> = {};
  for (const { type, value } of partsFormatter.formatToParts(new Date(instant))) {
    if (type !== "literal") part[type] = Number(value);
  }
  const milliseconds = ((instant % 1000) + 1000) % 1000;
  return Date.UTC(part.year ?? 0, (part.month ?? 1) - 1, part.day ?? 1, part.hour ?? 0, part.minute ?? 0, part.second ?? 0) + milliseconds;
}

/** Amsterdam's offset from UTC at `instant`, in ms (3,600,000 in winter, 7,200,000 in summer). */
export function utcOffsetAt(instant: number): number {
  return wallClockOf(instant) - instant;
}

/**
 * The instant an Amsterdam wall-clock time (written as epoch ms as if it were UTC) stands for.
 * Around a DST change a wall-clock time can be ambiguous or missing:
 * - the repeated hour at the end of October is read as standard (winter) time, the later of
 *   the two instants, as .NET's `TimeZoneInfo` does for an ambiguous time;
 * - the hour skipped at the end of March is read with the offset in force before the change
 *   (02:30 becomes 03:30 summer time).
 */
export function instantOfWallClock(wallClock: number): number {
  const offsetBefore = utcOffsetAt(wallClock - BEYOND_ANY_OFFSET_MS);
  const offsetAfter = utcOffsetAt(wallClock + BEYOND_ANY_OFFSET_MS);
  const candidates = [...new Set([offsetBefore, offsetAfter])]
    .map((offset) => wallClock - offset)
    .filter((instant) => wallClockOf(instant) === wallClock);
  if (candidates.length === 0) return wallClock - offsetBefore;
  return Math.max(...candidates);
}

/** `/Date(n)/` for an instant: n is its Amsterdam wall-clock time as if it were UTC. */
export function toExactDate(instant: number): string {
  return `/Date(${wallClockOf(instant)})/`;
}

/** A zone-less ISO 8601 date-time with milliseconds in Amsterdam time, e.g. `2026-06-25T16:14:12.403`. */
export function toAmsterdamIso(instant: number): string {
  return new Date(wallClockOf(instant)).toISOString().slice(0, 23);
}

/** An ISO 8601 date-time with Amsterdam's offset, e.g. `2024-05-01T13:00:30+02:00` (for messages). */
export function toAmsterdamIsoWithOffset(instant: number): string {
  const offsetMinutes = Math.round(utcOffsetAt(instant) / 60_000);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const hours = String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, "0");
  const minutes = String(Math.abs(offsetMinutes) % 60).padStart(2, "0");
  return `${new Date(wallClockOf(instant)).toISOString().slice(0, 19)}${sign}${hours}:${minutes}`;
}

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * The instant an ISO 8601 value written to Exact stands for: with `Z` or an offset, that
 * instant; a zone-less date-time, Amsterdam wall-clock time; a date alone (`2024-12-31`),
 * Amsterdam midnight. Undefined when the text is not such a value (or names no real date).
 */
export function parseExactIsoDate(text: string): number | undefined {
  const match = ISO_DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  if (hour === undefined && zone !== undefined) return undefined;
  // JavaScript keeps milliseconds only; Exact's seven fractional digits are cut, not refused.
  const milliseconds = fraction ? Number(fraction.slice(1, 4).padEnd(3, "0")) : 0;
  const fields = [Number(year), Number(month) - 1, Number(day), Number(hour ?? 0), Number(minute ?? 0), Number(second ?? 0)] as const;
  const asUtc = Date.UTC(...fields, milliseconds);
  const check = new Date(asUtc);
  const real =
    check.getUTCFullYear() === fields[0] &&
    check.getUTCMonth() === fields[1] &&
    check.getUTCDate() === fields[2] &&
    check.getUTCHours() === fields[3] &&
    check.getUTCMinutes() === fields[4] &&
    check.getUTCSeconds() === fields[5];
  if (!real) return undefined;
  if (zone === undefined) return instantOfWallClock(asUtc);
  if (zone === "Z") return asUtc;
  const sign = zone.startsWith("-") ? -1 : 1;
  const offsetMs = sign * (Number(zone.slice(1, 3)) * HOUR_MS + Number(zone.slice(4, 6)) * 60_000);
  return asUtc - offsetMs;
}
