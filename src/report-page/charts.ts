import uPlot from 'uplot';
import type { Comparison, LatencyFigures, Timeline } from '../report/report-data.js';
import { fromZero } from './count-axis.js';
import { fmt, h } from './dom.js';
import { bidiShown } from '../util/bidi.js';

/** Colours come from the page's CSS variables, so charts follow light and dark mode. */
function css(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

const PALETTE = ['--c1', '--c2', '--c3', '--c4', '--c5', '--c6'];

/**
 * Tick steps in whole units, for milliseconds and counts: uPlot's own steps go below 1, and a
 * latency axis 17–22 ms wide then labels half-ms ticks "18 ms 18 ms 19 ms", a count axis 0.25 answers.
 */
const WHOLE_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000].concat([
  1e6, 2e6, 5e6, 1e7, 2e7, 5e7, 1e8,
]);

function axes(xLabel: string, yLabel: string, xValues?: uPlot.Axis['values'], whole: { x?: boolean; y?: boolean } = {}): uPlot.Axis[] {
  const stroke = css('--muted');
  const grid = { stroke: css('--grid'), width: 1 };
  const font = '12px system-ui, sans-serif';
  return [
    { label: xLabel, stroke, grid, ticks: grid, font, labelFont: font, values: xValues, ...(whole.x ? { incrs: WHOLE_STEPS } : {}) },
    { label: yLabel, stroke, grid, ticks: grid, font, labelFont: font, size: 56, ...(whole.y ? { incrs: WHOLE_STEPS } : {}) },
  ];
}

/** Keeps a chart as wide as its box (narrow windows, resizes). */
function fit(box: HTMLElement, make: (width: number) => uPlot): void {
  let chart = make(Math.max(240, box.clientWidth));
  new ResizeObserver(() => {
    const w = Math.max(240, box.clientWidth);
    if (Math.abs(w - chart.width) > 4) chart.setSize({ width: w, height: chart.height });
  }).observe(box);
  const redraw = () => {
    chart.destroy();
    chart = make(Math.max(240, box.clientWidth));
  };
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', redraw);
  // Printing switches to the light print colours: redraw in them (and back after).
  matchMedia('print').addEventListener('change', redraw);
}

const height = () => (innerWidth < 640 ? 200 : 260);

/** Three lines of marker labels (p50, p90, p99 close together) above the histogram. */
const MARK_ROWS_PX = 5 + 16 * 2 + 14;

/** Latency histogram with p50, p90 and p99 marked. */
export function latencyChart(box: HTMLElement, lat: LatencyFigures): void {
  const xs = lat.counts.map((_, i) => lat.binStart + i * lat.binWidth);
  const marks: Array<[string, number]> = [
    ['p50', lat.p50],
    ['p90', lat.p90],
    ['p99', lat.p99],
  ];
  fit(
    box,
    (width) =>
      new uPlot(
        {
          width,
          height: height(),
          legend: { show: false },
          cursor: { points: { show: false } },
          // Room above the plot for the markers' labels (up to three lines): inside it they covered the bars' tops.
          padding: [MARK_ROWS_PX, null, null, null],
          scales: { x: { time: false, range: (_u, min, max) => [min, max + lat.binWidth] }, y: { range: fromZero } },
          axes: axes('latency', 'answers', (_u, ticks) => ticks.map((t) => fmt.ms(t)), { x: true, y: true }),
          series: [
            { label: 'latency' },
            {
              label: 'answers',
              fill: css('--c1-fill'),
              stroke: css('--c1'),
              width: 1,
              paths: uPlot.paths.bars!({ size: [1, Infinity], align: 1 }),
              points: { show: false },
            },
          ],
          hooks: {
            draw: [
              (u) => {
                const ctx = u.ctx;
                ctx.save();
                ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
                ctx.fillStyle = css('--fg');
                ctx.strokeStyle = css('--mark');
                ctx.lineWidth = 1.5 * devicePixelRatio;
                ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
                // Each label above the plot, on the first line up where it clears the labels already
                // placed, and left of its marker where the right edge is near: p50 and p90 close together stay legible.
                const dpr = devicePixelRatio;
                // uPlot leaves the axis labels' alignment on the context: labels start at their x.
                ctx.textAlign = 'left';
                ctx.textBaseline = 'alphabetic';
                const taken: Array<Array<[number, number]>> = [];
                const right = u.bbox.left + u.bbox.width;
                for (const [name, v] of marks) {
                  const x = Math.round(u.valToPos(v, 'x', true));
                  ctx.beginPath();
                  ctx.moveTo(x, u.bbox.top);
                  ctx.lineTo(x, u.bbox.top + u.bbox.height);
                  ctx.stroke();
                  const text = `${name} ${fmt.ms(v)}`;
                  const w = ctx.measureText(text).width;
                  const from = x + 4 * dpr + w > right ? x - 4 * dpr - w : x + 4 * dpr;
                  let row = 0;
                  while (taken[row]?.some(([a, b]) => from < b + 6 * dpr && from + w > a - 6 * dpr)) row++;
                  (taken[row] ??= []).push([from, from + w]);
                  const y = u.bbox.top - (5 + 16 * row) * dpr;
                  ctx.save();
                  ctx.setLineDash([]);
                  ctx.fillStyle = css('--bg');
                  ctx.globalAlpha = 0.85;
                  ctx.fillRect(from - 2 * dpr, y - 12 * dpr, w + 4 * dpr, 15 * dpr);
                  ctx.restore();
                  ctx.fillText(text, from, y);
                }
                ctx.restore();
              },
            ],
          },
        },
        [xs, lat.counts],
        box,
      ),
  );
}

/** Requests sent, answers, errors and 429s per time bucket. */
export function timelineChart(box: HTMLElement, t: Timeline): void {
  const xs = t.sent.map((_, i) => (t.startMs + i * t.bucketMs) / 1000);
  // A run shorter than one bucket is one x value: a line needs two, and uPlot widens a time axis
  // around one value by a day in its own units (seconds here, so 2.7 years). Its counts are drawn as
  // points, on an axis a bucket either side.
  const single = xs.length === 1;
  const around: uPlot.Range.Function | undefined = single ? () => [xs[0]! - t.bucketMs / 1000, xs[0]! + t.bucketMs / 1000] : undefined;
  const line = (label: string, color: string, dash?: number[]): uPlot.Series => ({
    label,
    stroke: css(color),
    width: 1.5,
    dash,
    points: { show: single, size: 8, fill: css(color) },
  });
  fit(
    box,
    (width) =>
      new uPlot(
        {
          width,
          height: height(),
          legend: { show: true },
          scales: { x: { range: around }, y: { range: fromZero } },
          axes: axes('time (UTC)', `per ${fmt.ms(t.bucketMs)}`, undefined, { y: true }),
          tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
          series: [
            // uPlot's own legend value is to the minute (`3:36pm`), whatever the bucket. Rounded: x is in seconds, 0.1 * 1000 may be 99.99… ms.
            { label: 'time', value: (_u, v) => (v === null ? '–' : fmt.bucket(Math.round(v * 1000), t.bucketMs)) },
            line(t.source === 'events' ? 'requests sent' : 'sent (last attempts)', '--c1'),
            ...(t.rowTimes ? [line('answered', '--ok'), line('failed', '--bad')] : []),
            line(t.source === 'events' ? '429s' : 'ended in 429', '--warn', [5, 3]),
          ],
        },
        t.rowTimes ? [xs, t.sent, t.ok, t.failed, t.rateLimited] : [xs, t.sent, t.rateLimited],
        box,
      ),
  );
}

/** One latency distribution per group (share of its answers per bin), overlaid. */
export function comparisonChart(box: HTMLElement, c: Comparison, lat: LatencyFigures): void {
  const xs = lat.counts.map((_, i) => lat.binStart + (i + 0.5) * lat.binWidth);
  fit(
    box,
    (width) =>
      new uPlot(
        {
          width,
          height: height(),
          scales: { x: { time: false }, y: { range: fromZero } },
          axes: axes('latency', 'share of answers', (_u, ticks) => ticks.map((v) => fmt.ms(v)), { x: true }),
          series: [
            { label: 'latency', value: (_u, v) => (v === null ? '–' : fmt.ms(v)) },
            ...c.groups.map(
              (g, i): uPlot.Series => ({
                label: c.by === 'sample' ? `sample ${g.key}` : bidiShown(g.key),
                stroke: css(PALETTE[i % PALETTE.length]!),
                width: 2,
                value: (_u, v) => (v === null ? '–' : `${(v * 100).toFixed(1)} %`),
                points: { show: false },
              }),
            ),
          ],
        },
        [xs, ...c.groups.map((g) => g.latencyShare)],
        box,
      ),
  );
}

export function chartBox(label: string): HTMLDivElement {
  return h('div', { class: 'chart', role: 'img', 'aria-label': label });
}
