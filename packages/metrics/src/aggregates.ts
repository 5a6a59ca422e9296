import { ERROR_TYPES, METRICS, REQUEST_STATUSES, type ErrorType, type RequestStatus } from './catalog.js';

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

export const STATUS_INDEX: Readonly<Record<RequestStatus, number>> = Object.fromEntries(REQUEST_STATUSES.map((status, i) => [status, i])) as Record<
  RequestStatus,
  number
>;
export const ERROR_TYPE_INDEX: Readonly<Record<ErrorType, number>> = Object.fromEntries(ERROR_TYPES.map((type, i) => [type, i])) as Record<
  ErrorType,
  number
>;

/** One model's hot series, aggregated in place. `createdAt` (epoch ms) is the start time of its cumulative points. */
export class SeriesAggregates {
  readonly createdAt = Date.now();
  readonly timeToFirstToken = new OwnedHistogram(METRICS.timeToFirstToken.buckets);
  readonly interTokenLatency = new OwnedHistogram(METRICS.interTokenLatency.buckets);
  readonly requestDuration = new OwnedHistogram(METRICS.requestDuration.buckets);
  readonly tokensPerRequest = new OwnedHistogram(METRICS.tokensPerRequest.buckets);
  readonly requestTokensPerSecond = new OwnedHistogram(METRICS.requestTokensPerSecond.buckets);
  /** Finished requests by status, in REQUEST_STATUSES order. */
  readonly requests = new Float64Array(REQUEST_STATUSES.length);
  /** Errors by type, in ERROR_TYPES order. */
  readonly errors = new Float64Array(ERROR_TYPES.length);
  tokensGenerated = 0;
  promptTokens = 0;
  /** Whether any request reported prompt tokens (the counter has no series before). */
  promptTokensSeen = false;
  inFlight = 0;
  /** Whether any request started: the series has data points only from then on. */
  active = false;
}
