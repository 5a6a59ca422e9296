import { CACHE_HITS, CACHE_LOOKUPS, CACHE_RECORDS, ERROR_TYPE_INDEX, STATUS_INDEX } from './aggregates.js';
import { SLO_NAMES, TOKEN_TYPES, type ErrorType, type FinishReason, type RequestStatus } from './catalog.js';
import { FINISH_REASON_INDEX } from './finish.js';
import { goodputIndex } from './goodput.js';
import type { RecorderInstruments } from './recorder.js';
import type { CounterSeries, ModelSeries } from './series.js';

/**
 * What one request measured, computed once by its InferenceContext when it ends: every sink records the same
 * numbers (derived values such as TPOT, goodput and cost are never computed twice).
 */
export class FinishedRequest {
  status: RequestStatus = 'success';
  errorType: ErrorType | undefined;
  finishReason: FinishReason = 'unknown';
  /** Seconds. */
  duration = 0;
  /** Output tokens (as reported, else as counted). */
  tokens = 0;
  promptTokens: number | undefined;
  /** Phase durations and time per output token, in seconds, when known. */
  prefill: number | undefined;
  decode: number | undefined;
  timePerOutputToken: number | undefined;
  /** Goodput judgments (goodput.ts): bit 2i set when SLO_NAMES[i] was judged, bit 2i+1 when it was met. */
  goodput = 0;
  /** USD by token type (TOKEN_TYPES order), when the model has prices: the recorder's scratch array, read before finish() returns. */
  cost: Float64Array | undefined;

  constructor(
    /** The counters of the request's model and tenant. */
    readonly counters: CounterSeries,
  ) {}
}

/**
 * Where the hot records go: one request's per-token and per-request records, and the engine's per-step ones (queue
 * waits, batches, cache lookups). A request keeps the sink it started with, so its in-flight +1 and −1 always land
 * in the same place, even if the recorder rebinds meanwhile.
 */
export interface RequestSink {
  start(series: ModelSeries): void;
  firstToken(series: ModelSeries, seconds: number): void;
  gap(series: ModelSeries, seconds: number): void;
  finish(series: ModelSeries, request: FinishedRequest): void;
  queueWait(series: ModelSeries, seconds: number): void;
  batch(series: ModelSeries, size: number): void;
  cacheLookup(series: ModelSeries, lookups: number, hits: number): void;
  /** An error outside any request (recordError): the same family the requests' errors count into. */
  error(series: ModelSeries, errorType: ErrorType): void;
}

const SLO_COUNT = SLO_NAMES.length;
const TOKEN_TYPE_COUNT = TOKEN_TYPES.length;

/** Ryot's own aggregation, exported by the MetricProducer. */
export const ownedSink: RequestSink = {
  start(series) {
    const aggregates = series.aggregates;
    aggregates.active = true;
    aggregates.requestStarted = true;
    aggregates.inFlight++;
  },
  firstToken(series, seconds) {
    series.aggregates.timeToFirstToken.record(seconds);
  },
  gap(series, seconds) {
    series.aggregates.interTokenLatency.record(seconds);
  },
  finish(series, request) {
    const aggregates = series.aggregates;
    const counters = request.counters.aggregates;
    const { duration, tokens, promptTokens, errorType, goodput, cost } = request;
    aggregates.inFlight--;
    counters.requests[STATUS_INDEX[request.status]]!++;
    aggregates.finished[FINISH_REASON_INDEX[request.finishReason]]!++;
    aggregates.requestDuration.record(duration);
    if (errorType !== undefined) aggregates.errors[ERROR_TYPE_INDEX[errorType]]!++;
    if (tokens > 0) {
      counters.tokensGenerated += tokens;
      aggregates.tokensPerRequest.record(tokens);
      if (duration > 0) aggregates.requestTokensPerSecond.record(tokens / duration);
    }
    if (promptTokens !== undefined) {
      counters.promptTokens += promptTokens;
      counters.promptTokensSeen = true;
      aggregates.promptTokensPerRequest.record(promptTokens);
    }
    if (request.prefill !== undefined) aggregates.prefillDuration.record(request.prefill);
    if (request.decode !== undefined) aggregates.decodeDuration.record(request.decode);
    if (request.timePerOutputToken !== undefined) aggregates.timePerOutputToken.record(request.timePerOutputToken);
    if (goodput !== 0) {
      for (let slo = 0; slo < SLO_COUNT; slo++) {
        const index = goodputIndex(goodput, slo);
        if (index >= 0) counters.goodput[index]!++;
      }
    }
    if (cost !== undefined) {
      for (let i = 0; i < TOKEN_TYPE_COUNT; i++) if (cost[i]! > 0) counters.cost[i]! += cost[i]!;
    }
  },
  queueWait(series, seconds) {
    const aggregates = series.aggregates;
    aggregates.active = true;
    aggregates.queueWait.record(seconds);
  },
  batch(series, size) {
    const aggregates = series.aggregates;
    aggregates.active = true;
    aggregates.batchSize.record(size);
  },
  cacheLookup(series, lookups, hits) {
    const aggregates = series.aggregates;
    aggregates.active = true;
    const cache = aggregates.cache;
    cache[CACHE_LOOKUPS]! += lookups;
    cache[CACHE_HITS]! += hits;
    cache[CACHE_RECORDS]!++;
  },
  error(series, errorType) {
    const aggregates = series.aggregates;
    aggregates.active = true;
    aggregates.errors[ERROR_TYPE_INDEX[errorType]]!++;
  },
};

/** The OTel instruments of one MeterProvider binding (the path without the MetricProducer). */
export function instrumentSink(instruments: RecorderInstruments): RequestSink {
  return {
    start(series) {
      instruments.requestsInFlight.add(1, series.attributes);
    },
    firstToken(series, seconds) {
      instruments.timeToFirstToken.record(seconds, series.attributes);
    },
    gap(series, seconds) {
      instruments.interTokenLatency.record(seconds, series.attributes);
    },
    finish(series, request) {
      const { attributes } = series;
      const { counters, duration, tokens, promptTokens, errorType, goodput, cost } = request;
      instruments.requestsInFlight.add(-1, attributes);
      instruments.requests.add(1, counters.statusAttributes(request.status));
      instruments.finished.add(1, series.finishReasonAttributes(FINISH_REASON_INDEX[request.finishReason]));
      instruments.requestDuration.record(duration, attributes);
      if (errorType !== undefined) instruments.errors.add(1, series.errorAttributes(errorType));
      if (tokens > 0) {
        instruments.tokensGenerated.add(tokens, counters.attributes);
        instruments.tokensPerRequest.record(tokens, attributes);
        if (duration > 0) instruments.requestTokensPerSecond.record(tokens / duration, attributes);
      }
      if (promptTokens !== undefined) {
        instruments.promptTokens.add(promptTokens, counters.attributes);
        instruments.promptTokensPerRequest.record(promptTokens, attributes);
      }
      if (request.prefill !== undefined) instruments.prefillDuration.record(request.prefill, attributes);
      if (request.decode !== undefined) instruments.decodeDuration.record(request.decode, attributes);
      if (request.timePerOutputToken !== undefined) instruments.timePerOutputToken.record(request.timePerOutputToken, attributes);
      if (goodput !== 0) {
        for (let slo = 0; slo < SLO_COUNT; slo++) {
          const index = goodputIndex(goodput, slo);
          if (index >= 0) instruments.goodput.add(1, counters.goodputAttributes(index));
        }
      }
      if (cost !== undefined) {
        for (let i = 0; i < TOKEN_TYPE_COUNT; i++) if (cost[i]! > 0) instruments.cost.add(cost[i]!, counters.costAttributes(i));
      }
    },
    queueWait(series, seconds) {
      instruments.queueWait.record(seconds, series.attributes);
    },
    batch(series, size) {
      instruments.batchSize.record(size, series.attributes);
      instruments.batchesProcessed.add(1, series.attributes);
    },
    cacheLookup(series, lookups, hits) {
      instruments.cacheLookups.add(lookups, series.attributes);
      instruments.cacheHits.add(hits, series.attributes);
    },
    error(series, errorType) {
      instruments.errors.add(1, series.errorAttributes(errorType));
    },
  };
}
