/**
 * What the page draws, as data: one entry per chart. A new series (goodput, cost, …) is a field on ModelPoint (see
 * ../snapshot.ts) plus one entry here; a panel appears only when its series have a value in the window.
 */
import { formatBytes, formatCount, formatRate, formatSeconds } from '../../format.js';
import type { DeviceRow } from '../../rows.js';
import type { HeatKey, ModelPoint } from '../types.js';

export type Unit = 'seconds' | 'rate' | 'count' | 'ratio' | 'percent' | 'bytes' | 'celsius' | 'watts';

export const FORMAT: Readonly<Record<Unit, (v: number) => string>> = {
  seconds: formatSeconds,
  rate: formatRate,
  count: formatCount,
  ratio: (v) => `${Math.round(v * 1000) / 10}%`,
  percent: (v) => `${Math.round(v * 10) / 10}%`,
  bytes: formatBytes,
  celsius: (v) => `${Math.round(v)}°C`,
  watts: (v) => `${Math.round(v)} W`,
};

/** Fixed axis tops; other units scale to the data. */
export const AXIS_MAX: Partial<Record<Unit, number>> = { ratio: 1, percent: 100 };

export interface SeriesDef<T> {
  readonly key: string;
  readonly label: string;
  /** A CSS custom property holding the color. */
  readonly color: string;
  readonly value: (row: T) => number | undefined;
  readonly dashed?: boolean;
}

export interface LinesPanel<T> {
  readonly kind: 'lines';
  readonly id: string;
  readonly title: string;
  readonly unit: Unit;
  readonly series: readonly SeriesDef<T>[];
}

/** Requests/s stacked by the `status` label; the statuses come from the data. */
export interface StatusPanel {
  readonly kind: 'status';
  readonly id: string;
  readonly title: string;
  readonly unit: 'rate';
}

export interface HeatmapPanel {
  readonly kind: 'heatmap';
  readonly id: string;
  readonly title: string;
  readonly heat: HeatKey;
}

export type ModelPanel = LinesPanel<ModelPoint> | StatusPanel | HeatmapPanel;

const quantiles = (
  p50: (r: ModelPoint) => number | undefined,
  p95: (r: ModelPoint) => number | undefined,
  p99: (r: ModelPoint) => number | undefined,
): SeriesDef<ModelPoint>[] => [
  { key: 'p50', label: 'p50', color: '--c-p50', value: p50 },
  { key: 'p95', label: 'p95', color: '--c-p95', value: p95 },
  { key: 'p99', label: 'p99', color: '--c-p99', value: p99 },
];

export const MODEL_PANELS: readonly ModelPanel[] = [
  { kind: 'status', id: 'requests', title: 'Requests/s by status', unit: 'rate' },
  { kind: 'lines', id: 'tokens', title: 'Output tokens/s', unit: 'rate', series: [{ key: 'tokens', label: 'tok/s', color: '--c-1', value: (r) => r.tokensPerSecond }] },
  { kind: 'lines', id: 'ttft', title: 'Time to first token', unit: 'seconds', series: quantiles((r) => r.ttftP50, (r) => r.ttftP95, (r) => r.ttftP99) },
  { kind: 'heatmap', id: 'ttft-heatmap', title: 'TTFT distribution (requests per bucket)', heat: 'ttft' },
  { kind: 'lines', id: 'itl', title: 'Inter-token latency', unit: 'seconds', series: quantiles((r) => r.itlP50, (r) => r.itlP95, (r) => r.itlP99) },
  { kind: 'heatmap', id: 'itl-heatmap', title: 'ITL distribution (token gaps per bucket)', heat: 'itl' },
  { kind: 'lines', id: 'duration', title: 'Request duration', unit: 'seconds', series: quantiles((r) => r.durationP50, (r) => r.durationP95, (r) => r.durationP99) },
  {
    kind: 'lines',
    id: 'load',
    title: 'In flight and queued',
    unit: 'count',
    series: [
      { key: 'inFlight', label: 'in flight', color: '--c-1', value: (r) => r.inFlight },
      { key: 'queueSize', label: 'queued', color: '--c-2', value: (r) => r.queueSize },
    ],
  },
  { kind: 'lines', id: 'queue-wait', title: 'Queue wait', unit: 'seconds', series: quantiles((r) => r.queueWaitP50, (r) => r.queueWaitP95, (r) => r.queueWaitP99) },
  { kind: 'lines', id: 'cache', title: 'Cache hit ratio', unit: 'ratio', series: [{ key: 'cache', label: 'hits', color: '--c-1', value: (r) => r.cacheHitRatio }] },
  {
    kind: 'lines',
    id: 'gpu-memory',
    title: 'GPU memory (this model)',
    unit: 'bytes',
    series: [
      { key: 'used', label: 'used', color: '--c-1', value: (r) => r.gpuMemoryUsedBytes },
      { key: 'reserved', label: 'reserved', color: '--c-2', value: (r) => r.gpuMemoryReservedBytes, dashed: true },
    ],
  },
  { kind: 'lines', id: 'gpu-util', title: 'GPU utilization (this model)', unit: 'percent', series: [{ key: 'util', label: 'util', color: '--c-1', value: (r) => r.gpuUtilizationPercent }] },
];

/** One number of a row (a device, a model) with its title and unit: a device chart or an overview column. */
export interface MetricDef<T> {
  readonly key: string;
  readonly title: string;
  readonly unit: Unit;
  readonly value: (row: T) => number | undefined;
}

/** Per-device charts: one line per device. */
export const DEVICE_PANELS: readonly MetricDef<DeviceRow>[] = [
  { key: 'memory', title: 'Memory used', unit: 'bytes', value: (d) => d.memoryUsedBytes },
  { key: 'memory-share', title: 'Memory used / limit', unit: 'ratio', value: (d) => (d.memoryUsedBytes !== undefined && d.memoryLimitBytes ? d.memoryUsedBytes / d.memoryLimitBytes : undefined) },
  { key: 'utilization', title: 'Utilization', unit: 'percent', value: (d) => d.utilizationPercent },
  { key: 'temperature', title: 'Temperature', unit: 'celsius', value: (d) => d.temperatureCelsius },
  { key: 'power', title: 'Power', unit: 'watts', value: (d) => d.powerWatts },
];

/** Colors of request statuses; others get --c-status-other. */
export const STATUS_COLORS: Readonly<Record<string, string>> = {
  success: '--c-success',
  cancelled: '--c-cancelled',
  timeout: '--c-timeout',
  error: '--c-error',
};
/** Stacking order: success at the bottom, failures on top where they show. */
export const STATUS_ORDER = ['success', 'cancelled', 'timeout', 'error'];

/** The overview table's columns. */
export const OVERVIEW_COLUMNS: readonly MetricDef<ModelPoint>[] = [
  { key: 'requestsPerSecond', title: 'req/s', unit: 'rate', value: (r) => r.requestsPerSecond },
  { key: 'errorPercent', title: 'errors', unit: 'percent', value: (r) => r.errorPercent },
  { key: 'ttftP50', title: 'TTFT p50', unit: 'seconds', value: (r) => r.ttftP50 },
  { key: 'ttftP95', title: 'TTFT p95', unit: 'seconds', value: (r) => r.ttftP95 },
  { key: 'ttftP99', title: 'TTFT p99', unit: 'seconds', value: (r) => r.ttftP99 },
  { key: 'itlP50', title: 'ITL p50', unit: 'seconds', value: (r) => r.itlP50 },
  { key: 'itlP95', title: 'ITL p95', unit: 'seconds', value: (r) => r.itlP95 },
  { key: 'itlP99', title: 'ITL p99', unit: 'seconds', value: (r) => r.itlP99 },
  { key: 'tokensPerSecond', title: 'tok/s', unit: 'rate', value: (r) => r.tokensPerSecond },
  { key: 'inFlight', title: 'in flight', unit: 'count', value: (r) => r.inFlight },
  { key: 'queueSize', title: 'queued', unit: 'count', value: (r) => r.queueSize },
  { key: 'queueWaitP95', title: 'wait p95', unit: 'seconds', value: (r) => r.queueWaitP95 },
  { key: 'cacheHitRatio', title: 'cache hits', unit: 'ratio', value: (r) => r.cacheHitRatio },
  { key: 'gpuMemoryUsedBytes', title: 'GPU mem', unit: 'bytes', value: (r) => r.gpuMemoryUsedBytes },
];
