import { metrics, type Attributes, type BatchObservableCallback, type MeterProvider } from '@opentelemetry/api';
import { ERROR_TYPES, type ErrorType } from './catalog.js';
import { classifyError, type ErrorClassifier } from './classify.js';
import { monotonicClock, type Clock } from './clock.js';
import { Diagnostics, describeValue, safeString } from './diagnostics.js';
import { bindInstruments, type BoundInstruments } from './bound-instruments.js';
import { RyotConfigError } from './errors.js';
import { LabelGuard, ModelSeries } from './labels.js';
import { RyotMetricProducer } from './producer.js';

export interface GenAiSemconvOptions {
  /** `gen_ai.provider.name` on the gen_ai.server.* metrics. Default: the model's serving system is unknown to Ryot, so 'ryot'. */
  providerName?: string;
  /** `gen_ai.operation.name`. Default: 'chat'. */
  operationName?: string;
}

export interface RyotOptions {
  /** Record into this provider instead of the global one. */
  meterProvider?: MeterProvider;
  /** Monotonic clock in milliseconds. Default: performance.now(). */
  clock?: Clock;
  /** Distinct `model` label values kept before further values become `__overflow__`. Default 100. */
  maxModels?: number;
  /** Distinct `gpu_id` label values kept. Default 64. */
  maxGpus?: number;
  /** Maps a thrown value to an error_type; return undefined to fall back to the built-in classifier. */
  classifyError?: ErrorClassifier;
  /** Also emit the OTel GenAI server metrics (gen_ai.server.*). Off by default. */
  genAiSemconv?: boolean | GenAiSemconvOptions;
}

function sameAttributes(a: Attributes, b: Attributes): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

const DEFAULT_MAX_MODELS = 100;
/** The window of ryot_tokens_per_second: complete seconds, so a partial current second never dilutes the rate. */
const THROUGHPUT_WINDOW_SECONDS = 10;
const DEFAULT_MAX_GPUS = 64;
const ERROR_TYPE_SET: ReadonlySet<string> = new Set(ERROR_TYPES);

function validate(options: RyotOptions): void {
  const positiveInteger = (key: 'maxModels' | 'maxGpus') => {
    const value = options[key];
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new RyotConfigError(`Expected a positive integer for ${key} but received ${String(value)}`);
    }
  };
  positiveInteger('maxModels');
  positiveInteger('maxGpus');
  for (const key of ['clock', 'classifyError'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') {
      throw new RyotConfigError(`Expected a function for ${key} but received ${typeof options[key]}`);
    }
  }
  const meterProvider = options.meterProvider;
  if (meterProvider !== undefined && typeof meterProvider?.getMeter !== 'function') {
    throw new RyotConfigError('Expected a MeterProvider (an object with getMeter) for meterProvider');
  }
  const genAi = options.genAiSemconv;
  if (genAi !== undefined && typeof genAi !== 'boolean' && (typeof genAi !== 'object' || genAi === null)) {
    throw new RyotConfigError('Expected a boolean or { providerName, operationName } for genAiSemconv');
  }
}

/**
 * One Ryot recorder: options, label guards, per-model state and the instruments bound
 * to a MeterProvider. The top-level API uses a default instance; tests and multi-tenant
 * hosts create their own.
 */
export class Ryot {
  readonly diagnostics = new Diagnostics();
  private options: RyotOptions = {};
  private bound: BoundInstruments | undefined;
  private modelGuard!: LabelGuard<ModelSeries>;
  private gpuGuard!: LabelGuard<string>;
  private systemInfoAttributes: Attributes | undefined;
  /** Keyed by model series; `null` holds the info given without a model label. */
  private readonly modelInfoAttributes = new Map<ModelSeries | null, Attributes>();
  private producer: RyotMetricProducer | undefined;
  /** SDK collections seen by the batch callback while a producer exists: a producer no reader collects is reported. */
  private collectionsWithProducer = 0;
  now: Clock = monotonicClock;
  genAi: Required<GenAiSemconvOptions> | undefined;

  constructor(options: RyotOptions = {}) {
    this.configure(options);
  }

  /** Replaces the options. Invalid options throw RyotConfigError and change nothing. */
  configure(options: RyotOptions): void {
    validate(options);
    const merged = { ...this.options, ...options };
    const limitsChanged =
      !this.modelGuard ||
      merged.maxModels !== this.options.maxModels ||
      merged.maxGpus !== this.options.maxGpus;
    this.options = merged;
    this.now = merged.clock ?? monotonicClock;
    const genAi = merged.genAiSemconv;
    this.genAi = genAi
      ? {
          providerName: (typeof genAi === 'object' && genAi.providerName) || 'ryot',
          operationName: (typeof genAi === 'object' && genAi.operationName) || 'chat',
        }
      : undefined;
    if (limitsChanged) {
      this.modelGuard = new LabelGuard('model', merged.maxModels ?? DEFAULT_MAX_MODELS, (label) => new ModelSeries(label), this.diagnostics);
      this.gpuGuard = new LabelGuard('gpu_id', merged.maxGpus ?? DEFAULT_MAX_GPUS, (label) => label, this.diagnostics);
      this.modelInfoAttributes.clear();
    }
    this.unbind();
  }

  private unbind(): void {
    this.bound?.unbind();
    this.bound = undefined;
  }

  /**
   * The instruments for the current provider. The global provider is looked up on every
   * call so instruments never stay bound to the no-op provider that was global when
   * this module was imported (opentelemetry-js #3622).
   */
  instruments(): BoundInstruments {
    const provider = this.options.meterProvider ?? metrics.getMeterProvider();
    const bound = this.bound;
    if (bound !== undefined && bound.provider === provider) return bound;
    this.unbind();
    this.bound = bindInstruments(provider, this.genAi !== undefined, (instruments) => this.observe(instruments));
    return this.bound;
  }

  series(model: unknown): ModelSeries {
    return this.modelGuard.resolve(model);
  }

  gpuLabel(gpuId: unknown): string {
    return this.gpuGuard.resolve(typeof gpuId === 'number' && Number.isInteger(gpuId) ? String(gpuId) : gpuId);
  }

  /** The error_type for a thrown value: the user's classifier first, then the built-in one. */
  classify(error: unknown): ErrorType {
    const custom = this.options.classifyError;
    if (custom) {
      try {
        const result = custom(error);
        if (result !== undefined) {
          if (ERROR_TYPE_SET.has(result)) return result;
          this.diagnostics.warnOnce('classifier-result', () => `classifyError returned ${safeString(result)}, which is not an error_type; using the built-in classifier.`);
        }
      } catch (classifierError) {
        this.diagnostics.warnOnce('classifier-threw', () => `classifyError threw (${safeString(classifierError)}); using the built-in classifier.`);
      }
    }
    return classifyError(error);
  }

  /** Reports a value that cannot be recorded, once per metric and problem. */
  rejectValue(metric: string, value: unknown, expected: string): void {
    this.diagnostics.warnOnce(`invalid:${metric}:${expected}`, () => `dropped a value for ${metric}: expected ${expected}, received ${describeValue(value)}.`);
  }

  setSystemInfo(attributes: Attributes): void {
    const next = Object.freeze({ ...attributes });
    this.noteInfoReplaced(this.systemInfoAttributes, next);
    this.systemInfoAttributes = next;
  }

  setModelInfo(series: ModelSeries | null, attributes: Attributes): void {
    const next = Object.freeze(series ? { ...attributes, model: series.label } : { ...attributes });
    this.noteInfoReplaced(this.modelInfoAttributes.get(series), next);
    this.modelInfoAttributes.set(series, next);
  }

  /** The current info label sets: what ryot_system_info and ryot_model_info report now. */
  infoSets(): { system: Attributes | undefined; models: Iterable<Attributes> } {
    return { system: this.systemInfoAttributes, models: this.modelInfoAttributes.values() };
  }

  /**
   * The MetricProducer that serves the metrics the OTel SDK cannot drop once observed (the info metrics, whose
   * replaced label sets must leave the exposition). Once it exists, the SDK instruments no longer observe them:
   * pass it to every reader (`metricProducers`); startTelemetry() does.
   */
  metricProducer(): RyotMetricProducer {
    if (this.producer === undefined) {
      this.producer = new RyotMetricProducer(this);
      this.collectionsWithProducer = 0;
    }
    return this.producer;
  }

  private noteInfoReplaced(previous: Attributes | undefined, next: Attributes): void {
    if (this.producer !== undefined || previous === undefined || sameAttributes(previous, next)) return;
    this.diagnostics.warnOnce(
      'info-replaced-without-producer',
      'info labels were replaced, but the OTel SDK keeps exporting the earlier set too: pass ryotMetricProducer() to your readers (startTelemetry() does) so replaced labels leave the exposition.',
    );
  }

  private observe(instruments: BoundInstruments): BatchObservableCallback {
    return (result) => {
      const now = this.now();
      for (const series of this.modelGuard.entries()) this.observeSeries(result, instruments, series, now);
      if (this.producer !== undefined) {
        this.checkProducerCollected();
        return;
      }
      if (this.systemInfoAttributes) result.observe(instruments.systemInfo, 1, this.systemInfoAttributes);
      for (const attributes of this.modelInfoAttributes.values()) result.observe(instruments.modelInfo, 1, attributes);
    };
  }

  private checkProducerCollected(): void {
    if (this.producer!.collections > 0 || ++this.collectionsWithProducer < 2) return;
    this.diagnostics.warnOnce(
      'producer-not-collected',
      'ryotMetricProducer() was created but no reader collects it, so ryot_system_info and ryot_model_info are not exported: pass it in the metricProducers option of every reader.',
    );
  }

  private observeSeries(
    result: Parameters<BatchObservableCallback>[0],
    instruments: BoundInstruments,
    series: ModelSeries,
    now: number,
  ): void {
    const { attributes } = series;
    if (series.generated) {
      result.observe(instruments.averageTokensPerMinute, series.tokenWindow.sum(now), attributes);
    }
    if (series.throughputOverride !== undefined) {
      result.observe(instruments.tokensPerSecond, series.throughputOverride, attributes);
    } else if (series.generated) {
      const seconds = THROUGHPUT_WINDOW_SECONDS;
      result.observe(instruments.tokensPerSecond, series.tokenWindow.sumCompleted(now, seconds) / seconds, attributes);
    }
    if (series.cacheHitRatioOverride !== undefined) {
      result.observe(instruments.cacheHitRatio, series.cacheHitRatioOverride, attributes);
    } else {
      const lookups = series.cacheLookupWindow.sum(now);
      if (lookups > 0) result.observe(instruments.cacheHitRatio, series.cacheHitWindow.sum(now) / lookups, attributes);
    }
    if (series.queueSize !== undefined) result.observe(instruments.queueSize, series.queueSize, attributes);
  }
}
