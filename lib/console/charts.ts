/**
 * The overview's charts as inline SVG drawn on the server: per-minute bars, stacked by kind for
 * decisions, with Exact's per-minute limit drawn over the calls. No chart library and no script:
 * the page paints complete with its first response. Each minute's bar carries a tooltip.
 */
import { ACTIVITY_KINDS, type ActivityKind, type ActivitySeries } from "#lib/ops/activity";
import { html, type Html } from "#lib/console/html";

const WIDTH = 720;
const HEIGHT = 140;
const AXIS = 18;

export const KIND_LABELS: Record<ActivityKind, string> = {
  created: "created or linked",
  updated: "updated",
  echo: "echo",
  conflict: "conflict",
  unsyncable: "unsyncable",
  failed: "failed",
  other: "other",
};

const clock = (minute: number) => `${new Date(minute).toISOString().slice(11, 16)}`;

/** Time labels every hour (or half hour for short windows) along the bottom. */
function axis(minutes: readonly number[], barWidth: number): Html[] {
  const every = minutes.length > 120 ? 60 : 30;
  return minutes.flatMap((minute, index) =>
    new Date(minute).getUTCMinutes() % every === 0 && index * barWidth < WIDTH - 30
      ? [html`<text class="axis" x="${(index * barWidth).toFixed(1)}" y="${HEIGHT + AXIS - 4}">${clock(minute)}</text>`]
      : [],
  );
}

/** The top of the scale: the largest value, rounded up to a readable step. */
function scaleTop(largest: number): number {
  const steps = [5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000];
  return steps.find((step) => step >= largest) ?? Math.ceil(largest / 10_000) * 10_000;
}

export function decisionsChart(series: ActivitySeries): Html {
  const count = series.minutes.length;
  const barWidth = WIDTH / Math.max(1, count);
  const totals = series.minutes.map((_, index) => ACTIVITY_KINDS.reduce((sum, kind) => sum + (series.decisions[kind][index] ?? 0), 0));
  const top = scaleTop(Math.max(1, ...totals));
  const bars = series.minutes.map((minute, index) => {
    if (!totals[index]) return html``;
    let y = HEIGHT;
    const parts = ACTIVITY_KINDS.map((kind) => {
      const value = series.decisions[kind][index] ?? 0;
      if (value === 0) return html``;
      const height = (value / top) * HEIGHT;
      y -= height;
      return html`<rect
        class="kind-${kind}"
        x="${(index * barWidth).toFixed(1)}"
        y="${y.toFixed(1)}"
        width="${Math.max(1, barWidth - 0.5).toFixed(1)}"
        height="${height.toFixed(1)}"
      ></rect>`;
    });
    const tip = ACTIVITY_KINDS.filter((kind) => series.decisions[kind][index])
      .map((kind) => `${series.decisions[kind][index]} ${KIND_LABELS[kind]}`)
      .join(", ");
    return html`<g><title>${clock(minute)} UTC: ${tip}</title>${parts}</g>`;
  });
  const sums = Object.fromEntries(ACTIVITY_KINDS.map((kind) => [kind, series.decisions[kind].reduce((sum, n) => sum + n, 0)]));
  return html`<figure class="chart">
    <figcaption>Decisions per minute, last ${count / 60} hours (UTC), by kind</figcaption>
    <svg viewBox="0 0 ${WIDTH} ${HEIGHT + AXIS}" role="img" aria-label="Decisions per minute by kind">
      <line class="grid" x1="0" x2="${WIDTH}" y1="0.5" y2="0.5"></line>
      <text class="axis" x="${WIDTH - 2}" y="10" text-anchor="end">${top}</text>
      <line class="grid" x1="0" x2="${WIDTH}" y1="${HEIGHT}" y2="${HEIGHT}"></line>
      ${bars}${axis(series.minutes, barWidth)}
    </svg>
    <ul class="legend">
      ${ACTIVITY_KINDS.map((kind) => html`<li><span class="swatch kind-${kind}"></span>${KIND_LABELS[kind]} <b data-kind="${kind}">${sums[kind]}</b></li>`)}
    </ul>
  </figure>`;
}

export function exactCallsChart(series: ActivitySeries): Html {
  const count = series.minutes.length;
  const barWidth = WIDTH / Math.max(1, count);
  const limit = series.exactCallsPerMinute;
  const top = scaleTop(Math.max(limit, ...series.exactCalls));
  const limitY = HEIGHT - (limit / top) * HEIGHT;
  const bars = series.minutes.map((minute, index) => {
    const calls = series.exactCalls[index] ?? 0;
    if (!calls) return html``;
    const height = (calls / top) * HEIGHT;
    return html`<rect
      class="calls"
      x="${(index * barWidth).toFixed(1)}"
      y="${(HEIGHT - height).toFixed(1)}"
      width="${Math.max(1, barWidth - 0.5).toFixed(1)}"
      height="${height.toFixed(1)}"
      ><title>${clock(minute)} UTC: ${calls} calls</title></rect
    >`;
  });
  const total = series.exactCalls.reduce((sum, n) => sum + n, 0);
  return html`<figure class="chart">
    <figcaption>Exact Online calls per minute, last ${count / 60} hours (UTC): ${total} in all, limit ${limit} a minute</figcaption>
    <svg viewBox="0 0 ${WIDTH} ${HEIGHT + AXIS}" role="img" aria-label="Exact Online calls per minute">
      <line class="grid" x1="0" x2="${WIDTH}" y1="${HEIGHT}" y2="${HEIGHT}"></line>
      ${bars}
      <line class="limit" x1="0" x2="${WIDTH}" y1="${limitY.toFixed(1)}" y2="${limitY.toFixed(1)}"></line>
      <text class="axis" x="${WIDTH - 2}" y="${(limitY - 3).toFixed(1)}" text-anchor="end">limit ${limit}</text>
      ${axis(series.minutes, barWidth)}
    </svg>
  </figure>`;
}
