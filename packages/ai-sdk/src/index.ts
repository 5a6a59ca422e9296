export { ryotMiddleware, providerNameOf } from './middleware.js';
export type { RyotMiddlewareOptions, RyotLanguageModelMiddleware, LanguageModelLike, RequestSummary } from './middleware.js';
