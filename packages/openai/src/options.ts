import type { ClientMeasureOptions, ClientRequestSummary } from '@ryot/metrics/instrumentation';

/** `gen_ai.operation.name` of the calls @ryot/openai measures. */
export type OperationName = 'chat' | 'text_completion';

/** Everything measured for one request, passed to `onRequestEnd`. Times in seconds. */
export type RequestSummary = ClientRequestSummary<OperationName>;

/** How a request ended, recorded once. */
export type Outcome = RequestSummary['outcome'];

/** The options every @ryot/openai entry point takes (`genAiSemconv`, `providerName`, `onRequestEnd`, …). */
export type MeasureOptions = ClientMeasureOptions<RequestSummary>;

export const DEFAULT_PROVIDER = 'openai';
