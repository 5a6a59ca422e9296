import {
  ClientRequest,
  instrumentStainlessClient,
  resolveClientOptions,
  serverAttributes,
  type Instrumentation,
  type PayloadReader,
  type ResolvedClientOptions,
} from '@ryot/metrics/instrumentation';
import { readChatChunk, readChatResponse } from './chat-format.js';
import { DEFAULT_PROVIDER, type MeasureOptions, type OperationName } from './options.js';
import { readResponseEvent, readResponseObject } from './responses-format.js';
import { OPENAI_SCOPE } from './version.js';

export interface InstrumentOpenAIOptions extends MeasureOptions {
  /**
   * Adds `stream_options: { include_usage: true }` to streaming chat and text completions that do not set it, so
   * the last chunk carries `usage` (input and output tokens). Default false: the request is sent as written. (The
   * Responses API always streams its usage.)
   */
  includeUsage?: boolean;
}

/** The handle `instrumentOpenAI` returns. */
export type OpenAIInstrumentation = Instrumentation;

/** The parts of an `OpenAI` client this module touches (structural, so the SDK stays a type-only dependency). */
export interface OpenAIClientLike {
  baseURL?: string;
  chat?: { completions?: object };
  completions?: object;
  responses?: object;
}

const HANDLE = Symbol.for('@ryot/openai.instrumentation');

function withUsage(body: Record<string, unknown>): Record<string, unknown> {
  if (body['stream'] !== true) return body;
  const streamOptions = body['stream_options'];
  if (streamOptions !== null && typeof streamOptions === 'object' && 'include_usage' in streamOptions) return body;
  return { ...body, stream_options: { ...(streamOptions as object | undefined), include_usage: true } };
}

function starter(client: OpenAIClientLike, resolved: ResolvedClientOptions, operation: OperationName, readChunk: PayloadReader, readResponse: PayloadReader) {
  return (body: Record<string, unknown>, streaming: boolean): ClientRequest =>
    new ClientRequest({
      options: resolved,
      scope: OPENAI_SCOPE,
      operation,
      requestModel: typeof body['model'] === 'string' ? body['model'] : 'unknown',
      streaming,
      server: serverAttributes(client.baseURL),
      readChunk,
      readResponse,
    });
}

/**
 * Instruments an `openai` client in place: `chat.completions.create`, `completions.create` and `responses.create`,
 * streaming and not, and so the helpers built on them (`chat.completions.stream()`/`parse()`,
 * `responses.stream()`/`parse()`). Returned values are the SDK's own APIPromise and Stream objects. Calling it
 * again on the same client returns the first handle and measures nothing twice.
 */
export function instrumentOpenAI(client: OpenAIClientLike, options: InstrumentOpenAIOptions = {}): OpenAIInstrumentation {
  const existing = (client as { [HANDLE]?: OpenAIInstrumentation })[HANDLE];
  if (existing) return existing;
  const resolved = resolveClientOptions(options, DEFAULT_PROVIDER);
  const rewrite = options.includeUsage === true ? withUsage : undefined;
  return instrumentStainlessClient(client, HANDLE, [
    { resource: client.chat?.completions, start: starter(client, resolved, 'chat', readChatChunk, readChatResponse), rewrite },
    { resource: client.completions, start: starter(client, resolved, 'text_completion', readChatChunk, readChatResponse), rewrite },
    { resource: client.responses, start: starter(client, resolved, 'chat', readResponseEvent, readResponseObject) },
  ]);
}
