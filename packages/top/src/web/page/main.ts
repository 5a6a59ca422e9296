/** The page of `ryot top --web`: polls /api/state, keeps the points of the time window, draws them. */
import { drawHeatmap, drawLines, type Axis, type Colors, type HeatColumn, type Series, type TimeRange } from './charts.js';
import { AXIS_MAX, DEVICE_PANELS, FORMAT, MODEL_PANELS, OVERVIEW_COLUMNS, STATUS_COLORS, STATUS_ORDER, type ModelPanel, type Unit } from './panels.js';
import type { ModelPoint, WebPoint, WebState, WebStatus } from '../types.js';
import './style.css';

const WINDOWS: ReadonlyArray<readonly [number, string]> = [
  [60_000, '1 min'],
  [5 * 60_000, '5 min'],
  [15 * 60_000, '15 min'],
];
const DEFAULT_WINDOW_MS = 5 * 60_000;

interface Page {
  target: string;
  intervalMs: number;
  historyMs: number;
  status: WebStatus;
  points: WebPoint[];
  lastSeq: number;
  /** Server clock minus this clock, so the time axis follows the server's scrapes. */
  skewMs: number;
  paused: boolean;
  /** The server clock when the display was paused. */
  pausedAt: number;
  windowMs: number;
  hidden: Set<string>;
  /** Why the page cannot reach its own server (it was stopped), if so. */
  lost?: string;
}

const page: Page = {
  target: '',
  intervalMs: 1000,
  historyMs: 15 * 60_000,
  status: { state: 'connecting', attempts: 0 },
  points: [],
  lastSeq: 0,
  skewMs: 0,
  paused: false,
  pausedAt: 0,
  windowMs: DEFAULT_WINDOW_MS,
  hidden: new Set(),
};

function byId<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} missing from the page`);
  return found as T;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'class') node.className = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

function clock(t: number): string {
  const d = new Date(t);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

function cssColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

function colors(): Colors {
  return { text: cssColor('--fg'), muted: cssColor('--muted'), grid: cssColor('--grid'), heat: cssColor('--heat'), heatEmpty: cssColor('--heat-empty') };
}

// ---- data ------------------------------------------------------------------------------------------------------

function apply(state: WebState): void {
  // The server restarted (its scrape numbers started again): what we hold belongs to the old one.
  if (state.status.attempts < page.lastSeq) {
    page.points = [];
    page.lastSeq = 0;
  }
  page.target = state.target;
  page.intervalMs = state.intervalMs;
  page.historyMs = state.historyMs;
  page.status = state.status;
  page.skewMs = state.now - Date.now();
  for (const point of state.points) if (point.seq > page.lastSeq) page.points.push(point);
  page.lastSeq = Math.max(page.lastSeq, ...state.points.map((p) => p.seq));
  const oldest = serverNow() - page.historyMs;
  while (page.points.length > 0 && page.points[0]!.t < oldest) page.points.shift();
}

const serverNow = () => Date.now() + page.skewMs;

/** Shortest time axis while the history is younger than the window. */
const MIN_SPAN_MS = 30_000;

function timeRange(): TimeRange {
  const to = page.paused ? page.pausedAt : Math.max(serverNow(), page.points[page.points.length - 1]?.t ?? 0);
  // Until the history fills the window, the axis starts at the first point: a fresh page is not one thin sliver.
  const first = page.points[0]?.t ?? to;
  const from = Math.max(to - page.windowMs, Math.min(first - page.intervalMs, to - MIN_SPAN_MS));
  return { from, to, stepMs: page.intervalMs };
}

function visiblePoints(range: TimeRange): WebPoint[] {
  return page.points.filter((p) => p.t >= range.from - range.stepMs * 2.5 && p.t <= range.to);
}

function latestPoint(range: TimeRange): WebPoint | undefined {
  for (let i = page.points.length - 1; i >= 0; i--) if (page.points[i]!.t <= range.to) return page.points[i];
  return undefined;
}

function modelOf(point: WebPoint, model: string): ModelPoint | undefined {
  return point.models.find((m) => m.model === model);
}

// ---- header, banner, notices -------------------------------------------------------------------------------------

function renderStatus(latest: WebPoint | undefined): void {
  const status = byId('status');
  const s = page.status;
  const parts: string[] = [];
  let state: string = s.state;
  if (page.lost) {
    state = 'lost';
    parts.push('✖ lost contact with ryot top --web');
  } else if (page.paused) {
    state = 'paused';
    parts.push(`❚❚ paused at ${clock(page.pausedAt)}`);
  } else if (s.state === 'ok') parts.push('● live');
  else if (s.state === 'error') parts.push('✖ cannot scrape');
  else parts.push('○ connecting');
  if (latest) {
    parts.push(`scrape #${latest.seq}`);
    if (!page.paused && s.state === 'ok' && s.scrapeMs !== undefined) parts.push(`${s.scrapeMs} ms`);
    if (latest.windowSeconds !== undefined) parts.push(`window ${latest.windowSeconds.toFixed(3)} s`);
    parts.push(clock(latest.t));
  }
  status.textContent = parts.join(' · ');
  status.dataset.state = state;
  status.dataset.seq = latest ? String(latest.seq) : '';
  status.dataset.windowSeconds = latest?.windowSeconds === undefined ? '' : String(latest.windowSeconds);
  const pause = byId<HTMLButtonElement>('pause');
  pause.textContent = page.paused ? 'Resume' : 'Pause';
  pause.setAttribute('aria-pressed', String(page.paused));
}

function renderBanner(range: TimeRange): void {
  const banner = byId('banner');
  const s = page.status;
  const lines: string[] = [];
  let kind = '';
  if (page.lost) {
    kind = 'error';
    lines.push(`Lost contact with the ryot top --web server (${page.lost}). Was it stopped? The charts show what arrived before.`);
  } else if (s.state === 'error') {
    kind = 'error';
    lines.push(`Cannot scrape ${page.target}: ${s.error ?? 'unknown error'}`);
    const last = s.lastSuccessAt === undefined ? 'never reached' : `last success ${clock(s.lastSuccessAt)}: the charts stop there`;
    const failures = s.failures && s.failures > 1 ? `, ${s.failures} failures in a row` : '';
    lines.push(`Retrying every ${page.intervalMs / 1000} s (${last}${failures}).`);
  } else {
    const resets = visiblePoints(range).filter((p) => p.reset);
    if (resets.length > 0) {
      kind = 'notice';
      const at = resets.map((p) => clock(p.t)).join(', ');
      lines.push(
        `Counters went down at ${at} (dashed line): the target restarted. Rates count from zero across a restart, as PromQL's rate() does, so no chart dips below zero.`,
      );
    }
  }
  banner.hidden = lines.length === 0;
  banner.className = `banner ${kind}`;
  banner.dataset.kind = kind;
  banner.replaceChildren(...lines.map((line) => el('p', {}, line)));
}

function renderEmpty(latest: WebPoint | undefined): void {
  const empty = byId('empty');
  let text = '';
  if (!latest) {
    if (page.status.state === 'connecting') text = `Connecting to ${page.target || 'the target'}…`;
    else if (page.status.state === 'error') text = 'Nothing to show yet: the target has not answered. The reason is above.';
  } else if (latest.models.length === 0) {
    text = `No Ryot model metrics at ${page.target}: the exposition has no ryot_* series with a model label.`;
    if (latest.parseErrors > 0) text += ` ${latest.parseErrors} lines could not be parsed: is this a Prometheus /metrics endpoint?`;
  } else if (latest.windowSeconds === undefined) {
    text = `First scrape in: rates and percentiles need a second one (in ${page.intervalMs / 1000} s).`;
  }
  empty.textContent = text;
  empty.hidden = text === '';
}

function renderModelChips(models: readonly string[]): void {
  const chips = byId('models');
  chips.hidden = models.length === 0;
  const wanted = ['*', ...models];
  const current = [...chips.children].map((c) => (c as HTMLElement).dataset.model);
  if (current.join('\n') !== wanted.join('\n')) {
    chips.replaceChildren(
      ...wanted.map((model) => {
        const chip = el('button', { type: 'button', class: 'chip', 'data-model': model }, model === '*' ? 'All models' : model);
        chip.addEventListener('click', () => {
          if (model === '*') page.hidden.clear();
          else if (page.hidden.has(model)) page.hidden.delete(model);
          else page.hidden.add(model);
          render();
        });
        return chip;
      }),
    );
  }
  for (const chip of chips.children as HTMLCollectionOf<HTMLElement>) {
    const model = chip.dataset.model!;
    const pressed = model === '*' ? page.hidden.size === 0 : !page.hidden.has(model);
    chip.setAttribute('aria-pressed', String(pressed));
  }
}

// ---- overview table ----------------------------------------------------------------------------------------------

function renderOverview(latest: WebPoint | undefined, models: readonly string[]): void {
  const section = byId('overview');
  const rows = latest ? models.map((m) => modelOf(latest, m)).filter((r): r is ModelPoint => r !== undefined) : [];
  section.hidden = rows.length === 0;
  if (rows.length === 0) return;
  const table = section.querySelector('table')!;
  const head = table.tHead!;
  if (head.rows.length === 0) {
    head.append(el('tr', {}, el('th', { scope: 'col' }, 'model'), ...OVERVIEW_COLUMNS.map((c) => el('th', { scope: 'col' }, c.title))));
  }
  const body = table.tBodies[0]!;
  body.replaceChildren(
    ...rows.map((row) =>
      el(
        'tr',
        { 'data-model': row.model },
        el('th', { scope: 'row' }, el('a', { href: `#model-${encodeURIComponent(row.model)}` }, row.model)),
        ...OVERVIEW_COLUMNS.map((column) => {
          const value = column.value(row);
          return el('td', { 'data-cell': column.key, 'data-value': value === undefined ? '' : String(value) }, value === undefined ? '–' : FORMAT[column.unit](value));
        }),
      ),
    ),
  );
}

// ---- per-model sections ----------------------------------------------------------------------------------------

function figure(panelId: string, title: string): HTMLElement {
  const canvas = el('canvas', { role: 'img', 'aria-label': title });
  return el('figure', { class: 'panel', 'data-panel': panelId }, el('figcaption', {}, el('span', { class: 'panel-title' }, title), el('span', { class: 'legend' })), canvas);
}

function legend(fig: HTMLElement, items: ReadonlyArray<{ key: string; label: string; color: string; text: string; value?: number; dashed?: boolean }>): void {
  const node = fig.querySelector('.legend')!;
  node.replaceChildren(
    ...items.map((item) => {
      const swatch = el('i', { class: item.dashed ? 'swatch dashed' : 'swatch' });
      swatch.style.setProperty('--swatch', `var(${item.color})`);
      return el('span', { class: 'item', 'data-series': item.key, 'data-value': item.value === undefined ? '' : String(item.value) }, swatch, `${item.label} `, el('b', {}, item.text));
    }),
  );
}

function modelSection(model: string): HTMLElement {
  const container = byId('model-sections');
  for (const existing of container.children as HTMLCollectionOf<HTMLElement>) if (existing.dataset.model === model) return existing;
  const section = el(
    'section',
    { class: 'model', 'data-model': model, id: `model-${encodeURIComponent(model)}` },
    el('h2', {}, model),
    el('div', { class: 'grid' }, ...MODEL_PANELS.map((p) => figure(p.id, p.title))),
  );
  // Keep the sections in model order.
  const after = [...(container.children as HTMLCollectionOf<HTMLElement>)].find((s) => s.dataset.model!.localeCompare(model) > 0);
  container.insertBefore(section, after ?? null);
  return section;
}

function axisFor(unit: Unit): Axis {
  const max = AXIS_MAX[unit];
  return { format: FORMAT[unit], ...(max !== undefined ? { max } : {}), ...(unit === 'bytes' ? { binary: true } : {}) };
}

function drawModelPanel(fig: HTMLElement, panel: ModelPanel, model: string, points: readonly WebPoint[], latest: ModelPoint | undefined, range: TimeRange, palette: Colors, resets: number[]): boolean {
  const canvas = fig.querySelector('canvas')!;
  const rows = points.map((p) => [p.t, modelOf(p, model)] as const);
  if (panel.kind === 'heatmap') {
    const columns: HeatColumn[] = [];
    for (const [t, row] of rows) {
      const cells = row?.heat?.[panel.heat];
      if (cells) columns.push({ t, counts: new Map(cells.map(([le, n]) => [le ?? Infinity, n])) });
    }
    if (!columns.some((c) => c.counts.size > 0)) return false;
    const lastCells = latest?.heat?.[panel.heat] ?? [];
    const total = lastCells.reduce((sum, [, n]) => sum + n, 0);
    legend(fig, [{ key: 'observations', label: 'in the last window', color: '--heat', text: String(total), value: total }]);
    drawHeatmap(canvas, columns, range, FORMAT.seconds, palette, resets);
    return true;
  }
  if (panel.kind === 'status') {
    const statuses = new Set<string>();
    for (const [, row] of rows) for (const status of Object.keys(row?.statusRates ?? {})) statuses.add(status);
    if (statuses.size === 0) return false;
    const ordered = [...statuses].sort((a, b) => {
      const ia = STATUS_ORDER.indexOf(a);
      const ib = STATUS_ORDER.indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
    });
    const series: Series[] = ordered.map((status) => ({
      label: status,
      color: cssColor(STATUS_COLORS[status] ?? '--c-status-other'),
      values: rows.map(([t, row]) => [t, row?.statusRates ? (row.statusRates[status] ?? 0) : undefined] as const),
    }));
    legend(
      fig,
      ordered.map((status) => {
        const value = latest?.statusRates ? (latest.statusRates[status] ?? 0) : undefined;
        return { key: status, label: status, color: STATUS_COLORS[status] ?? '--c-status-other', text: value === undefined ? '–' : FORMAT.rate(value), ...(value === undefined ? {} : { value }) };
      }),
    );
    drawLines(canvas, series, range, { format: FORMAT.rate }, palette, resets, true);
    return true;
  }
  const hasData = rows.some(([, row]) => row !== undefined && panel.series.some((s) => s.value(row) !== undefined));
  if (!hasData) return false;
  const series: Series[] = panel.series.map((s) => ({
    label: s.label,
    color: cssColor(s.color),
    values: rows.map(([t, row]) => [t, row ? s.value(row) : undefined] as const),
    ...(s.dashed ? { dashed: true } : {}),
  }));
  legend(
    fig,
    panel.series.map((s) => {
      const value = latest ? s.value(latest) : undefined;
      return { key: s.key, label: s.label, color: s.color, text: value === undefined ? '–' : FORMAT[panel.unit](value), ...(value === undefined ? {} : { value }), ...(s.dashed ? { dashed: true } : {}) };
    }),
  );
  drawLines(canvas, series, range, axisFor(panel.unit), palette, resets);
  return true;
}

function renderModels(models: readonly string[], points: readonly WebPoint[], latest: WebPoint | undefined, range: TimeRange, palette: Colors, resets: number[]): void {
  const container = byId('model-sections');
  const shown = new Set(models);
  for (const section of [...(container.children as HTMLCollectionOf<HTMLElement>)]) if (!shown.has(section.dataset.model!)) section.remove();
  for (const model of models) {
    const section = modelSection(model);
    const last = latest ? modelOf(latest, model) : undefined;
    for (const panel of MODEL_PANELS) {
      const fig = section.querySelector<HTMLElement>(`figure[data-panel="${panel.id}"]`)!;
      // Unhide first: a hidden canvas has no size to draw at.
      fig.hidden = false;
      fig.hidden = !drawModelPanel(fig, panel, model, points, last, range, palette, resets);
    }
  }
}

// ---- GPU devices -------------------------------------------------------------------------------------------------

function renderDevices(points: readonly WebPoint[], latest: WebPoint | undefined, range: TimeRange, palette: Colors, resets: number[]): void {
  const section = byId('gpu');
  const ids = [...new Set(points.flatMap((p) => p.devices.map((d) => d.id)))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  section.hidden = ids.length === 0;
  if (ids.length === 0) return;
  const grid = section.querySelector('.grid')!;
  if (grid.children.length === 0) grid.append(...DEVICE_PANELS.map((p) => figure(p.key, p.title)));
  const names = new Map<string, string>();
  for (const p of points) for (const d of p.devices) if (d.name) names.set(d.id, d.name);
  const label = (id: string) => `GPU ${id}${names.has(id) ? ` ${names.get(id)}` : ''}`;
  const deviceColor = (i: number) => `--c-${(i % 4) + 1}`;
  for (const panel of DEVICE_PANELS) {
    const fig = grid.querySelector<HTMLElement>(`figure[data-panel="${panel.key}"]`)!;
    const values = (id: string) => points.map((p) => [p.t, (() => { const d = p.devices.find((x) => x.id === id); return d ? panel.value(d) : undefined; })()] as const);
    const hasData = ids.some((id) => values(id).some(([, v]) => v !== undefined));
    fig.hidden = false;
    if (!hasData) {
      fig.hidden = true;
      continue;
    }
    legend(
      fig,
      ids.map((id, i) => {
        const device = latest?.devices.find((d) => d.id === id);
        const value = device ? panel.value(device) : undefined;
        return { key: id, label: label(id), color: deviceColor(i), text: value === undefined ? '–' : FORMAT[panel.unit](value), ...(value === undefined ? {} : { value }) };
      }),
    );
    drawLines(
      fig.querySelector('canvas')!,
      ids.map((id, i) => ({ label: label(id), color: cssColor(deviceColor(i)), values: values(id) })),
      range,
      axisFor(panel.unit),
      palette,
      resets,
    );
  }
}

// ---- the whole page ----------------------------------------------------------------------------------------------

function render(): void {
  const range = timeRange();
  const points = visiblePoints(range);
  const latest = latestPoint(range);
  const everyModel = [...new Set(points.flatMap((p) => p.models.map((m) => m.model)))].sort((a, b) => a.localeCompare(b));
  const models = everyModel.filter((m) => !page.hidden.has(m));
  const palette = colors();
  const resets = points.filter((p) => p.reset).map((p) => p.t);
  byId('target').textContent = page.target;
  if (page.target) document.title = `ryot top · ${page.target}`;
  document.body.classList.toggle('stale', page.status.state === 'error' || page.lost !== undefined);
  renderStatus(latest);
  renderBanner(range);
  renderEmpty(latest);
  renderModelChips(everyModel);
  renderOverview(latest, models);
  renderDevices(points, latest, range, palette, resets);
  renderModels(models, points, latest, range, palette, resets);
}

let timer: number | undefined;

async function poll(): Promise<void> {
  timer = undefined;
  try {
    const response = await fetch(`/api/state?since=${page.lastSeq}`, { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    apply((await response.json()) as WebState);
    page.lost = undefined;
  } catch (error) {
    page.lost = error instanceof Error ? error.message : String(error);
  }
  if (page.paused) return;
  render();
  timer = window.setTimeout(() => void poll(), page.intervalMs);
}

function setPaused(paused: boolean): void {
  if (paused === page.paused) return;
  // The live range's end, taken before the flag changes what timeRange() returns.
  if (paused) page.pausedAt = timeRange().to;
  page.paused = paused;
  if (paused) {
    if (timer !== undefined) window.clearTimeout(timer);
    timer = undefined;
    render();
  } else void poll();
}

function setup(): void {
  const select = byId<HTMLSelectElement>('window');
  select.replaceChildren(...WINDOWS.map(([ms, label]) => el('option', { value: String(ms) }, label)));
  select.value = String(DEFAULT_WINDOW_MS);
  select.addEventListener('change', () => {
    page.windowMs = Number(select.value);
    render();
  });
  byId('pause').addEventListener('click', () => setPaused(!page.paused));
  document.addEventListener('keydown', (event) => {
    if (event.target instanceof HTMLSelectElement || event.target instanceof HTMLButtonElement || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === 'p' || event.key === ' ') {
      event.preventDefault();
      setPaused(!page.paused);
    }
  });
  window.addEventListener('resize', () => render());
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => render());
  void poll();
}

setup();
