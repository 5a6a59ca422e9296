import { ClientRequest, MeasuredIterator, RyotError, resolveClientOptions, serverAttributes } from '@ryot/metrics/instrumentation';
import { readChatChunk } from './chat-format.js';
import { DEFAULT_PROVIDER, type MeasureOptions, type OperationName } from './options.js';
import { sseEvents } from './sse.js';
import { OPENAI_SCOPE } from './version.js';

export interface InstrumentSseOptions extends MeasureOptions {
  /** The `model` label (and gen_ai.request.model). */
  model: string;
  /** `gen_ai.operation.name`. Default 'chat'. */
  operation?: OperationName;
  /** The request's AbortSignal: aborting it ends the request as aborted, even if nobody reads again. */
  signal?: AbortSignal;
  /** server.address / server.port come from this URL. Default: the response's `url`. */
  url?: string;
}

/** An HTTP error status on an SSE request, classified by its `status` (429 → rate_limit, 4xx → invalid_request, …). */
export class SseHttpError extends RyotError {
  readonly code = 'RYOT_SSE_HTTP_STATUS';
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`);
  }
}

/** An `{"error": …}` payload inside the stream (classified by its `type`/`code`, e.g. rate_limit_exceeded). */
export class SseStreamError extends RyotError {
  readonly code = 'RYOT_SSE_STREAM_ERROR';
  /** The payload, where the classifier reads a provider error's `type` and `code`. */
  readonly error: unknown;
  constructor(
    readonly payload: unknown,
    readonly status: number | undefined,
  ) {
    super(typeof payload === 'object' && payload !== null && typeof (payload as { message?: unknown }).message === 'string' ? (payload as { message: string }).message : 'error event in stream');
    this.error = payload;
  }
}

/** Parsed JSON chunks of an instrumented SSE response; iterable once. */
export interface InstrumentedSse<T> extends AsyncIterable<T> {
  /** A passthrough of the parsed chunks as a ReadableStream (consumes the same single iteration). */
  toReadableStream(): ReadableStream<T>;
}

async function* parsedChunks<T>(response: Response | PromiseLike<Response>): AsyncGenerator<T> {
  const resolved = await response;
  if (!resolved.ok) throw new SseHttpError(resolved.status, await resolved.text().catch(() => ''));
  if (!resolved.body) return;
  for await (const { event, data } of sseEvents(resolved.body)) {
    if (data === '[DONE]') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      throw new SyntaxError(`malformed server-sent event data: ${data.slice(0, 100)}`);
    }
    if (event === 'error') throw new SseStreamError(parsed, undefined);
    if (parsed !== null && typeof parsed === 'object' && 'error' in parsed && (parsed as { error: unknown }).error) {
      const error = (parsed as { error: unknown }).error;
      const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
      throw new SseStreamError(error, typeof code === 'number' ? code : undefined);
    }
    yield parsed as T;
  }
}

/**
 * Measures a `fetch` of an OpenAI-compatible streaming endpoint without the SDK. Pass the fetch
 * promise itself (not awaited) so TTFT and duration start at the call; a Response starts them now.
 * HTTP errors, `{"error"}` events and malformed lines end the request as errored and are thrown
 * from the iteration (never as an unhandled rejection).
 */
export function instrumentSseResponse<T = unknown>(response: Response | PromiseLike<Response>, options: InstrumentSseOptions): InstrumentedSse<T> {
  const measurement = new ClientRequest({
    options: resolveClientOptions(options, DEFAULT_PROVIDER),
    scope: OPENAI_SCOPE,
    operation: options.operation ?? 'chat',
    requestModel: options.model,
    streaming: true,
    server: serverAttributes(options.url),
    readChunk: readChatChunk,
  });
  measurement.watch(options.signal);
  // Failures before the first read are recorded even if nobody iterates; the rejection is handled here.
  Promise.resolve(response).then(
    (r) => {
      if (!r.ok) measurement.fail(new SseHttpError(r.status, ''));
    },
    (error: unknown) => measurement.fail(error),
  );
  let iterated = false;
  const iterate = (): AsyncIterator<T> => {
    if (iterated) throw new TypeError('an instrumented SSE response can be iterated once');
    iterated = true;
    return new MeasuredIterator<T>(parsedChunks<T>(response), measurement, options.signal);
  };
  return {
    [Symbol.asyncIterator]: iterate,
    toReadableStream(): ReadableStream<T> {
      let iterator: AsyncIterator<T>;
      return new ReadableStream<T>({
        start() {
          iterator = iterate();
        },
        async pull(controller) {
          try {
            const { value, done } = await iterator.next();
            if (done) controller.close();
            else controller.enqueue(value);
          } catch (error) {
            controller.error(error);
          }
        },
        async cancel() {
          await iterator.return?.();
        },
      });
    },
  };
}
