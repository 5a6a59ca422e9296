import type { MeterProvider } from '@opentelemetry/api';
import { createRyot, defaultApi, type RyotApi } from '@ryot/metrics';
import type { RequestSummary } from './measurement.js';
import { GenAiClientMetrics } from './semconv.js';

export interface MeasureOptions {
  /**
   * Records the gen_ai.client.* metrics here, and the ryot_* metrics too unless `ryot` is given.
   * Default: the global MeterProvider (looked up per request) and the default Ryot instance.
   */
  meterProvider?: MeterProvider;
  /** The Ryot API for the ryot_* metrics (e.g. `createRyot({ meterProvider })`). */
  ryot?: RyotApi;
  /** Also record gen_ai.client.operation.duration, token.usage, time_to_first_chunk and time_per_output_chunk. Default false. */
  genAiSemconv?: boolean;
  /** `gen_ai.provider.name`. Default 'openai'. */
  providerName?: string;
  /** Called once per request with everything measured (including finish_reason); exceptions are swallowed. */
  onRequestEnd?: (summary: RequestSummary) => void;
}

export interface ResolvedOptions {
  api: RyotApi;
  genAi: GenAiClientMetrics | undefined;
  onRequestEnd: ((summary: RequestSummary) => void) | undefined;
}

export function resolveOptions(options: MeasureOptions): ResolvedOptions {
  const api = options.ryot ?? (options.meterProvider ? createRyot({ meterProvider: options.meterProvider }) : defaultApi);
  const genAi = options.genAiSemconv ? new GenAiClientMetrics(options.meterProvider, options.providerName ?? 'openai') : undefined;
  return { api, genAi, onRequestEnd: options.onRequestEnd };
}
