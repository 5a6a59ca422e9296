export { instrumentAnthropic } from './anthropic.js';
export type { InstrumentAnthropicOptions, AnthropicInstrumentation, AnthropicClientLike, RequestSummary } from './anthropic.js';
