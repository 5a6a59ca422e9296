import { ERROR_TYPE_INDEX, STATUS_INDEX } from './aggregates.js';
import type { ErrorType, RequestStatus } from './catalog.js';
import type { RecorderInstruments } from './recorder.js';
import type { ModelSeries } from './series.js';

/**
 * Where one request's per-token and per-request records go. A request keeps the sink it started with, so its
 * in-flight +1 and −1 always land in the same place, even if the recorder rebinds meanwhile.
 */
export interface RequestSink {
  start(series: ModelSeries): void;
  firstToken(series: ModelSeries, seconds: number): void;
  gap(series: ModelSeries, seconds: number): void;
  finish(series: ModelSeries, status: RequestStatus, errorType: ErrorType | undefined, duration: number, tokens: number, promptTokens: number | undefined): void;
}

/** Ryot's own aggregation, exported by the MetricProducer. */
export const ownedSink: RequestSink = {
  start(series) {
    const aggregates = series.aggregates;
    aggregates.active = true;
    aggregates.inFlight++;
  },
  firstToken(series, seconds) {
    series.aggregates.timeToFirstToken.record(seconds);
  },
  gap(series, seconds) {
    series.aggregates.interTokenLatency.record(seconds);
  },
  finish(series, status, errorType, duration, tokens, promptTokens) {
    const aggregates = series.aggregates;
    aggregates.inFlight--;
    aggregates.requests[STATUS_INDEX[status]]!++;
    aggregates.requestDuration.record(duration);
    if (errorType !== undefined) aggregates.errors[ERROR_TYPE_INDEX[errorType]]!++;
    if (tokens > 0) {
      aggregates.tokensGenerated += tokens;
      aggregates.tokensPerRequest.record(tokens);
      if (duration > 0) aggregates.requestTokensPerSecond.record(tokens / duration);
    }
    if (promptTokens !== undefined) {
      aggregates.promptTokens += promptTokens;
      aggregates.promptTokensSeen = true;
    }
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
    finish(series, status, errorType, duration, tokens, promptTokens) {
      instruments.requestsInFlight.add(-1, series.attributes);
      instruments.requests.add(1, series.statusAttributes(status));
      instruments.requestDuration.record(duration, series.attributes);
      if (errorType !== undefined) instruments.errors.add(1, series.errorAttributes(errorType));
      if (tokens > 0) {
        instruments.tokensGenerated.add(tokens, series.attributes);
        instruments.tokensPerRequest.record(tokens, series.attributes);
        if (duration > 0) instruments.requestTokensPerSecond.record(tokens / duration, series.attributes);
      }
      if (promptTokens !== undefined) instruments.promptTokens.add(promptTokens, series.attributes);
    },
  };
}
