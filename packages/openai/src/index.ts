export { instrumentOpenAI } from './openai.js';
export type { InstrumentOpenAIOptions, OpenAIInstrumentation, OpenAIClientLike } from './openai.js';
export { instrumentSseResponse, SseHttpError, SseStreamError } from './instrument-sse.js';
export type { InstrumentSseOptions, InstrumentedSse } from './instrument-sse.js';
export { ResponseFailedError } from './responses-format.js';
export type { MeasureOptions, RequestSummary, Outcome, OperationName } from './options.js';
