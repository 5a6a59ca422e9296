/** Canvas charts: time series lines, stacked areas and a bucket heatmap, drawn with the page's CSS colors. */

export interface TimeRange {
  readonly from: number;
  readonly to: number;
  /** The scrape interval. Points more than 2.5 intervals apart are not joined: the line breaks over failed scrapes. */
  readonly stepMs: number;
}

const maxGap = (range: TimeRange) => range.stepMs * 2.5;

export interface Series {
  readonly label: string;
  readonly color: string;
  /** [t, value]; undefined values break the line. */
  readonly values: ReadonlyArray<readonly [number, number | undefined]>;
  readonly dashed?: boolean;
}

export interface Axis {
  readonly format: (value: number) => string;
  /** Fixed maximum (ratios, percentages); otherwise a round number above the data. */
  readonly max?: number;
  /** Round the top in powers of 1024 (bytes). */
  readonly binary?: boolean;
}

export interface HeatColumn {
  readonly t: number;
  /** Observations per bucket, by upper bound (Infinity for +Inf). */
  readonly counts: ReadonlyMap<number, number>;
}

export interface Colors {
  readonly text: string;
  readonly muted: string;
  readonly grid: string;
  readonly heat: string;
  readonly heatEmpty: string;
}

const PAD = { left: 54, right: 8, top: 6, bottom: 18 };
const FONT = '11px system-ui, -apple-system, "Segoe UI", sans-serif';

/** Sizes the canvas to its CSS box at the device's pixel ratio and returns a context in CSS pixels. */
function prepare(canvas: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; width: number; height: number } | undefined {
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  const ctx = canvas.getContext('2d');
  if (!ctx || width === 0 || height === 0) return undefined;
  const ratio = window.devicePixelRatio || 1;
  const w = Math.round(width * ratio);
  const h = Math.round(height * ratio);
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.font = FONT;
  return { ctx, width, height };
}

/** 1, 2, 2.5 or 5 × 10^n at or above `value`; with `binary`, the same in units of 1024^k. */
export function niceCeil(value: number, binary = false): number {
  if (!(value > 0) || !Number.isFinite(value)) return 1;
  if (binary && value >= 1024) {
    const unit = 1024 ** Math.floor(Math.log(value) / Math.log(1024));
    return unit * niceCeil(value / unit);
  }
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value * (1 - 1e-9)) return step * power;
  return 10 * power;
}

function clock(t: number, withSeconds: boolean): string {
  const d = new Date(t);
  const parts = [d.getHours(), d.getMinutes(), ...(withSeconds ? [d.getSeconds()] : [])];
  return parts.map((n) => String(n).padStart(2, '0')).join(':');
}

function frame(
  ctx: CanvasRenderingContext2D,
  width: number,
  height: number,
  range: TimeRange,
  colors: Colors,
  yTicks: ReadonlyArray<{ y: number; label: string }>,
): (t: number) => number {
  const plotWidth = width - PAD.left - PAD.right;
  const x = (t: number) => PAD.left + ((t - range.from) / (range.to - range.from)) * plotWidth;
  ctx.strokeStyle = colors.grid;
  ctx.fillStyle = colors.muted;
  ctx.lineWidth = 1;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  for (const tick of yTicks) {
    ctx.beginPath();
    ctx.moveTo(PAD.left, Math.round(tick.y) + 0.5);
    ctx.lineTo(width - PAD.right, Math.round(tick.y) + 0.5);
    ctx.stroke();
    ctx.fillText(tick.label, PAD.left - 6, tick.y);
  }
  // Time labels: about one per 90 px, on round seconds or minutes.
  const span = range.to - range.from;
  const steps = [5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3];
  const step = steps.find((s) => (plotWidth / span) * s >= 90) ?? 600e3;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (let t = Math.ceil(range.from / step) * step; t <= range.to; t += step) {
    const px = x(t);
    if (px < PAD.left + 20 || px > width - PAD.right - 20) continue;
    ctx.fillText(clock(t, step < 60e3), px, height - PAD.bottom + 4);
  }
  return x;
}

function markers(ctx: CanvasRenderingContext2D, x: (t: number) => number, height: number, times: readonly number[], color: string): void {
  ctx.save();
  ctx.strokeStyle = color;
  ctx.setLineDash([3, 3]);
  for (const t of times) {
    const px = Math.round(x(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(px, PAD.top);
    ctx.lineTo(px, height - PAD.bottom);
    ctx.stroke();
  }
  ctx.restore();
}

function linearTicks(max: number, plotTop: number, plotBottom: number, format: (v: number) => string) {
  const y = (v: number) => plotBottom - (v / max) * (plotBottom - plotTop);
  return { y, ticks: [0, max / 2, max].map((v) => ({ y: y(v), label: format(v) })) };
}

/** Lines over time; with `stacked`, each series is drawn as an area on top of the previous ones. */
export function drawLines(
  canvas: HTMLCanvasElement,
  series: readonly Series[],
  range: TimeRange,
  axis: Axis,
  colors: Colors,
  resetTimes: readonly number[],
  stacked = false,
): void {
  const prepared = prepare(canvas);
  if (!prepared) return;
  const { ctx, width, height } = prepared;
  const inRange = (t: number) => t >= range.from - maxGap(range) && t <= range.to;

  // Stacked: cumulative values per time.
  const drawn: Series[] = [];
  if (stacked) {
    const below = new Map<number, number>();
    for (const s of series) {
      drawn.push({
        ...s,
        values: s.values.map(([t, v]) => {
          const base = below.get(t) ?? 0;
          const top = base + (v ?? 0);
          below.set(t, top);
          return [t, v === undefined ? undefined : top] as const;
        }),
      });
    }
  } else drawn.push(...series);

  let dataMax = 0;
  for (const s of drawn) for (const [t, v] of s.values) if (v !== undefined && inRange(t) && v > dataMax) dataMax = v;
  const max = axis.max ?? niceCeil(dataMax * 1.05, axis.binary);
  const plotBottom = height - PAD.bottom;
  const { y, ticks } = linearTicks(max, PAD.top, plotBottom, axis.format);
  const x = frame(ctx, width, height, range, colors, ticks);
  markers(ctx, x, height, resetTimes, colors.muted);

  ctx.save();
  ctx.beginPath();
  ctx.rect(PAD.left, PAD.top - 1, width - PAD.left - PAD.right, plotBottom - PAD.top + 2);
  ctx.clip();
  // Runs of consecutive defined values with no gap wider than maxGapMs.
  const runs = (values: Series['values']) => {
    const out: [number, number][][] = [];
    let run: [number, number][] = [];
    let lastT = -Infinity;
    for (const [t, v] of values) {
      if (!inRange(t)) continue;
      if (v === undefined || t - lastT > maxGap(range)) {
        if (run.length) out.push(run);
        run = [];
      }
      if (v !== undefined) run.push([t, v]);
      lastT = t;
    }
    if (run.length) out.push(run);
    return out;
  };
  const ordered = stacked ? [...drawn].reverse() : drawn;
  for (const s of ordered) {
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 1.5;
    ctx.setLineDash(s.dashed ? [4, 3] : []);
    for (const run of runs(s.values)) {
      if (run.length === 1) {
        const [t, v] = run[0]!;
        ctx.beginPath();
        ctx.arc(x(t), y(v), 2, 0, Math.PI * 2);
        ctx.fill();
        continue;
      }
      ctx.beginPath();
      run.forEach(([t, v], i) => (i === 0 ? ctx.moveTo(x(t), y(v)) : ctx.lineTo(x(t), y(v))));
      if (stacked) {
        ctx.stroke();
        ctx.lineTo(x(run[run.length - 1]![0]), plotBottom);
        ctx.lineTo(x(run[0]![0]), plotBottom);
        ctx.closePath();
        ctx.globalAlpha = 0.85;
        ctx.fill();
        ctx.globalAlpha = 1;
      } else ctx.stroke();
    }
  }
  ctx.restore();
}

/**
 * A heatmap: one column per scrape window, one row per histogram bucket (equal heights: bucket bounds grow roughly
 * geometrically), the color's strength the share of the busiest cell in view.
 */
export function drawHeatmap(
  canvas: HTMLCanvasElement,
  columns: readonly HeatColumn[],
  range: TimeRange,
  format: (seconds: number) => string,
  colors: Colors,
  resetTimes: readonly number[],
): void {
  const prepared = prepare(canvas);
  if (!prepared) return;
  const { ctx, width, height } = prepared;
  const visible = columns.filter((c) => c.t >= range.from && c.t <= range.to);
  // Every bucket bound, then only the rows from one below the lowest bucket with observations to one above the highest.
  const every = [...new Set(visible.flatMap((c) => [...c.counts.keys()]))].sort((a, b) => a - b);
  const used = every.map((le, i) => (visible.some((c) => (c.counts.get(le) ?? 0) > 0) ? i : -1)).filter((i) => i >= 0);
  const bounds = used.length === 0 ? every : every.slice(Math.max(0, used[0]! - 1), used[used.length - 1]! + 2);
  const plotBottom = height - PAD.bottom;
  const rows = Math.max(1, bounds.length);
  const rowHeight = (plotBottom - PAD.top) / rows;
  const rowY = (i: number) => plotBottom - (i + 1) * rowHeight;
  const labelEvery = Math.max(1, Math.ceil(12 / rowHeight));
  const ticks = bounds
    .map((le, i) => ({ y: rowY(i) + rowHeight / 2, label: `≤${Number.isFinite(le) ? format(le) : '+Inf'}`, i }))
    .filter((tick) => (bounds.length - 1 - tick.i) % labelEvery === 0);
  ctx.fillStyle = colors.heatEmpty;
  ctx.fillRect(PAD.left, PAD.top, width - PAD.left - PAD.right, plotBottom - PAD.top);
  const x = frame(ctx, width, height, range, { ...colors, grid: 'transparent' }, ticks);
  let busiest = 0;
  for (const c of visible) for (const n of c.counts.values()) busiest = Math.max(busiest, n);
  ctx.fillStyle = colors.heat;
  visible.forEach((column, index) => {
    // A column covers its window: from the previous scrape (or one interval back, after a gap) to this one.
    const previous = index > 0 ? visible[index - 1]!.t : undefined;
    const start = previous !== undefined && column.t - previous <= maxGap(range) ? previous : column.t - range.stepMs;
    const left = Math.max(PAD.left, x(start));
    const colWidth = Math.max(1, x(column.t) - left);
    bounds.forEach((le, i) => {
      const n = column.counts.get(le) ?? 0;
      if (n <= 0 || busiest <= 0) return;
      // A square root keeps a bucket with a tenth of the busiest one's observations visible.
      ctx.globalAlpha = 0.12 + 0.88 * Math.sqrt(n / busiest);
      ctx.fillRect(left, rowY(i), colWidth + 0.5, rowHeight + 0.5);
    });
  });
  ctx.globalAlpha = 1;
  markers(ctx, x, height, resetTimes, colors.text);
}
