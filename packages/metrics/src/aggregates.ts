import { ERROR_TYPES, FINISH_REASONS, METRICS, REQUEST_STATUSES, SLO_NAMES, TOKEN_TYPES, type ErrorType, type RequestStatus } from './catalog.js';

/**
 * Ryot's own aggregation for the series recorded per token and per request. A record is a bucket increment in a
 * typed array owned by the series (no attribute hashing, no map lookup, no allocation); the MetricProducer turns
 * these into data points at collection time. Bucket semantics are OTel's: a value equal to a boundary falls in that
 * boundary's bucket, NaN is not recorded.
 */
export class OwnedHistogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  constructor(readonly boundaries: readonly number[]) {
    this.counts = new Float64Array(boundaries.length + 1);
  }

  record(value: number): void {
    if (value !== value) return;
    const boundaries = this.boundaries;
    const last = boundaries.length;
    let i = 0;
    while (i < last && boundaries[i]! < value) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }
}

export const CACHE_LOOKUPS = 0;
export const CACHE_HITS = 1;
export const CACHE_RECORDS = 2;

export const STATUS_INDEX: Readonly<Record<RequestStatus, number>> = Object.fromEntries(REQUEST_STATUSES.map((status, i) => [status, i])) as Record<
  RequestStatus,
  number
>;
export const ERROR_TYPE_INDEX: Readonly<Record<ErrorType, number>> = Object.fromEntries(ERROR_TYPES.map((type, i) => [type, i])) as Record<
  ErrorType,
  number
>;

/** The histograms a series aggregates itself: each a field of SeriesAggregates, exported as METRICS[key]. */
export const OWNED_HISTOGRAMS = [
  'timeToFirstToken',
  'interTokenLatency',
  'requestDuration',
  'prefillDuration',
  'decodeDuration',
  'timePerOutputToken',
  'tokensPerRequest',
  'promptTokensPerRequest',
  'requestTokensPerSecond',
  'queueWait',
  'batchSize',
] as const;

type OwnedHistogramKey = (typeof OWNED_HISTOGRAMS)[number];

/** One model's hot series, aggregated in place. `createdAt` (epoch ms) is the start time of its cumulative points. */
export class SeriesAggregates implements Record<OwnedHistogramKey, OwnedHistogram> {
  readonly createdAt = Date.now();
  readonly timeToFirstToken = new OwnedHistogram(METRICS.timeToFirstToken.buckets);
  readonly interTokenLatency = new OwnedHistogram(METRICS.interTokenLatency.buckets);
  readonly requestDuration = new OwnedHistogram(METRICS.requestDuration.buckets);
  readonly prefillDuration = new OwnedHistogram(METRICS.prefillDuration.buckets);
  readonly decodeDuration = new OwnedHistogram(METRICS.decodeDuration.buckets);
  readonly timePerOutputToken = new OwnedHistogram(METRICS.timePerOutputToken.buckets);
  readonly tokensPerRequest = new OwnedHistogram(METRICS.tokensPerRequest.buckets);
  readonly promptTokensPerRequest = new OwnedHistogram(METRICS.promptTokensPerRequest.buckets);
  readonly requestTokensPerSecond = new OwnedHistogram(METRICS.requestTokensPerSecond.buckets);
  readonly queueWait = new OwnedHistogram(METRICS.queueWait.buckets);
  /** One record per engine batch: its count is also ryot_batches_processed. */
  readonly batchSize = new OwnedHistogram(METRICS.batchSize.buckets);
  /** Cache lookups, hits, and how many lookup records there were (a record of 0 hits still makes both series). */
  readonly cache = new Float64Array(3);
  /** Errors by type, in ERROR_TYPES order. */
  readonly errors = new Float64Array(ERROR_TYPES.length);
  /** Finished requests by finish reason, in FINISH_REASONS order. */
  readonly finished = new Float64Array(FINISH_REASONS.length);
  inFlight = 0;
  /** Whether any request started: the in-flight series exists from then on. */
  requestStarted = false;
  /** Whether anything was recorded: the series has data points only from then on. */
  active = false;
}

/** The counters of one model and tenant (or of a model's requests without a tenant). */
export class CounterAggregates {
  /** Finished requests by status, in REQUEST_STATUSES order. */
  readonly requests = new Float64Array(REQUEST_STATUSES.length);
  /** Goodput judgments: index 2 × SLO_NAMES index for met, + 1 for missed. */
  readonly goodput = new Float64Array(SLO_NAMES.length * 2);
  /** USD by token type, in TOKEN_TYPES order. */
  readonly cost = new Float64Array(TOKEN_TYPES.length);
  tokensGenerated = 0;
  promptTokens = 0;
  /** Whether any request reported prompt tokens (the counter has no series before). */
  promptTokensSeen = false;
}
