import { bucketDeltas, increaseOf } from './delta.js';
import type { Exposition, Labels } from './parse.js';
import { histogramQuantile } from './quantile.js';

/** Exposition names `ryot top` reads (see packages/metrics/METRICS.md). */
export const NAMES = {
  requests: 'ryot_inference_requests_total',
  duration: 'ryot_inference_request_duration_seconds',
  ttft: 'ryot_inference_ttft_seconds',
  itl: 'ryot_inference_inter_token_latency_seconds',
  inFlight: 'ryot_inference_requests_in_flight',
  tokens: 'ryot_tokens_generated_total',
  queueSize: 'ryot_inference_queue_size',
  queueWait: 'ryot_inference_queue_wait_seconds',
  cacheHits: 'ryot_cache_hits_total',
  cacheLookups: 'ryot_cache_lookups_total',
  cacheHitRatio: 'ryot_model_cache_hit_ratio',
  gpuUsed: 'ryot_gpu_memory_usage_bytes',
  gpuReserved: 'ryot_gpu_memory_reserved_bytes',
  gpuUtilization: 'ryot_gpu_utilization_percent',
  hwMemoryUsage: 'hw_gpu_memory_usage',
  hwMemoryLimit: 'hw_gpu_memory_limit',
  hwUtilization: 'hw_gpu_utilization',
  hwTemperature: 'hw_temperature',
  hwPower: 'hw_power',
} as const;

/** Statuses counted as errors in ERR%: failures of the service. `cancelled` (the client went away) is not one. */
export const ERROR_STATUSES: readonly string[] = ['error', 'timeout'];

/**
 * One model's line of the table. Rates and quantiles cover the window between the last two scrapes; `undefined`
 * means "cannot say": no previous scrape yet, the metric is absent, or (for ratios and quantiles) nothing happened in
 * the window.
 */
export interface ModelRow {
  readonly model: string;
  /** Finished requests per second (all statuses). */
  readonly requestsPerSecond?: number;
  /** Requests finished in the window, all statuses. */
  readonly requests?: number;
  /** 100 × (error + timeout) ÷ all finished requests in the window. */
  readonly errorPercent?: number;
  /** 100 × cancelled ÷ all finished requests in the window. */
  readonly cancelledPercent?: number;
  /** Seconds. */
  readonly ttftP50?: number;
  readonly ttftP95?: number;
  readonly ttftP99?: number;
  readonly itlP50?: number;
  readonly itlP95?: number;
  readonly itlP99?: number;
  readonly durationP50?: number;
  readonly durationP95?: number;
  readonly durationP99?: number;
  /** Seconds spent queued before the engine took the request (ryot_inference_queue_wait_seconds). */
  readonly queueWaitP50?: number;
  readonly queueWaitP95?: number;
  readonly queueWaitP99?: number;
  /** Output tokens per second (ryot_tokens_generated_total, added when a request finishes). */
  readonly tokensPerSecond?: number;
  /** Gauges, summed over the model's series. */
  readonly inFlight?: number;
  readonly queueSize?: number;
  /** 0..1: Δhits ÷ Δlookups in the window, else the ryot_model_cache_hit_ratio gauge (last 60 s). */
  readonly cacheHitRatio?: number;
  readonly cacheHitSource?: 'counters' | 'gauge';
  /** Summed over gpu_id. */
  readonly gpuMemoryUsedBytes?: number;
  readonly gpuMemoryReservedBytes?: number;
  /** Mean over gpu_id, 0..100. */
  readonly gpuUtilizationPercent?: number;
}

/** One GPU device from the hw.gpu.* metrics of @ryot/nvml (or any OTel hardware-semconv source). */
export interface DeviceRow {
  readonly id: string;
  readonly name?: string;
  readonly memoryUsedBytes?: number;
  readonly memoryLimitBytes?: number;
  /** 0..100. */
  readonly utilizationPercent?: number;
  readonly temperatureCelsius?: number;
  readonly powerWatts?: number;
}

function defined<T extends object>(row: T): T {
  for (const key of Object.keys(row) as (keyof T)[]) if (row[key] === undefined) delete row[key];
  return row;
}

function finiteOrUndefined(n: number | undefined): number | undefined {
  return n === undefined || !Number.isFinite(n) ? undefined : n;
}

/** The models present: every `model` label on a ryot_* series, except the system info series. */
export function modelsIn(exposition: Exposition): string[] {
  const models = new Set<string>();
  for (const [name, samples] of exposition.samples) {
    if (!name.startsWith('ryot_') || name === 'ryot_system_info') continue;
    for (const s of samples) if (s.labels.model !== undefined) models.add(s.labels.model);
  }
  return [...models].sort((a, b) => a.localeCompare(b));
}

/** p50, p95 and p99 of the window's bucket deltas. */
function quantiles(
  previous: Exposition | undefined,
  current: Exposition,
  base: string,
  filter: Labels,
): [number | undefined, number | undefined, number | undefined] {
  if (!previous) return [undefined, undefined, undefined];
  const deltas = bucketDeltas(previous, current, base, filter);
  const at = (q: number) => finiteOrUndefined(histogramQuantile(q, deltas));
  return [at(0.5), at(0.95), at(0.99)];
}

function mean(exposition: Exposition, name: string, filter: Labels): number | undefined {
  const samples = exposition.get(name, filter).filter((s) => Number.isFinite(s.value));
  if (samples.length === 0) return undefined;
  return samples.reduce((sum, s) => sum + s.value, 0) / samples.length;
}

/**
 * The table's numbers for every model in `current`. `previous` is the scrape before (undefined on the first one);
 * `elapsedSeconds` the time between them. Counters are differenced per series with Prometheus's reset rule, then
 * summed by model; quantiles use `histogram_quantile` over the summed bucket deltas.
 */
export function computeModelRows(
  previous: Exposition | undefined,
  current: Exposition,
  elapsedSeconds: number,
): ModelRow[] {
  const perSecond = (n: number | undefined) =>
    n === undefined || !(elapsedSeconds > 0) ? undefined : n / elapsedSeconds;
  // OTel creates a series on its first record: a model that has not finished a request yet has no
  // requests_total series while other models do. When the metric is exported at all, its absence for one model
  // means zero, not "unknown".
  const exported = (name: string) => current.get(name).length > 0;
  const increaseOrZero = (name: string, filter: Labels) =>
    increaseOf(previous, current, name, filter) ?? (previous && exported(name) ? 0 : undefined);
  const gaugeOrZero = (name: string, filter: Labels) => current.sum(name, filter) ?? (exported(name) ? 0 : undefined);
  return modelsIn(current).map((model) => {
    const filter = { model };
    const requests = increaseOrZero(NAMES.requests, filter);
    let failed = 0;
    let cancelled = 0;
    if (requests !== undefined && previous) {
      for (const status of ERROR_STATUSES) failed += increaseOf(previous, current, NAMES.requests, { model, status }) ?? 0;
      cancelled = increaseOf(previous, current, NAMES.requests, { model, status: 'cancelled' }) ?? 0;
    }
    const [ttftP50, ttftP95, ttftP99] = quantiles(previous, current, NAMES.ttft, filter);
    const [itlP50, itlP95, itlP99] = quantiles(previous, current, NAMES.itl, filter);
    const [durationP50, durationP95, durationP99] = quantiles(previous, current, NAMES.duration, filter);
    const [queueWaitP50, queueWaitP95, queueWaitP99] = quantiles(previous, current, NAMES.queueWait, filter);

    const hits = increaseOf(previous, current, NAMES.cacheHits, filter);
    const lookups = increaseOf(previous, current, NAMES.cacheLookups, filter);
    let cacheHitRatio: number | undefined;
    let cacheHitSource: ModelRow['cacheHitSource'];
    if (hits !== undefined && lookups !== undefined && lookups > 0) {
      cacheHitRatio = Math.min(1, hits / lookups);
      cacheHitSource = 'counters';
    } else {
      cacheHitRatio = finiteOrUndefined(mean(current, NAMES.cacheHitRatio, filter));
      if (cacheHitRatio !== undefined) cacheHitSource = 'gauge';
    }

    return defined<ModelRow>({
      model,
      requestsPerSecond: perSecond(requests),
      requests,
      errorPercent: requests ? (100 * failed) / requests : undefined,
      cancelledPercent: requests ? (100 * cancelled) / requests : undefined,
      ttftP50,
      ttftP95,
      ttftP99,
      itlP50,
      itlP95,
      itlP99,
      durationP50,
      durationP95,
      durationP99,
      queueWaitP50,
      queueWaitP95,
      queueWaitP99,
      tokensPerSecond: perSecond(increaseOrZero(NAMES.tokens, filter)),
      inFlight: gaugeOrZero(NAMES.inFlight, filter),
      queueSize: gaugeOrZero(NAMES.queueSize, filter),
      cacheHitRatio,
      cacheHitSource,
      gpuMemoryUsedBytes: current.sum(NAMES.gpuUsed, filter),
      gpuMemoryReservedBytes: current.sum(NAMES.gpuReserved, filter),
      gpuUtilizationPercent: mean(current, NAMES.gpuUtilization, filter),
    });
  });
}

/** GPU devices by `hw_id`, from hw_gpu_memory_usage / hw_gpu_memory_limit / hw_gpu_utilization (when present). */
export function computeDevices(current: Exposition): DeviceRow[] {
  const ids = new Set<string>();
  const names = new Map<string, string>();
  for (const metric of [NAMES.hwMemoryUsage, NAMES.hwMemoryLimit, NAMES.hwUtilization]) {
    for (const s of current.get(metric)) {
      const id = s.labels.hw_id;
      if (id === undefined) continue;
      ids.add(id);
      if (s.labels.hw_name && !names.has(id)) names.set(id, s.labels.hw_name);
    }
  }
  return [...ids]
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
    .map((id) => {
      const filter = { hw_id: id };
      // hw_gpu_utilization may carry hw_gpu_task (general, encoder, decoder…): prefer the general/untagged series.
      const util = current.get(NAMES.hwUtilization, filter);
      const general = util.find((s) => !s.labels.hw_gpu_task || s.labels.hw_gpu_task === 'general') ?? util[0];
      return defined<DeviceRow>({
        id,
        name: names.get(id),
        memoryUsedBytes: current.value(NAMES.hwMemoryUsage, filter),
        memoryLimitBytes: current.value(NAMES.hwMemoryLimit, filter),
        utilizationPercent: general === undefined ? undefined : finiteOrUndefined(general.value * 100),
        temperatureCelsius: finiteOrUndefined(current.value(NAMES.hwTemperature, filter)),
        powerWatts: finiteOrUndefined(current.value(NAMES.hwPower, filter)),
      });
    });
}
