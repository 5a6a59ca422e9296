export { instrumentOpenAI } from './openai.js';
export type { InstrumentOpenAIOptions, OpenAIInstrumentation, OpenAIClientLike } from './openai.js';
export { instrumentSseResponse, SseHttpError, SseStreamError } from './instrument-sse.js';
export type { InstrumentSseOptions, InstrumentedSse } from './instrument-sse.js';
export type { MeasureOptions } from './options.js';
export type { RequestSummary, Outcome } from './measurement.js';
export type { OperationName } from './chunks.js';
