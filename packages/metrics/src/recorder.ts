import { diag, metrics, type Attributes, type BatchObservableCallback, type Meter, type MeterProvider, type Observable } from '@opentelemetry/api';
import { metricKeysIn, RYOT_METER_NAME, TOKEN_TYPES, type ErrorType, type MetricKeyIn } from './catalog.js';
import { classifyFailure, type ErrorClassifier } from './classify.js';
import { validatePrices, type ModelPrices, type ResolvedPrices } from './cost.js';
import { Diagnostics, describeValue } from './diagnostics.js';
import { RyotConfigError } from './errors.js';
import { validateTargets, type ResolvedTargets, type SloTargets } from './goodput.js';
import { createInstruments, observablesOf, type InstrumentSet } from './instruments.js';
import { perModelTable, type PerModel, type PerModelTable } from './per-model.js';
import { RyotMetricProducer, type ProducerTemporality } from './producer.js';
import { LabelGuard, ModelSeries } from './series.js';
import { instrumentSink, ownedSink, type RequestSink } from './sinks.js';
import { TenantGuard, TenantLabel, validateTenants, type TenantOptions } from './tenants.js';
import { RYOT_VERSION } from './version.js';

/** A monotonic clock in milliseconds. Injected in tests so timing can be scripted exactly. */
export type Clock = () => number;

export const monotonicClock: Clock = () => performance.now();

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
  /**
   * SLO targets per model label (`models`), and for every other model (`default`): each finished request is judged
   * against them into ryot_goodput_requests_total. Models without targets record no goodput.
   */
  slo?: PerModel<SloTargets> | undefined;
  /** Prices per model label in USD per million tokens: each finished request adds its bill to ryot_cost_usd_total. */
  prices?: PerModel<ModelPrices> | undefined;
  /** A bounded `tenant` label on the request, token, goodput and cost counters. Off by default. */
  tenants?: TenantOptions | undefined;
}

/** The instrumentation scope an integration records its gen_ai.client.* metrics under. */
export interface InstrumentationScope {
  readonly name: string;
  readonly version?: string;
}

const DEFAULT_MAX_MODELS = 100;
const DEFAULT_MAX_GPUS = 64;
/** The window of ryot_tokens_per_second: complete seconds, so a partial current second never dilutes the rate. */
const THROUGHPUT_WINDOW_SECONDS = 10;

const RECORDER_KEYS = metricKeysIn('requests', 'tokens', 'model', 'gpu', 'errors', 'queue', 'engine', 'slo', 'cost', 'info');
const GENAI_SERVER_KEYS = metricKeysIn('genai_server');
const GENAI_CLIENT_KEYS = metricKeysIn('genai_client');
const GENAI_CLIENT_USAGE_KEYS = metricKeysIn('genai_client_usage');
type RecorderKey = MetricKeyIn<'requests' | 'tokens' | 'model' | 'gpu' | 'errors' | 'queue' | 'engine' | 'slo' | 'cost' | 'info'>;
export type RecorderInstruments = InstrumentSet<RecorderKey>;
export type GenAiServerInstruments = InstrumentSet<MetricKeyIn<'genai_server'>>;
export type GenAiClientInstruments = InstrumentSet<MetricKeyIn<'genai_client'>>;
export type GenAiClientUsageInstruments = InstrumentSet<MetricKeyIn<'genai_client_usage'>>;

/** The instruments of one MeterProvider, and the callback registered on it; undone by `unbind`. */
interface Binding {
  readonly provider: MeterProvider;
  readonly meter: Meter;
  readonly instruments: RecorderInstruments;
  /** Where requests started under this binding record: Ryot's aggregation when a producer exports it, else the instruments. */
  readonly sink: RequestSink;
  /** Whether a request started under this binding (its sink then stays until the provider changes). */
  used: boolean;
  readonly genAiServer: GenAiServerInstruments | undefined;
  readonly clients: Map<string, GenAiClientInstruments>;
  readonly clientUsage: Map<string, GenAiClientUsageInstruments>;
  readonly callback: BatchObservableCallback;
  readonly observables: Observable[];
}

/** The options checked once at configuration time, in the form the record paths use. */
interface CheckedOptions {
  slo: PerModelTable<ResolvedTargets> | undefined;
  prices: PerModelTable<ResolvedPrices> | undefined;
  tenants: ReturnType<typeof validateTenants>;
}

function validate(options: RyotOptions): Partial<CheckedOptions> {
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
  const checked: Partial<CheckedOptions> = {};
  if ('slo' in options) checked.slo = perModelTable(options.slo, 'slo', validateTargets);
  if ('prices' in options) checked.prices = perModelTable(options.prices, 'prices', validatePrices);
  if ('tenants' in options) checked.tenants = validateTenants(options.tenants);
  return checked;
}

function sameAttributes(a: Attributes, b: Attributes): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/**
 * One recorder: the options, the label guards and per-model series, the classifier, the diagnostics, the info
 * label sets, and the OTel instruments bound to a MeterProvider. The top-level API records through a default
 * recorder; `createRyot()` makes others (tests, multi-tenant hosts).
 */
export class Recorder {
  readonly diagnostics = new Diagnostics();
  now: Clock = monotonicClock;
  genAi: Required<GenAiSemconvOptions> | undefined;
  private options: RyotOptions = {};
  private binding: Binding | undefined;
  private modelGuard!: LabelGuard<ModelSeries>;
  private gpuGuard!: LabelGuard<string>;
  private checked: CheckedOptions = { slo: undefined, prices: undefined, tenants: undefined };
  private tenantGuard: TenantGuard | undefined;
  /** Every tenant label ever used, so a label keeps its slot (and its series) across reconfigurations. */
  private readonly tenantLabels = new Map<string, TenantLabel>();
  private systemInfo: Attributes | undefined;
  /** Keyed by model series; `null` holds the info given without a model label. */
  private readonly modelInfo = new Map<ModelSeries | null, Attributes>();
  private producer: RyotMetricProducer | undefined;
  /** Producers handed out (the shared cumulative one, and one per delta reader). */
  private readonly producers: RyotMetricProducer[] = [];
  /**
   * Whether the last SDK collection of the bound provider has not yet been met by a producer collection. A reader's
   * collect runs the observable callback and its producers back to back, so with every reader carrying a producer
   * the two alternate; two callbacks in a row mean a reader collected without it (whichever order the SDK uses).
   */
  private collectionAwaitingProducer = false;
  /** Providers whose readers are known to carry (true) or not carry (false) a producer. */
  private readonly providerAggregation = new WeakMap<MeterProvider, boolean>();
  /**
   * One finished request's bill (USD by token type), rewritten by each priced request as it ends: the sinks and the
   * onEnd summary read it before finish() returns, and nothing keeps it, so one array serves every request.
   */
  readonly billScratch = new Float64Array(TOKEN_TYPES.length);

  constructor(options: RyotOptions = {}) {
    this.configure(options);
  }

  /** Replaces the options. Invalid options throw RyotConfigError and change nothing. */
  configure(options: RyotOptions): void {
    const checked = { ...this.checked, ...validate(options) };
    const merged = { ...this.options, ...options };
    const limitsChanged = !this.modelGuard || merged.maxModels !== this.options.maxModels || merged.maxGpus !== this.options.maxGpus;
    this.options = merged;
    this.now = merged.clock ?? monotonicClock;
    const genAi = merged.genAiSemconv;
    this.genAi = genAi
      ? {
          providerName: (typeof genAi === 'object' && genAi.providerName) || 'ryot',
          operationName: (typeof genAi === 'object' && genAi.operationName) || 'chat',
        }
      : undefined;
    if (checked.tenants !== this.checked.tenants) {
      this.tenantGuard = checked.tenants && new TenantGuard(checked.tenants, (label) => this.tenantLabel(label), this.diagnostics, () => this.now());
    }
    this.checked = checked;
    if (limitsChanged) {
      const maxModels = merged.maxModels ?? DEFAULT_MAX_MODELS;
      const maxGpus = merged.maxGpus ?? DEFAULT_MAX_GPUS;
      const create = (label: string) => this.applyModelOptions(new ModelSeries(label));
      this.modelGuard = this.modelGuard?.withLimit(maxModels) ?? new LabelGuard('model', 'maxModels', maxModels, create, this.diagnostics);
      this.gpuGuard = this.gpuGuard?.withLimit(maxGpus) ?? new LabelGuard('gpu_id', 'maxGpus', maxGpus, (label) => label, this.diagnostics);
    }
    for (const series of this.modelGuard.entries()) this.applyModelOptions(series);
    this.unbind();
  }

  /** The tenant label a request's counters carry; undefined without tenants (or for a key that cannot be one). */
  tenant(key: unknown): TenantLabel | undefined {
    const guard = this.tenantGuard;
    if (guard !== undefined) return guard.resolve(key);
    this.diagnostics.warnOnce('tenant-without-tenants', 'a request has a tenant, but tenants are not enabled (configure({ tenants })); recorded without one.');
    return undefined;
  }

  /** The tenant guard, when tenants are enabled (tests read its bounds). */
  get tenants(): TenantGuard | undefined {
    return this.tenantGuard;
  }

  private tenantLabel(label: string): TenantLabel {
    let tenant = this.tenantLabels.get(label);
    if (tenant === undefined) {
      tenant = new TenantLabel(this.tenantLabels.size + 1, label);
      this.tenantLabels.set(label, tenant);
    }
    return tenant;
  }

  /** A series' SLO targets and prices, from the options, by its label. */
  private applyModelOptions(series: ModelSeries): ModelSeries {
    series.sloTargets = this.checked.slo?.for(series.label);
    series.prices = this.checked.prices?.for(series.label);
    return series;
  }

  /**
   * The instruments for the current provider, binding to it first when needed. The global provider is looked up
   * on every call, so instruments never stay bound to the no-op provider that was global when this module was
   * imported (opentelemetry-js #3622).
   */
  instruments(): RecorderInstruments {
    return this.bind().instruments;
  }

  /** The gen_ai.server.* instruments, when genAiSemconv is on. */
  genAiServerInstruments(): GenAiServerInstruments | undefined {
    return this.bind().genAiServer;
  }

  /** The gen_ai.client.* instruments on the current provider, under an integration's own scope. */
  genAiClientInstruments(scope: InstrumentationScope): GenAiClientInstruments {
    const binding = this.bind();
    let instruments = binding.clients.get(scope.name);
    if (instruments === undefined) {
      instruments = createInstruments(binding.provider.getMeter(scope.name, scope.version), GENAI_CLIENT_KEYS);
      binding.clients.set(scope.name, instruments);
    }
    return instruments;
  }

  /** The opt-in gen_ai.client.inference.usage.* counters on the current provider, under an integration's scope. */
  genAiClientUsageInstruments(scope: InstrumentationScope): GenAiClientUsageInstruments {
    const binding = this.bind();
    let instruments = binding.clientUsage.get(scope.name);
    if (instruments === undefined) {
      instruments = createInstruments(binding.provider.getMeter(scope.name, scope.version), GENAI_CLIENT_USAGE_KEYS);
      binding.clientUsage.set(scope.name, instruments);
    }
    return instruments;
  }

  series(model: unknown): ModelSeries {
    return this.modelGuard.resolve(model);
  }

  gpuLabel(gpuId: unknown): string {
    return this.gpuGuard.resolve(typeof gpuId === 'number' && Number.isInteger(gpuId) ? String(gpuId) : gpuId);
  }

  /** The error_type of a thrown value (see classifyFailure). */
  classify(error: unknown): ErrorType {
    return classifyFailure(error, this.options.classifyError, this.diagnostics);
  }

  /** Reports a value that cannot be recorded, once per metric and problem. */
  rejectValue(metric: string, value: unknown, expected: string): void {
    this.diagnostics.warnOnce(`invalid:${metric}:${expected}`, () => `dropped a value for ${metric}: expected ${expected}, received ${describeValue(value)}.`);
  }

  setSystemInfo(attributes: Attributes): void {
    const next = Object.freeze({ ...attributes });
    this.noteInfoReplaced(this.systemInfo, next);
    this.systemInfo = next;
    this.bind();
  }

  setModelInfo(series: ModelSeries | null, attributes: Attributes): void {
    const next = Object.freeze(series ? { ...attributes, model: series.label } : { ...attributes });
    this.noteInfoReplaced(this.modelInfo.get(series), next);
    this.modelInfo.set(series, next);
    this.bind();
  }

  /** The current info label sets: what ryot_system_info and ryot_model_info report now. */
  infoSets(): { system: Attributes | undefined; models: Iterable<Attributes> } {
    return { system: this.systemInfo, models: this.modelInfo.values() };
  }

  /** Whether the info metrics reach the readers through the producer (else through the SDK's observable instruments). */
  get infoThroughProducer(): boolean {
    const binding = this.binding;
    return binding ? binding.sink === ownedSink : this.producerAttached;
  }

  /** Where a request starting now records its per-token and per-request series. */
  requestSink(): RequestSink {
    const binding = this.bind();
    binding.used = true;
    return binding.sink;
  }

  /**
   * A MetricProducer for one reader: the per-token and per-request series Ryot aggregates itself, and the info
   * metrics (whose replaced label sets must leave the exposition, which the SDK's observable instruments cannot do).
   * Cumulative producers are stateless and shared; a delta producer keeps the last values it reported, so give each
   * delta reader its own. Once a producer exists, requests record into Ryot's aggregation from the next binding
   * on: pass it to every reader (`metricProducers`); startTelemetry() does.
   */
  metricProducer(temporality: ProducerTemporality = 'cumulative'): RyotMetricProducer {
    if (temporality === 'cumulative' && this.producer !== undefined) return this.producer;
    const producer = new RyotMetricProducer(this, temporality, () => void (this.collectionAwaitingProducer = false));
    this.producers.push(producer);
    if (temporality === 'cumulative') this.producer = producer;
    if (this.producers.length === 1) this.switchToProducer();
    return producer;
  }

  /** Whether a producer exists (info metrics then leave the SDK path). */
  get producerAttached(): boolean {
    return this.producers.length > 0;
  }

  /**
   * Declares whether the readers of `provider` carry this recorder's producer (startTelemetry() knows; a provider
   * built by hand is assumed to carry it once a producer exists). Takes effect at the next binding to it.
   */
  setAggregation(provider: MeterProvider, owned: boolean): void {
    this.providerAggregation.set(provider, owned);
    if (this.binding?.provider === provider && !this.binding.used) this.unbind();
  }

  /** Every series the guard admitted, the overflow series last. */
  allSeries(): IterableIterator<ModelSeries> {
    return this.modelGuard.entries();
  }

  /** The first producer moves the per-request series to Ryot's aggregation, unless requests already used the instruments. */
  private switchToProducer(): void {
    const binding = this.binding;
    if (binding === undefined || !binding.used) {
      this.unbind();
      return;
    }
    this.diagnostics.warnOnce(
      'producer-after-records',
      'ryotMetricProducer() was created after requests were recorded through the OTel instruments of the current MeterProvider: the per-request series stay on those instruments (nothing is counted twice) until the provider changes. Create the producer before the first request (startTelemetry() does).',
    );
  }

  private bind(): Binding {
    const provider = this.options.meterProvider ?? metrics.getMeterProvider();
    const current = this.binding;
    if (current !== undefined && current.provider === provider) return current;
    this.unbind();
    const meter = provider.getMeter(RYOT_METER_NAME, RYOT_VERSION);
    const instruments = createInstruments(meter, RECORDER_KEYS);
    const observables = observablesOf(instruments, RECORDER_KEYS);
    const callback: BatchObservableCallback = (result) => this.observe(result, instruments);
    meter.addBatchObservableCallback(callback, observables);
    const genAiServer = this.genAi ? createInstruments(meter, GENAI_SERVER_KEYS) : undefined;
    const owned = this.providerAggregation.get(provider) ?? this.producerAttached;
    diag.debug(
      owned
        ? '@ryot/metrics: per-request series are aggregated by Ryot and exported through ryotMetricProducer(); every reader of this MeterProvider must carry it'
        : this.producerAttached
          ? '@ryot/metrics: per-request series are recorded through OTel instruments (this MeterProvider was declared without ryotMetricProducer())'
          : '@ryot/metrics: per-request series are recorded through OTel instruments (no ryotMetricProducer() created)',
    );
    this.collectionAwaitingProducer = false;
    const sink = owned ? ownedSink : instrumentSink(instruments);
    this.binding = { provider, meter, instruments, sink, used: false, genAiServer, clients: new Map(), clientUsage: new Map(), callback, observables };
    return this.binding;
  }

  /** Removes the batch observable callback, so a replaced binding stops observing. */
  private unbind(): void {
    const binding = this.binding;
    if (binding === undefined) return;
    binding.meter.removeBatchObservableCallback(binding.callback, binding.observables);
    this.binding = undefined;
  }

  private noteInfoReplaced(previous: Attributes | undefined, next: Attributes): void {
    if (this.infoThroughProducer || previous === undefined || sameAttributes(previous, next)) return;
    this.diagnostics.warnOnce(
      'info-replaced-without-producer',
      'info labels were replaced, but the OTel SDK keeps exporting the earlier set too: pass ryotMetricProducer() to your readers (startTelemetry() does) so replaced labels leave the exposition.',
    );
  }

  private observe(result: Parameters<BatchObservableCallback>[0], instruments: RecorderInstruments): void {
    const now = this.now();
    for (const series of this.modelGuard.entries()) this.observeSeries(result, instruments, series, now);
    if (this.binding?.sink === ownedSink) {
      this.noteSdkCollection();
      return;
    }
    if (this.systemInfo) result.observe(instruments.systemInfo, 1, this.systemInfo);
    for (const attributes of this.modelInfo.values()) result.observe(instruments.modelInfo, 1, attributes);
  }

  private observeSeries(result: Parameters<BatchObservableCallback>[0], instruments: RecorderInstruments, series: ModelSeries, now: number): void {
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
    if (series.kvCacheUsage !== undefined) result.observe(instruments.kvCacheUsage, series.kvCacheUsage, attributes);
  }

  /**
   * One reader's collection ran the observable callback. If the previous one was not followed by a producer
   * collection, some reader of the provider lacks the producer: the owned series are missing from its export, and
   * falling back to the instruments would count them twice on the others, so its user is told how to fix it.
   */
  private noteSdkCollection(): void {
    if (this.collectionAwaitingProducer) {
      this.diagnostics.warnOnce(
        'producer-not-collected',
        'ryotMetricProducer() was created but a reader collects without it, so the per-request series (ryot_inference_requests_total, TTFT, inter-token latency, …) and the info metrics are missing from that reader: pass the producer in the metricProducers option of every reader of the MeterProvider (a delta reader gets its own, metricProducer({ temporality: "delta" })).',
      );
    }
    this.collectionAwaitingProducer = true;
  }
}

let defaultRecorder: Recorder | undefined;

/** The recorder behind the top-level API; created on first use, never at import. */
export function getDefaultRecorder(): Recorder {
  return (defaultRecorder ??= new Recorder());
}

/** Each API object's recorder; the default API, and anything else, records through the default recorder. */
const recorders = new WeakMap<object, Recorder>();

export function registerRecorder(api: object, recorder: Recorder): void {
  recorders.set(api, recorder);
}

export function recorderOf(api: object | undefined): Recorder {
  return (api !== undefined && recorders.get(api)) || getDefaultRecorder();
}
