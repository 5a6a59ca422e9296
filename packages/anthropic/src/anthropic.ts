import {
  ClientRequest,
  instrumentStainlessClient,
  resolveClientOptions,
  serverAttributes,
  type ClientMeasureOptions,
  type ClientRequestSummary,
  type Instrumentation,
  type ResolvedClientOptions,
} from '@ryot/metrics/instrumentation';
import { readMessage, streamReader } from './messages-format.js';
import { ANTHROPIC_SCOPE } from './version.js';

/** Everything measured for one request, passed to `onRequestEnd` (`finishReason` is the API's `stop_reason`). */
export type RequestSummary = ClientRequestSummary<'chat'>;

export type InstrumentAnthropicOptions = ClientMeasureOptions<RequestSummary>;

/** The handle `instrumentAnthropic` returns. */
export type AnthropicInstrumentation = Instrumentation;

/** The parts of an `Anthropic` client this module touches (structural, so the SDK stays a type-only dependency). */
export interface AnthropicClientLike {
  baseURL?: string;
  messages?: object;
  beta?: { messages?: object };
}

const HANDLE = Symbol.for('@ryot/anthropic.instrumentation');

function starter(client: AnthropicClientLike, resolved: ResolvedClientOptions) {
  return (body: Record<string, unknown>, streaming: boolean): ClientRequest =>
    new ClientRequest({
      options: resolved,
      scope: ANTHROPIC_SCOPE,
      operation: 'chat',
      requestModel: typeof body['model'] === 'string' ? body['model'] : 'unknown',
      streaming,
      server: serverAttributes(client.baseURL),
      readChunk: streaming ? streamReader() : undefined,
      readResponse: readMessage,
    });
}

/**
 * Instruments an `@anthropic-ai/sdk` client in place: `messages.create` (and `beta.messages.create`), streaming
 * and not, and so `messages.stream()`, which calls it. Returned values are the SDK's own APIPromise, Stream and
 * MessageStream objects. Calling it again on the same client returns the first handle and measures nothing twice.
 */
export function instrumentAnthropic(client: AnthropicClientLike, options: InstrumentAnthropicOptions = {}): AnthropicInstrumentation {
  const existing = (client as { [HANDLE]?: AnthropicInstrumentation })[HANDLE];
  if (existing) return existing;
  const start = starter(client, resolveClientOptions(options, 'anthropic'));
  return instrumentStainlessClient(client, HANDLE, [
    { resource: client.messages, start },
    { resource: client.beta?.messages, start },
  ]);
}
