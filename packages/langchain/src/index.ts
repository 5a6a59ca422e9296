export { RyotCallbackHandler } from './handler.js';
export type { RyotCallbackHandlerOptions, RequestSummary } from './handler.js';
