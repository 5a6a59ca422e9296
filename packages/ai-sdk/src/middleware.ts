import {
  ClientRequest,
  MeasuredIterator,
  genAiProviderName,
  resolveClientOptions,
  type ClientMeasureOptions,
  type ClientRequestSummary,
  type ResolvedClientOptions,
} from '@ryot/metrics/instrumentation';
import { readGenerateResult, readPart } from './parts.js';
import { AI_SDK_SCOPE } from './version.js';

/** Everything measured for one model call, passed to `onRequestEnd`. */
export type RequestSummary = ClientRequestSummary<'chat'>;

export interface RyotMiddlewareOptions extends ClientMeasureOptions<RequestSummary> {
  /**
   * `gen_ai.provider.name`. Default: from the model's `provider` (`openai.chat` → `openai`, `anthropic.messages`
   * → `anthropic`, `google.generative-ai` → `gcp.gemini`, `amazon-bedrock` → `aws.bedrock`, …; otherwise the
   * part before the first dot).
   */
  providerName?: string;
}

/** The parts of a language model the middleware reads (structural: no import of `ai` or `@ai-sdk/provider`). */
export interface LanguageModelLike {
  readonly provider: string;
  readonly modelId: string;
}

interface CallOptionsLike {
  abortSignal?: AbortSignal | undefined;
}

/**
 * A language-model middleware for `wrapLanguageModel` (ai 6 and 7). Its generic `wrapGenerate`/`wrapStream`
 * take the SDK's own types where it is used, so it is assignable to `LanguageModelMiddleware` without a type
 * dependency on either major.
 */
export interface RyotLanguageModelMiddleware {
  readonly specificationVersion: 'v3';
  wrapGenerate<Result>(options: { doGenerate: () => PromiseLike<Result>; params: CallOptionsLike; model: LanguageModelLike }): Promise<Result>;
  wrapStream<Result extends { stream: ReadableStream<Part> }, Part>(options: {
    doStream: () => PromiseLike<Result>;
    params: CallOptionsLike;
    model: LanguageModelLike;
  }): Promise<Result>;
}

export function providerNameOf(provider: unknown): string {
  if (typeof provider !== 'string' || provider.length === 0) return 'unknown';
  const id = provider.split('.')[0]!;
  return genAiProviderName(id);
}

function start(resolved: ResolvedClientOptions, override: string | undefined, model: LanguageModelLike, streaming: boolean): ClientRequest {
  return new ClientRequest({
    options: resolved,
    scope: AI_SDK_SCOPE,
    operation: 'chat',
    requestModel: typeof model?.modelId === 'string' ? model.modelId : 'unknown',
    streaming,
    providerName: override ?? providerNameOf(model?.provider),
    readChunk: readPart,
    readResponse: readGenerateResult,
  });
}

/** Node's web streams (≥ 20.6) are async iterable and have `from`; the DOM lib the tests compile with declares neither. */
interface StreamStatics {
  from<T>(source: AsyncIterable<T>): ReadableStream<T>;
}

/**
 * A stream that passes every part on unchanged and shows it to the request (pulled only when the consumer reads;
 * `ReadableStream.from` keeps no parts buffered). The consumer cancelling it aborts the request with the cancel
 * reason (a deadline's reason is a timeout).
 */
function measured<Part>(source: ReadableStream<Part>, request: ClientRequest): ReadableStream<Part> {
  const parts = (source as unknown as AsyncIterable<Part>)[Symbol.asyncIterator]();
  return (ReadableStream as unknown as StreamStatics).from(new MeasuredIterator<Part>(parts, request, undefined));
}

/**
 * Ryot's language-model middleware: `wrapLanguageModel({ model, middleware: ryotMiddleware() })` measures every
 * call the wrapped model makes (generateText, streamText, generateObject, streamObject, agents), any provider.
 */
export function ryotMiddleware(options: RyotMiddlewareOptions = {}): RyotLanguageModelMiddleware {
  const resolved = resolveClientOptions(options, 'unknown');
  const override = options.providerName;
  return {
    specificationVersion: 'v3',
    async wrapGenerate({ doGenerate, params, model }) {
      const request = start(resolved, override, model, false);
      request.watch(params?.abortSignal, false);
      let result;
      try {
        result = await doGenerate();
      } catch (error) {
        request.fail(error);
        throw error;
      }
      request.response(result);
      request.complete();
      return result;
    },
    async wrapStream({ doStream, params, model }) {
      const request = start(resolved, override, model, true);
      request.watch(params?.abortSignal);
      let result;
      try {
        result = await doStream();
      } catch (error) {
        request.fail(error);
        throw error;
      }
      return { ...result, stream: measured(result.stream, request) } as typeof result;
    },
  };
}
