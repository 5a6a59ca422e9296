import type { MeterProvider } from '@opentelemetry/api';
import { createRyot, type RyotApi } from '@ryot/metrics';
import type { RequestSummary } from './measurement.js';

export interface MeasureOptions {
  /**
   * Records into this provider (the ryot_* metrics, and gen_ai.client.* when `genAiSemconv` is on) through an
   * instance of its own. Default: the default Ryot instance and the global MeterProvider (looked up per request).
   */
  meterProvider?: MeterProvider;
  /** Record through this Ryot instance (e.g. `createRyot({ meterProvider })`); wins over `meterProvider`. */
  ryot?: RyotApi;
  /** Also record gen_ai.client.operation.duration, token.usage, time_to_first_chunk and time_per_output_chunk. Default false. */
  genAiSemconv?: boolean;
  /** `gen_ai.provider.name`. Default 'openai'. */
  providerName?: string;
  /** Called once per request with everything measured (including finish_reason); exceptions are swallowed. */
  onRequestEnd?: (summary: RequestSummary) => void;
}

export interface ResolvedOptions {
  /** Undefined: the default instance. */
  api: RyotApi | undefined;
  /** `gen_ai.provider.name` when gen_ai.client.* is on. */
  genAiProvider: string | undefined;
  onRequestEnd: ((summary: RequestSummary) => void) | undefined;
}

export function resolveOptions(options: MeasureOptions): ResolvedOptions {
  const api = options.ryot ?? (options.meterProvider ? createRyot({ meterProvider: options.meterProvider }) : undefined);
  return {
    api,
    genAiProvider: options.genAiSemconv ? (options.providerName ?? 'openai') : undefined,
    onRequestEnd: options.onRequestEnd,
  };
}
