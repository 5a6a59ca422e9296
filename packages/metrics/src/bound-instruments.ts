import type { BatchObservableCallback, Meter, MeterProvider } from '@opentelemetry/api';
import { METRICS } from './catalog.js';
import { createInstrument, type InstrumentFor } from './instruments.js';
import { RYOT_METER_NAME } from './catalog.js';
import { RYOT_VERSION } from './version.js';

type M = typeof METRICS;

/** The instruments Ryot records into, created on one MeterProvider. */
export interface BoundInstruments {
  readonly provider: MeterProvider;
  readonly meter: Meter;
  /** Removes the batch observable callback, so a replaced binding stops observing. */
  unbind(): void;
  readonly requests: InstrumentFor<M['requests']>;
  readonly requestDuration: InstrumentFor<M['requestDuration']>;
  readonly timeToFirstToken: InstrumentFor<M['timeToFirstToken']>;
  readonly interTokenLatency: InstrumentFor<M['interTokenLatency']>;
  readonly requestsInFlight: InstrumentFor<M['requestsInFlight']>;
  readonly tokensGenerated: InstrumentFor<M['tokensGenerated']>;
  readonly promptTokens: InstrumentFor<M['promptTokens']>;
  readonly tokensPerRequest: InstrumentFor<M['tokensPerRequest']>;
  readonly tokensPerSecond: InstrumentFor<M['tokensPerSecond']>;
  readonly requestTokensPerSecond: InstrumentFor<M['requestTokensPerSecond']>;
  readonly averageTokensPerMinute: InstrumentFor<M['averageTokensPerMinute']>;
  readonly modelLoadingDuration: InstrumentFor<M['modelLoadingDuration']>;
  readonly cacheHitRatio: InstrumentFor<M['cacheHitRatio']>;
  readonly cacheHits: InstrumentFor<M['cacheHits']>;
  readonly cacheLookups: InstrumentFor<M['cacheLookups']>;
  readonly batchSize: InstrumentFor<M['batchSize']>;
  readonly batchesProcessed: InstrumentFor<M['batchesProcessed']>;
  readonly gpuMemoryUsage: InstrumentFor<M['gpuMemoryUsage']>;
  readonly gpuMemoryReserved: InstrumentFor<M['gpuMemoryReserved']>;
  readonly gpuUtilization: InstrumentFor<M['gpuUtilization']>;
  readonly memoryEfficiency: InstrumentFor<M['memoryEfficiency']>;
  readonly errors: InstrumentFor<M['errors']>;
  readonly retries: InstrumentFor<M['retries']>;
  readonly queueSize: InstrumentFor<M['queueSize']>;
  readonly queueWait: InstrumentFor<M['queueWait']>;
  readonly systemInfo: InstrumentFor<M['systemInfo']>;
  readonly modelInfo: InstrumentFor<M['modelInfo']>;
  readonly genAi?: {
    readonly requestDuration: InstrumentFor<M['genAiServerRequestDuration']>;
    readonly timeToFirstToken: InstrumentFor<M['genAiServerTimeToFirstToken']>;
    readonly timePerOutputToken: InstrumentFor<M['genAiServerTimePerOutputToken']>;
  };
}

export function bindInstruments(
  provider: MeterProvider,
  withGenAi: boolean,
  observe: (instruments: BoundInstruments) => BatchObservableCallback,
): BoundInstruments {
  const meter = provider.getMeter(RYOT_METER_NAME, RYOT_VERSION);
  const make = <D extends M[keyof M]>(definition: D) => createInstrument(meter, definition);
  const instruments: BoundInstruments = {
    provider,
    meter,
    unbind: () => meter.removeBatchObservableCallback(callback, observables),
    requests: make(METRICS.requests),
    requestDuration: make(METRICS.requestDuration),
    timeToFirstToken: make(METRICS.timeToFirstToken),
    interTokenLatency: make(METRICS.interTokenLatency),
    requestsInFlight: make(METRICS.requestsInFlight),
    tokensGenerated: make(METRICS.tokensGenerated),
    promptTokens: make(METRICS.promptTokens),
    tokensPerRequest: make(METRICS.tokensPerRequest),
    tokensPerSecond: make(METRICS.tokensPerSecond),
    requestTokensPerSecond: make(METRICS.requestTokensPerSecond),
    averageTokensPerMinute: make(METRICS.averageTokensPerMinute),
    modelLoadingDuration: make(METRICS.modelLoadingDuration),
    cacheHitRatio: make(METRICS.cacheHitRatio),
    cacheHits: make(METRICS.cacheHits),
    cacheLookups: make(METRICS.cacheLookups),
    batchSize: make(METRICS.batchSize),
    batchesProcessed: make(METRICS.batchesProcessed),
    gpuMemoryUsage: make(METRICS.gpuMemoryUsage),
    gpuMemoryReserved: make(METRICS.gpuMemoryReserved),
    gpuUtilization: make(METRICS.gpuUtilization),
    memoryEfficiency: make(METRICS.memoryEfficiency),
    errors: make(METRICS.errors),
    retries: make(METRICS.retries),
    queueSize: make(METRICS.queueSize),
    queueWait: make(METRICS.queueWait),
    systemInfo: make(METRICS.systemInfo),
    modelInfo: make(METRICS.modelInfo),
    ...(withGenAi
      ? {
          genAi: {
            requestDuration: make(METRICS.genAiServerRequestDuration),
            timeToFirstToken: make(METRICS.genAiServerTimeToFirstToken),
            timePerOutputToken: make(METRICS.genAiServerTimePerOutputToken),
          },
        }
      : {}),
  };
  const observables = [
    instruments.averageTokensPerMinute,
    instruments.tokensPerSecond,
    instruments.cacheHitRatio,
    instruments.queueSize,
    instruments.systemInfo,
    instruments.modelInfo,
  ];
  const callback = observe(instruments);
  meter.addBatchObservableCallback(callback, observables);
  return instruments;
}
