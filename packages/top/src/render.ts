import {
  fit,
  formatBytes,
  formatCount,
  formatInterval,
  formatPercent,
  formatRate,
  formatSeconds,
  formatUsd,
  NONE,
  padLeft,
  padRight,
} from './format.js';
import type { DeviceRow, ModelRow } from './rows.js';

export type SortKey = 'name' | 'req' | 'err' | 'ttft' | 'tok' | 'cost';
export const SORT_KEYS: readonly SortKey[] = ['name', 'req', 'err', 'ttft', 'tok', 'cost'];
const SORT_LABELS: Record<SortKey, string> = {
  name: 'model',
  req: 'req/s',
  err: 'err%',
  ttft: 'ttft p95',
  tok: 'tok/s',
  cost: '$/h',
};
const SORT_VALUE: Record<SortKey, (row: ModelRow) => number | undefined> = {
  name: () => undefined,
  req: (r) => r.requestsPerSecond,
  err: (r) => r.errorPercent,
  ttft: (r) => r.ttftP95,
  tok: (r) => r.tokensPerSecond,
  cost: (r) => r.spendPerHour,
};

/** What the header says about the connection. */
export interface ScreenStatus {
  readonly url: string;
  readonly intervalMs: number;
  /** connecting: no scrape answered yet; ok: the last scrape worked; error: the last scrape failed. */
  readonly state: 'connecting' | 'ok' | 'error';
  /** Why the last scrape failed (state error). */
  readonly error?: string;
  /** Failed scrapes in a row. */
  readonly failures?: number;
  /** Epoch ms of the last successful scrape. */
  readonly lastSuccessAt?: number;
  /** Epoch ms shown as the clock; omitted → no clock (keeps the function pure). */
  readonly now?: number;
  /** Duration of the last successful scrape. */
  readonly scrapeMs?: number;
  /** Lines of the last exposition that could not be parsed. */
  readonly parseErrors?: number;
  /** True after the first successful scrape until the second: rates need two. */
  readonly warmingUp?: boolean;
  readonly sortBy?: SortKey;
  readonly paused?: boolean;
}

export interface RenderOptions {
  /** ANSI colors (inverse header, red errors). Off by default: the text is plain. */
  readonly color?: boolean;
  /** Keys help line at the bottom (default true). */
  readonly keys?: boolean;
}

interface Column {
  readonly header: string;
  readonly width: number;
  /** Lower goes first when the terminal is too narrow. */
  readonly priority: number;
  readonly cell: (row: ModelRow) => string;
}

function gpuMemory(used: number | undefined, limit: number | undefined): string {
  if (used === undefined && limit === undefined) return NONE;
  if (limit === undefined) return formatBytes(used);
  return `${formatBytes(used)}/${formatBytes(limit)}`;
}

const COLUMNS: readonly Column[] = [
  { header: 'REQ/S', width: 7, priority: 100, cell: (r) => formatRate(r.requestsPerSecond) },
  { header: 'ERR%', width: 6, priority: 95, cell: (r) => formatPercent(r.errorPercent) },
  { header: 'GOOD%', width: 6, priority: 60, cell: (r) => (r.goodput === undefined ? NONE : formatPercent(r.goodput * 100)) },
  { header: 'TTFT p50', width: 8, priority: 80, cell: (r) => formatSeconds(r.ttftP50) },
  { header: 'TTFT p95', width: 8, priority: 90, cell: (r) => formatSeconds(r.ttftP95) },
  { header: 'ITL p50', width: 7, priority: 70, cell: (r) => formatSeconds(r.itlP50) },
  { header: 'ITL p95', width: 7, priority: 85, cell: (r) => formatSeconds(r.itlP95) },
  { header: 'TOK/S', width: 7, priority: 92, cell: (r) => formatRate(r.tokensPerSecond) },
  { header: '$/H', width: 8, priority: 55, cell: (r) => formatUsd(r.spendPerHour) },
  { header: 'INFL', width: 5, priority: 75, cell: (r) => formatCount(r.inFlight) },
  { header: 'QUEUE', width: 5, priority: 65, cell: (r) => formatCount(r.queueSize) },
  {
    header: 'CACHE',
    width: 6,
    priority: 50,
    cell: (r) => (r.cacheHitRatio === undefined ? NONE : formatPercent(r.cacheHitRatio * 100)),
  },
  { header: 'GPU MEM', width: 11, priority: 45, cell: (r) => gpuMemory(r.gpuMemoryUsedBytes, r.gpuMemoryReservedBytes) },
  {
    header: 'GPU%',
    width: 5,
    priority: 40,
    cell: (r) => (r.gpuUtilizationPercent === undefined ? NONE : `${Math.round(r.gpuUtilizationPercent)}%`),
  },
  { header: 'CXL%', width: 6, priority: 20, cell: (r) => formatPercent(r.cancelledPercent) },
  { header: 'E2E p95', width: 7, priority: 10, cell: (r) => formatSeconds(r.durationP95) },
];

const GAP = '  ';
const MODEL_MIN = 8;
const MODEL_MAX = 32;

function chooseColumns(rows: readonly ModelRow[], width: number): { columns: Column[]; modelWidth: number } {
  const longest = Math.max(5, ...rows.map((r) => [...r.model].length), 'TOTAL'.length);
  let modelWidth = Math.min(MODEL_MAX, longest);
  let columns = [...COLUMNS];
  const total = () => modelWidth + columns.reduce((sum, c) => sum + GAP.length + c.width, 0);
  // Drop the least important columns first, but shrink a long model column to 16 before dropping important ones.
  while (total() > width && columns.length > 0) {
    const lowest = columns.reduce((a, b) => (b.priority < a.priority ? b : a));
    if (modelWidth > 16 && lowest.priority >= 60) {
      modelWidth = Math.max(16, modelWidth - (total() - width));
      continue;
    }
    if (columns.length === 1) break;
    columns = columns.filter((c) => c !== lowest);
  }
  if (total() > width) modelWidth = Math.max(MODEL_MIN, modelWidth - (total() - width));
  return { columns, modelWidth };
}

function clock(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

function sum(values: (number | undefined)[]): number | undefined {
  const present = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  return present.length === 0 ? undefined : present.reduce((a, b) => a + b, 0);
}

function totalRow(rows: readonly ModelRow[]): ModelRow {
  const requests = sum(rows.map((r) => r.requests));
  const failed = sum(rows.map((r) => (r.requests && r.errorPercent !== undefined ? (r.errorPercent * r.requests) / 100 : undefined)));
  const cancelled = sum(
    rows.map((r) => (r.requests && r.cancelledPercent !== undefined ? (r.cancelledPercent * r.requests) / 100 : undefined)),
  );
  const judged = sum(rows.map((r) => r.goodputJudged));
  const met = sum(rows.map((r) => (r.goodputJudged && r.goodput !== undefined ? r.goodput * r.goodputJudged : undefined)));
  const row: Record<string, unknown> = {
    model: 'TOTAL',
    requestsPerSecond: sum(rows.map((r) => r.requestsPerSecond)),
    requests,
    errorPercent: requests ? (100 * (failed ?? 0)) / requests : undefined,
    cancelledPercent: requests ? (100 * (cancelled ?? 0)) / requests : undefined,
    tokensPerSecond: sum(rows.map((r) => r.tokensPerSecond)),
    inFlight: sum(rows.map((r) => r.inFlight)),
    queueSize: sum(rows.map((r) => r.queueSize)),
    gpuMemoryUsedBytes: sum(rows.map((r) => r.gpuMemoryUsedBytes)),
    gpuMemoryReservedBytes: sum(rows.map((r) => r.gpuMemoryReservedBytes)),
    goodput: judged ? (met ?? 0) / judged : undefined,
    spendPerHour: sum(rows.map((r) => r.spendPerHour)),
  };
  return row as unknown as ModelRow;
}

/** Sorts a copy of `rows`: by name ascending, the others descending (busiest or worst first), ties by name. */
export function sortRows(rows: readonly ModelRow[], key: SortKey = 'name'): ModelRow[] {
  const metric = SORT_VALUE[key];
  return [...rows].sort((a, b) => {
    if (key !== 'name') {
      const x = metric(a) ?? -Infinity;
      const y = metric(b) ?? -Infinity;
      if (x !== y) return y - x;
    }
    return a.model.localeCompare(b.model);
  });
}

/** The status under the title: one line, or two when a scrape failed (the reason, then the retry state). */
function statusLines(status: ScreenStatus): string[] {
  const every = formatInterval(status.intervalMs);
  if (status.state === 'error') {
    const last = status.lastSuccessAt === undefined ? 'never reached' : `last success ${clock(status.lastSuccessAt)}, rows below are stale`;
    const attempts = status.failures && status.failures > 1 ? `, ${status.failures} failures` : '';
    return [
      `✖ cannot scrape ${status.url}: ${status.error ?? 'unknown error'}`,
      `  retrying every ${every} (${last}${attempts})`,
    ];
  }
  if (status.state === 'connecting') return [`connecting to ${status.url} …`];
  const parts: string[] = ['● ok'];
  if (status.scrapeMs !== undefined) parts.push(`scrape ${Math.round(status.scrapeMs)}ms`);
  if (status.parseErrors) parts.push(`${status.parseErrors} unparsable line${status.parseErrors === 1 ? '' : 's'} skipped`);
  if (status.warmingUp) parts.push(`rates after the next scrape (${every})`);
  if (status.paused) parts.push('PAUSED');
  return [parts.join(' · ')];
}

const ANSI = {
  inverse: (s: string) => `\x1b[7m${s}\x1b[27m`,
  bold: (s: string) => `\x1b[1m${s}\x1b[22m`,
  red: (s: string) => `\x1b[31m${s}\x1b[39m`,
  dim: (s: string) => `\x1b[2m${s}\x1b[22m`,
};

/**
 * The whole screen as text, one line per row, every line at most `width` columns. Pure: same input, same output.
 * Columns that do not fit are dropped, least important first (see README).
 */
export function renderTable(
  rows: readonly ModelRow[],
  devices: readonly DeviceRow[],
  status: ScreenStatus,
  width: number,
  options: RenderOptions = {},
): string {
  const w = Math.max(20, Math.floor(width) || 80);
  const color = options.color === true;
  const style = (fn: (s: string) => string, s: string) => (color ? fn(s) : s);
  const lines: string[] = [];

  // Title: left the program and URL, right the interval and clock.
  const right = `every ${formatInterval(status.intervalMs)}${status.now === undefined ? '' : `  ${clock(status.now)}`}`;
  const left = fit(`ryot top  ${status.url}`, Math.max(1, w - right.length - 2));
  lines.push(style(ANSI.bold, padRight(left, w - right.length) + right));
  for (const text of statusLines(status)) {
    const sl = fit(text, w);
    lines.push(status.state === 'error' ? style((s) => ANSI.bold(ANSI.red(s)), sl) : sl);
  }
  lines.push('');

  if (rows.length === 0) {
    if (status.state === 'ok') lines.push(fit('no Ryot model metrics in this exposition (no ryot_* series with a model label)', w));
  } else {
    const stale = status.state === 'error';
    const { columns, modelWidth } = chooseColumns(rows, w);
    const line = (model: string, cells: string[]) =>
      padRight(fit(model, modelWidth), modelWidth) + cells.map((c, i) => GAP + padLeft(c, columns[i]!.width)).join('');
    lines.push(style(ANSI.inverse, padRight(line('MODEL', columns.map((c) => c.header)), w)));
    for (const row of rows) {
      const text = line(row.model, columns.map((c) => c.cell(row)));
      lines.push(stale ? style(ANSI.dim, text) : text);
    }
    if (rows.length > 1) {
      const total = totalRow(rows);
      const text = line('TOTAL', columns.map((c) => (['REQ/S', 'ERR%', 'GOOD%', 'TOK/S', '$/H', 'INFL', 'QUEUE', 'GPU MEM', 'CXL%'].includes(c.header) ? c.cell(total) : '')));
      lines.push(style(ANSI.bold, text.trimEnd()));
    }
  }

  if (devices.length > 0) {
    lines.push('');
    const idWidth = Math.max(2, ...devices.map((d) => [...d.id].length));
    const memWidth = 19;
    const fixed = idWidth + 2 + 2 + memWidth + 2 + 5 + 2 + 5 + 2 + 6;
    const nameWidth = Math.max(4, Math.min(28, w - fixed));
    const deviceLine = (id: string, name: string, mem: string, util: string, temp: string, power: string) =>
      `${padRight(fit(id, idWidth), idWidth)}  ${padRight(fit(name, nameWidth), nameWidth)}  ${padLeft(mem, memWidth)}  ${padLeft(util, 5)}  ${padLeft(temp, 5)}  ${padLeft(power, 6)}`;
    lines.push(style(ANSI.inverse, padRight(fit(deviceLine('ID', 'GPU', 'MEMORY', 'UTIL', 'TEMP', 'POWER'), w), w)));
    for (const d of devices) {
      const pct =
        d.memoryUsedBytes !== undefined && d.memoryLimitBytes ? ` ${Math.round((100 * d.memoryUsedBytes) / d.memoryLimitBytes)}%` : '';
      const text = deviceLine(
        d.id,
        d.name ?? NONE,
        `${gpuMemory(d.memoryUsedBytes, d.memoryLimitBytes)}${pct}`,
        formatPercent(d.utilizationPercent),
        d.temperatureCelsius === undefined ? NONE : `${Math.round(d.temperatureCelsius)}°C`,
        d.powerWatts === undefined ? NONE : `${Math.round(d.powerWatts)}W`,
      );
      lines.push(fit(text, w));
    }
  }

  if (options.keys !== false) {
    lines.push('');
    const sort = SORT_LABELS[status.sortBy ?? 'name'];
    lines.push(style(ANSI.dim, fit(`q quit  s sort (${sort})  p ${status.paused ? 'resume' : 'pause'}`, w)));
  }
  return lines.join('\n');
}
