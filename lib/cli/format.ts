/** Small text helpers for the readable views. */

export type Align = "left" | "right";

/** Aligned columns, two spaces apart; numbers are best right-aligned. */
export function table(rows: readonly (readonly string[])[], align: readonly Align[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, index) => {
        const width = widths[index] ?? 0;
        if (index === row.length - 1 && align[index] !== "right") return cell;
        return align[index] === "right" ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd(),
  );
}

export const count = (value: number): string => value.toLocaleString("en-US");

/** A short age: 45s, 12m, 3h 5m, 2d 4h. */
export function age(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86_400)}d ${Math.floor((seconds % 86_400) / 3600)}h`;
}

/** Cuts a line to a width, marking the cut. */
export function fit(text: string, width: number | undefined): string {
  if (!width || text.length <= width) return text;
  return `${text.slice(0, Math.max(0, width - 1))}…`;
}
