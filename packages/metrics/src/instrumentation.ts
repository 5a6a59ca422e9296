/**
 * `@ryot/metrics/instrumentation`: the building blocks integrations and exporters use: the catalog, instrument
 * creation, the vocabularies, the built-in classifier, the default API object, and what every client integration
 * (@ryot/openai, @ryot/anthropic, @ryot/ai-sdk, @ryot/langchain) shares: the client request, the measured
 * iterator, server attributes from a base URL, the GenAI stability switch and the Stainless SDK hooks.
 */
import type { MeterProvider } from '@opentelemetry/api';
import type { RyotApi } from './api.js';
import { recorderOf } from './recorder.js';
export {
  METRICS,
  ALL_METRICS,
  ERROR_TYPES,
  REQUEST_STATUSES,
  RYOT_METER_NAME,
  HARDWARE_METER_NAME,
  EXPORTERS_METER_NAME,
  meterNameOf,
  clusterMergeOf,
  ATTR_MODEL,
  ATTR_STATUS,
  ATTR_ERROR_TYPE,
  ATTR_GPU_ID,
  ATTR_FINISH_REASON,
  ATTR_SLO,
  ATTR_MET,
  ATTR_TOKEN_TYPE,
  ATTR_TENANT,
  FINISH_REASONS,
  SLO_NAMES,
  TOKEN_TYPES,
  metricKeysIn,
  prometheusName,
  prometheusType,
} from './catalog.js';
export type {
  ClusterMerge,
  MetricDefinition,
  MetricGroup,
  InstrumentKind,
  MetricKey,
  MetricKeyIn,
  Metrics,
  ErrorType,
  RequestStatus,
  FinishReason,
  SloName,
  TokenType,
} from './catalog.js';
export { normalizeFinishReason } from './finish.js';
export { OTHER_TENANT, MAX_TENANTS } from './tenants.js';
export { createInstrument, createInstruments } from './instruments.js';
export type { InstrumentFor, InstrumentSet } from './instruments.js';
export { classifyError as builtInClassifyError, statusForErrorType } from './classify.js';
export { OVERFLOW_LABEL, UNKNOWN_MODEL_LABEL } from './series.js';
export { RYOT_VERSION } from './version.js';
export { RyotError, RyotConfigError } from './errors.js';
export { defaultApi } from './api.js';
export type { RyotApi } from './api.js';
export type { InstrumentationScope } from './recorder.js';
export type { GenAiClientOptions, InferenceSummary } from './inference.js';
export { ClientRequest, resolveClientOptions } from './client/request.js';
export type {
  ClientOutcome,
  ClientUsage,
  ClientRequestSummary,
  ClientMeasureOptions,
  ClientRequestConfig,
  ResolvedClientOptions,
  ResolvedGenAi,
  PayloadReader,
} from './client/request.js';
export { MeasuredIterator } from './client/measured-iterator.js';
export type { StreamObserver } from './client/measured-iterator.js';
export { serverAttributes } from './client/server-address.js';
export type { ServerAttributes } from './client/server-address.js';
export { emitsLegacyGenAiSystem, GEN_AI_LATEST_EXPERIMENTAL } from './client/stability.js';
export { genAiProviderName } from './client/provider-names.js';
export { instrumentStainlessClient, hookStream, retryCountHeader } from './client/stainless.js';
export type { Instrumentation, MeasuredCreate, StreamLike } from './client/stainless.js';

/**
 * Declares whether the readers of `provider` carry the instance's `ryotMetricProducer()` (default: the default
 * instance). The per-request series then go to Ryot's aggregation (true) or to the OTel instruments (false) for
 * requests that start while `provider` is the one recorded into. startTelemetry() declares its own provider.
 */
export function declareAggregation(provider: MeterProvider, owned: boolean, api?: RyotApi): void {
  recorderOf(api).setAggregation(provider, owned);
}
