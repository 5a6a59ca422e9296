/**
 * registerGpuMetrics(): GPU gauges on the Ryot meter, fed by a background sampler.
 * Collection reads the latest sample only, so a scrape never waits on NVML.
 * Without NVML it registers nothing, logs one diag.warn and reports why on the handle.
 */
import { diag, metrics, type BatchObservableCallback, type Meter, type MeterProvider } from '@opentelemetry/api';
import { updateGpuMetrics as defaultUpdateGpuMetrics } from '@ryot/metrics';
import { NvmlConfigError } from './errors.js';
import { createGpuInstruments, instrumentList, observeSnapshot, type GpuInstruments } from './observe.js';
import { GpuSampler } from './sampler.js';
import { modelGaugeUpdates, type GpuMetricsSink } from './model-gauges.js';
import { NvmlSession, validateNvmlOptions } from './session.js';
import type { GpuSnapshot, NvmlOptions, NvmlStatus } from './types.js';
import { NVML_METER_NAME, NVML_VERSION } from './version.js';

export const DEFAULT_INTERVAL_MS = 5000;
const MIN_STALE_MS = 5000;
const SHUTDOWN_WAIT_MS = 2000;

export interface GpuMetricsOptions extends NvmlOptions {
  /** Default: the global MeterProvider (metrics.getMeterProvider()). */
  meterProvider?: MeterProvider;
  /** Sampling period in ms (default 5000, minimum 10). */
  intervalMs?: number;
  /** A sample older than this is not exported (default max(3 × intervalMs, 5000)). */
  maxSampleAgeMs?: number;
  /** Model label for the model's ryot_gpu_* gauges. */
  model?: string;
  /**
   * Feed the model's gauges (ryot_gpu_memory_usage_bytes, _reserved_bytes, ryot_gpu_utilization_percent,
   * ryot_memory_efficiency_ratio) for `model`. Default: true when `model` is set. Pass an object
   * with `updateGpuMetrics` (e.g. from createRyot()) to target a specific Ryot instance.
   */
  modelGauges?: boolean | { updateGpuMetrics: GpuMetricsSink };
}

export type GpuMetricsState = 'starting' | 'running' | 'unavailable' | 'stopped';

export interface GpuMetricsHandle {
  readonly state: GpuMetricsState;
  /** 'starting' until NVML answered; then the NVML status (available or the reason it is not). */
  readonly status: NvmlStatus | undefined;
  /** Settles once NVML was opened (or found unavailable). Never rejects. */
  readonly ready: Promise<NvmlStatus>;
  /** The most recent completed sample. */
  latest(): GpuSnapshot | undefined;
  /** Removes the callback, stops sampling and releases NVML. Idempotent. */
  shutdown(): Promise<void>;
  /** Alias of shutdown(). */
  stop(): Promise<void>;
}

interface ValidOptions {
  intervalMs: number;
  maxSampleAgeMs: number;
  sink: GpuMetricsSink | undefined;
  model: string | undefined;
}

function validate(options: GpuMetricsOptions): ValidOptions {
  validateNvmlOptions(options);
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < 10) {
    throw new NvmlConfigError(`Expected a number >= 10 for intervalMs but received ${String(intervalMs)}`);
  }
  const maxSampleAgeMs = options.maxSampleAgeMs ?? Math.max(3 * intervalMs, MIN_STALE_MS);
  if (typeof maxSampleAgeMs !== 'number' || !(maxSampleAgeMs > 0)) {
    throw new NvmlConfigError(`Expected a positive number for maxSampleAgeMs but received ${String(maxSampleAgeMs)}`);
  }
  const { model, modelGauges } = options;
  if (model !== undefined && (typeof model !== 'string' || model === '')) {
    throw new NvmlConfigError(`Expected a non-empty string for model but received ${JSON.stringify(model)}`);
  }
  const wantModelGauges = modelGauges === undefined ? model !== undefined : modelGauges !== false;
  if (wantModelGauges && model === undefined) {
    throw new NvmlConfigError('modelGauges needs a model label: pass options.model');
  }
  let sink: GpuMetricsSink | undefined;
  if (wantModelGauges) {
    sink = typeof modelGauges === 'object' && modelGauges !== null ? (update) => modelGauges.updateGpuMetrics(update) : defaultUpdateGpuMetrics;
  }
  return { intervalMs, maxSampleAgeMs, sink, model };
}

class GpuMetrics implements GpuMetricsHandle {
  state: GpuMetricsState = 'starting';
  status: NvmlStatus | undefined;
  readonly ready: Promise<NvmlStatus>;
  private session: NvmlSession | undefined;
  private sampler: GpuSampler | undefined;
  private instruments: GpuInstruments | undefined;
  private readonly callback: BatchObservableCallback;
  private stopping: Promise<void> | undefined;
  private warnedStale = false;
  private warnedSampleError = false;

  constructor(
    private readonly meter: Meter,
    private readonly valid: ValidOptions,
    options: NvmlOptions,
  ) {
    this.callback = (result) => {
      const snapshot = this.sampler?.latest;
      if (snapshot === undefined || this.instruments === undefined) return;
      if (Date.now() - snapshot.timestamp > this.valid.maxSampleAgeMs) {
        if (!this.warnedStale) {
          this.warnedStale = true;
          diag.warn(`@ryot/nvml: the last GPU sample is older than ${this.valid.maxSampleAgeMs} ms (an NVML call may be hung); GPU metrics are withheld until a fresh sample arrives.`);
        }
        return;
      }
      this.warnedStale = false;
      observeSnapshot(result, this.instruments, snapshot);
    };
    this.ready = this.start(options);
  }

  private async start(options: NvmlOptions): Promise<NvmlStatus> {
    const opened = await NvmlSession.open(options);
    if (!(opened instanceof NvmlSession)) {
      this.status = opened;
      if (this.state === 'starting') {
        this.state = 'unavailable';
        diag.warn(`@ryot/nvml: GPU metrics disabled: ${opened.message}`);
      }
      return opened;
    }
    this.status = opened.status;
    if (this.state !== 'starting') {
      await opened.close().catch(() => undefined);  // shutdown() was called while opening
      return opened.status;
    }
    this.session = opened;
    this.instruments = createGpuInstruments(this.meter);
    this.meter.addBatchObservableCallback(this.callback, instrumentList(this.instruments));
    this.sampler = new GpuSampler({
      intervalMs: this.valid.intervalMs,
      sample: () => opened.sample(),
      onSample: (snapshot) => this.onSample(snapshot),
      onError: (error) => {
        if (this.warnedSampleError) return;
        this.warnedSampleError = true;
        diag.warn(`@ryot/nvml: GPU sample failed: ${error instanceof Error ? error.message : String(error)}`);
      },
    });
    this.state = 'running';
    await this.sampler.start();
    return opened.status;
  }

  private onSample(snapshot: GpuSnapshot): void {
    this.warnedSampleError = false;
    const { sink, model } = this.valid;
    if (sink === undefined || model === undefined) return;
    for (const update of modelGaugeUpdates(snapshot, model)) {
      try {
        sink(update);
      } catch (error) {
        diag.warn(`@ryot/nvml: updateGpuMetrics failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  latest(): GpuSnapshot | undefined {
    return this.sampler?.latest;
  }

  shutdown(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.state = 'stopped';
    if (this.instruments) this.meter.removeBatchObservableCallback(this.callback, instrumentList(this.instruments));
    this.stopping = this.release();
    return this.stopping;
  }

  stop(): Promise<void> {
    return this.shutdown();
  }

  private async release(): Promise<void> {
    const sampler = this.sampler;
    const session = this.session;
    if (sampler === undefined || session === undefined) return;
    // Never nvmlShutdown under a running call; but never make the caller wait on a hung one either.
    const inFlight = sampler.stop();
    const close = inFlight.then(() => session.close()).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SHUTDOWN_WAIT_MS);
      timer.unref();
    });
    await Promise.race([close, bound]);
    clearTimeout(timer);
  }
}

/**
 * Registers GPU gauges (hw.gpu.memory.usage, hw.gpu.utilization, hw.power, hw.energy, ...)
 * on the Ryot meter. Throws only NvmlConfigError for invalid options.
 */
export function registerGpuMetrics(options: GpuMetricsOptions = {}): GpuMetricsHandle {
  const valid = validate(options);
  const provider = options.meterProvider ?? metrics.getMeterProvider();
  const meter = provider.getMeter(NVML_METER_NAME, NVML_VERSION);
  const nvmlOptions: NvmlOptions = {};
  if (options.libraryPath !== undefined) nvmlOptions.libraryPath = options.libraryPath;
  if (options.addonPath !== undefined) nvmlOptions.addonPath = options.addonPath;
  return new GpuMetrics(meter, valid, nvmlOptions);
}
