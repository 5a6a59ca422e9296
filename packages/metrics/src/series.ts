import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_FINISH_REASON,
  ATTR_MET,
  ATTR_MODEL,
  ATTR_SLO,
  ATTR_STATUS,
  ATTR_TENANT,
  ATTR_TOKEN_TYPE,
  FINISH_REASONS,
  REQUEST_STATUSES,
  SLO_NAMES,
  TOKEN_TYPES,
  type ErrorType,
  type RequestStatus,
} from './catalog.js';
import type { ResolvedPrices } from './cost.js';
import { describeValue, type Diagnostics } from './diagnostics.js';
import { CounterAggregates, SeriesAggregates, STATUS_INDEX } from './aggregates.js';
import type { ResolvedTargets } from './goodput.js';
import { SlidingWindowSum } from './sliding-window.js';
import type { TenantLabel } from './tenants.js';

export const OVERFLOW_LABEL = '__overflow__';
export const UNKNOWN_MODEL_LABEL = 'unknown';
/** The longest label value Ryot records (a model, a tenant); a longer one is replaced, with a diagnostic. */
export const MAX_LABEL_LENGTH = 256;

/**
 * Where a series gets its labels: every attribute set Ryot records with is built here, once per model (and per
 * status, error type, GPU or semconv set), from a label the guard below admitted.
 *
 * Everything Ryot keeps per model label: prebuilt attribute objects, the sliding windows and
 * the values its observable gauges report.
 */
export class ModelSeries {
  readonly attributes: Attributes;
  readonly tokenWindow = new SlidingWindowSum(60);
  readonly cacheHitWindow = new SlidingWindowSum(60);
  readonly cacheLookupWindow = new SlidingWindowSum(60);
  /** Whether any output token was counted: the token-rate gauges report only models that generated. */
  generated = false;
  /** The last value given to updateTokenThroughput; replaces the computed rate once set. */
  throughputOverride: number | undefined;
  /** The last value given to updateCacheMetrics; replaces the computed ratio once set. */
  cacheHitRatioOverride: number | undefined;
  /** Requests waiting in the queue; undefined until a queue was used for this model. */
  queueSize: number | undefined;
  /** The last value given to setKvCacheUsage. */
  kvCacheUsage: number | undefined;
  /** The model's SLO targets (the recorder's `slo` option); undefined: no goodput is judged. */
  sloTargets: ResolvedTargets | undefined;
  /** The model's prices (the recorder's `prices` option); undefined: no cost is counted. */
  prices: ResolvedPrices | undefined;
  private ownAggregates: SeriesAggregates | undefined;
  /** Counters by tenant slot: 0 holds the requests without a tenant. */
  private readonly byTenant: (CounterSeries | undefined)[] = [];
  private readonly byErrorType = new Map<ErrorType, Attributes>();
  private readonly byFinishReason: Attributes[];
  private readonly extra = new Map<string, Attributes>();

  constructor(readonly label: string) {
    this.attributes = Object.freeze({ [ATTR_MODEL]: label });
    this.byFinishReason = FINISH_REASONS.map((reason) => Object.freeze({ [ATTR_MODEL]: label, [ATTR_FINISH_REASON]: reason }));
  }

  /** The series' own aggregation of its per-request records (the MetricProducer path), made on first use. */
  get aggregates(): SeriesAggregates {
    return (this.ownAggregates ??= new SeriesAggregates());
  }

  /** The aggregation, if any request recorded into it. */
  get recordedAggregates(): SeriesAggregates | undefined {
    return this.ownAggregates?.active ? this.ownAggregates : undefined;
  }

  addTokens(count: number, at: number): void {
    this.generated = true;
    this.tokenWindow.add(count, at);
  }

  addToQueue(delta: number): void {
    this.queueSize = Math.max(0, (this.queueSize ?? 0) + delta);
  }

  /** The counters of this model for one tenant; undefined: the requests without a tenant. */
  counters(tenant: TenantLabel | undefined): CounterSeries {
    const slot = tenant === undefined ? 0 : tenant.index;
    return (this.byTenant[slot] ??= new CounterSeries(this.label, tenant?.label, slot === 0 ? this.attributes : undefined));
  }

  /** Every tenant's counters that exist (created by a request). */
  *counterSeries(): IterableIterator<CounterSeries> {
    for (const counters of this.byTenant) if (counters !== undefined) yield counters;
  }

  /** Attributes by finish reason index (FINISH_REASONS order). */
  finishReasonAttributes(index: number): Attributes {
    return this.byFinishReason[index]!;
  }

  errorAttributes(errorType: ErrorType): Attributes {
    let attributes = this.byErrorType.get(errorType);
    if (!attributes) {
      attributes = Object.freeze({ [ATTR_MODEL]: this.label, [ATTR_ERROR_TYPE]: errorType });
      this.byErrorType.set(errorType, attributes);
    }
    return attributes;
  }

  /** Attribute sets built once per model for a fixed key (e.g. the GenAI semconv set). */
  cached(key: string, build: () => Attributes): Attributes {
    let attributes = this.extra.get(key);
    if (!attributes) {
      attributes = Object.freeze(build());
      this.extra.set(key, attributes);
    }
    return attributes;
  }
}

/**
 * The counters of one model for one tenant (or for the model's requests without one): their attribute sets, built
 * once, and their aggregation on the MetricProducer path.
 */
export class CounterSeries {
  readonly attributes: Attributes;
  private readonly byStatus: Attributes[];
  private readonly byGoodput: Attributes[] = [];
  private readonly byTokenType: Attributes[] = [];
  private own: CounterAggregates | undefined;

  constructor(
    private readonly model: string,
    private readonly tenant: string | undefined,
    attributes?: Attributes,
  ) {
    this.attributes = attributes ?? Object.freeze(this.with({}));
    this.byStatus = REQUEST_STATUSES.map((status) => Object.freeze(this.with({ [ATTR_STATUS]: status })));
  }

  get aggregates(): CounterAggregates {
    return (this.own ??= new CounterAggregates());
  }

  /** The aggregation, if a request recorded into it. */
  get recordedAggregates(): CounterAggregates | undefined {
    return this.own;
  }

  statusAttributes(status: RequestStatus): Attributes {
    return this.byStatus[STATUS_INDEX[status]]!;
  }

  /** By goodput index: 2 × SLO_NAMES index, + 1 when the target was missed. */
  goodputAttributes(index: number): Attributes {
    return (this.byGoodput[index] ??= Object.freeze(this.with({ [ATTR_SLO]: SLO_NAMES[index >> 1]!, [ATTR_MET]: index % 2 === 0 ? 'true' : 'false' })));
  }

  /** By TOKEN_TYPES index. */
  costAttributes(index: number): Attributes {
    return (this.byTokenType[index] ??= Object.freeze(this.with({ [ATTR_TOKEN_TYPE]: TOKEN_TYPES[index]! })));
  }

  /** The model, the given labels, and the tenant last when there is one. */
  private with(labels: Attributes): Attributes {
    return this.tenant === undefined ? { [ATTR_MODEL]: this.model, ...labels } : { [ATTR_MODEL]: this.model, ...labels, [ATTR_TENANT]: this.tenant };
  }
}

/**
 * The cardinality guard on a label: the first `limit` distinct values are kept, every
 * later value is recorded as `__overflow__`, so memory stays bounded whatever the
 * caller passes. OTel's own cardinality limit resets every collection cycle for
 * cumulative readers, so it cannot bound this by itself.
 */
export class LabelGuard<S> {
  private readonly values = new Map<string, S>();
  private overflow: S | undefined;

  constructor(
    private readonly what: string,
    /** The option that raises the limit, named in the overflow diagnostic. */
    private readonly option: 'maxModels' | 'maxGpus',
    private readonly limit: number,
    private readonly create: (label: string) => S,
    private readonly diagnostics: Diagnostics,
  ) {}

  *entries(): IterableIterator<S> {
    yield* this.values.values();
    if (this.overflow !== undefined) yield this.overflow;
  }

  /** The same admitted values (and overflow) under a new limit: a reconfigured guard never drops a series. */
  withLimit(limit: number): LabelGuard<S> {
    const next = new LabelGuard(this.what, this.option, limit, this.create, this.diagnostics);
    for (const [key, value] of this.values) next.values.set(key, value);
    next.overflow = this.overflow;
    return next;
  }

  resolve(value: unknown): S {
    const key = typeof value === 'string' ? value : this.coerce(value);
    const existing = this.values.get(key);
    if (existing) return existing;
    if (this.values.size >= this.limit) {
      this.diagnostics.warnOnce(
        `overflow:${this.what}`,
        `more than ${this.limit} distinct ${this.what} label values; further values are recorded as "${OVERFLOW_LABEL}". Raise the limit with configure({ ${this.option} }) if this is expected.`,
      );
      return (this.overflow ??= this.create(OVERFLOW_LABEL));
    }
    if (key.length === 0 || key.length > MAX_LABEL_LENGTH) {
      this.diagnostics.warnOnce(
        `bad-length:${this.what}`,
        `${this.what} label must be 1..${MAX_LABEL_LENGTH} characters; recorded as "${UNKNOWN_MODEL_LABEL}".`,
      );
      return this.resolve(UNKNOWN_MODEL_LABEL);
    }
    const created = this.create(key);
    this.values.set(key, created);
    return created;
  }

  private coerce(value: unknown): string {
    if (typeof value === 'number' && Number.isFinite(value)) {
      this.diagnostics.warnOnce(`coerced:${this.what}`, `${this.what} label should be a string; got ${describeValue(value)}, recorded as its string form.`);
      return String(value);
    }
    this.diagnostics.warnOnce(
      `non-string:${this.what}`,
      `${this.what} label must be a string; got ${describeValue(value)}, recorded as "${UNKNOWN_MODEL_LABEL}".`,
    );
    return UNKNOWN_MODEL_LABEL;
  }
}
