import type { RequestMeasurement } from './measurement.js';
import { RequestMeasurement as Measurement } from './measurement.js';
import { MeasuredIterator } from './iterator.js';
import { resolveOptions, type MeasureOptions, type ResolvedOptions } from './options.js';
import { serverAttributes } from './server-address.js';
import type { OperationName } from './chunks.js';

export interface InstrumentOpenAIOptions extends MeasureOptions {
  /**
   * Adds `stream_options: { include_usage: true }` to streaming requests that do not set it, so the
   * last chunk carries `usage` (input and output tokens). Default false: the request is sent as written.
   */
  includeUsage?: boolean;
}

/** The handle `instrumentOpenAI` returns. */
export interface OpenAIInstrumentation {
  /** Restores the client's own methods; requests already started keep being measured. */
  uninstrument(): void;
}

type Create = (this: unknown, body: unknown, options?: unknown) => unknown;
interface CreateResource {
  create: Create;
}
type PrepareRequest = (this: unknown, request: unknown, context: unknown) => unknown;

/** The parts of an `OpenAI` client this module touches (structural, so the SDK stays a type-only dependency). */
export interface OpenAIClientLike {
  baseURL?: string;
  chat?: { completions?: object };
  completions?: object;
}

interface ApiPromiseLike {
  responsePromise: Promise<unknown>;
  parseResponse: (client: unknown, props: unknown) => Promise<unknown>;
  parse?: () => Promise<unknown>;
  asResponse?: () => Promise<unknown>;
}

interface StreamLike {
  iterator: (this: unknown, ...args: unknown[]) => AsyncIterator<unknown>;
  controller?: { signal?: AbortSignal };
}

const HANDLE = Symbol.for('@ryot/openai.instrumentation');
const RUN = Symbol.for('@ryot/openai.measurement');

function isCreateResource(value: unknown): value is CreateResource {
  return typeof value === 'object' && value !== null && typeof (value as CreateResource).create === 'function';
}

function isApiPromise(value: unknown): value is ApiPromiseLike {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<ApiPromiseLike>;
  return typeof candidate.parseResponse === 'function' && typeof candidate.responsePromise?.then === 'function';
}

function isStream(value: unknown): value is StreamLike {
  return typeof value === 'object' && value !== null && typeof (value as StreamLike).iterator === 'function';
}

function retryCountHeader(request: unknown): number | undefined {
  if (typeof request !== 'object' || request === null) return undefined;
  const headers = (request as { headers?: unknown }).headers;
  let value: unknown;
  if (headers && typeof (headers as Headers).get === 'function') value = (headers as Headers).get('x-stainless-retry-count');
  else if (headers && typeof headers === 'object') {
    const record = headers as Record<string, unknown>;
    value = record['x-stainless-retry-count'] ?? record['X-Stainless-Retry-Count'];
  }
  const count = typeof value === 'string' ? Number(value) : typeof value === 'number' ? value : NaN;
  return Number.isInteger(count) && count >= 0 ? count : undefined;
}

/** Measures the stream the SDK built: its own `iterator` source (used by iteration, `tee()` and `toReadableStream()`) is wrapped in place. */
export function hookStream(stream: StreamLike, measurement: RequestMeasurement): void {
  const source = stream.iterator;
  const signal = stream.controller?.signal;
  measurement.watch(signal);
  let measured = false;
  stream.iterator = function measuredIterator(this: unknown, ...args: unknown[]): AsyncIterator<unknown> {
    const iterator = source.apply(this, args);
    // A second iteration is the SDK's "consumed stream" error, not this request's outcome.
    if (measured) return iterator;
    measured = true;
    return new MeasuredIterator(iterator, measurement, signal);
  };
}

function hookApiPromise(promise: ApiPromiseLike, measurement: RequestMeasurement, streaming: boolean): void {
  let parseRequested = false;
  let rawRequested = false;
  let responded = false;
  // Only asResponse(): the body belongs to the caller; the request ends when the headers arrive.
  const endRawOnly = () => {
    if (responded && rawRequested && !parseRequested) measurement.complete();
  };
  promise.responsePromise.then(
    () => {
      responded = true;
      endRawOnly();
    },
    (error: unknown) => measurement.fail(error),
  );
  const parseResponse = promise.parseResponse;
  promise.parseResponse = async function measuredParse(this: unknown, client: unknown, props: unknown): Promise<unknown> {
    let value: unknown;
    try {
      value = await parseResponse.call(this, client, props);
    } catch (error) {
      measurement.fail(error);
      throw error;
    }
    if (streaming && isStream(value)) hookStream(value, measurement);
    else {
      measurement.response(value);
      measurement.complete();
    }
    return value;
  };
  const parse = promise.parse;
  if (typeof parse === 'function') {
    promise.parse = function measuredParseCall(this: unknown): Promise<unknown> {
      parseRequested = true;
      return parse.call(this);
    };
  }
  const asResponse = promise.asResponse;
  if (typeof asResponse === 'function') {
    promise.asResponse = function measuredAsResponse(this: unknown): Promise<unknown> {
      rawRequested = true;
      queueMicrotask(endRawOnly);
      return asResponse.call(this);
    };
  }
}

function withUsage(body: Record<string, unknown>): Record<string, unknown> {
  const streamOptions = body.stream_options;
  if (streamOptions !== null && typeof streamOptions === 'object' && 'include_usage' in streamOptions) return body;
  return { ...body, stream_options: { ...(streamOptions as object | undefined), include_usage: true } };
}

function attachMeasurement(options: unknown, measurement: RequestMeasurement): unknown {
  if (options !== null && typeof options === 'object' && typeof (options as PromiseLike<unknown>).then === 'function') {
    return Promise.resolve(options).then((resolved) => ({ ...(resolved as object | undefined), [RUN]: measurement }));
  }
  return { ...(options as object | undefined), [RUN]: measurement };
}

function wrapCreate(
  client: OpenAIClientLike,
  original: Create,
  operation: OperationName,
  resolved: ResolvedOptions,
  includeUsage: boolean,
): Create {
  return function measuredCreate(this: unknown, body: unknown, options?: unknown): unknown {
    if (body === null || typeof body !== 'object') return original.call(this, body, options);
    let request = body as Record<string, unknown>;
    const streaming = request.stream === true;
    if (streaming && includeUsage) request = withUsage(request);
    const model = typeof request.model === 'string' ? request.model : 'unknown';
    const measurement = new Measurement({
      api: resolved.api,
      genAiProvider: resolved.genAiProvider,
      operation,
      requestModel: model,
      streaming,
      server: serverAttributes(client.baseURL),
      onRequestEnd: resolved.onRequestEnd,
    });
    let result: unknown;
    try {
      result = original.call(this, request, attachMeasurement(options, measurement));
    } catch (error) {
      measurement.fail(error);
      throw error;
    }
    if (isApiPromise(result)) hookApiPromise(result, measurement, streaming);
    else measurement.complete();
    return result;
  };
}

interface Patch {
  target: object;
  key: string;
  hadOwn: boolean;
  previous: unknown;
}

function patch(patches: Patch[], target: object, key: string, value: unknown): void {
  const record = target as Record<string, unknown>;
  patches.push({ target, key, hadOwn: Object.prototype.hasOwnProperty.call(target, key), previous: record[key] });
  record[key] = value;
}

/**
 * Instruments an `openai` client in place: `chat.completions.create` and `completions.create`,
 * streaming and not. Returned values are the SDK's own APIPromise and Stream objects. Calling it
 * again on the same client returns the first handle and measures nothing twice.
 */
export function instrumentOpenAI(client: OpenAIClientLike, options: InstrumentOpenAIOptions = {}): OpenAIInstrumentation {
  const existing = (client as { [HANDLE]?: OpenAIInstrumentation })[HANDLE];
  if (existing) return existing;
  const resolved = resolveOptions(options);
  const includeUsage = options.includeUsage === true;
  const patches: Patch[] = [];
  const resources: Array<[unknown, OperationName]> = [
    [client.chat?.completions, 'chat'],
    [client.completions, 'text_completion'],
  ];
  for (const [resource, operation] of resources) {
    if (!isCreateResource(resource)) continue;
    patch(patches, resource, 'create', wrapCreate(client, resource.create, operation, resolved, includeUsage));
  }
  const prepareRequest = (client as { prepareRequest?: PrepareRequest }).prepareRequest;
  if (typeof prepareRequest === 'function') {
    // Called by the SDK once per HTTP attempt, with the request options that carry our measurement.
    patch(patches, client, 'prepareRequest', function measuredPrepareRequest(this: unknown, request: unknown, context: unknown): unknown {
      const requestOptions = (context as { options?: { [RUN]?: RequestMeasurement } } | undefined)?.options;
      requestOptions?.[RUN]?.attempt(retryCountHeader(request));
      return prepareRequest.call(this, request, context);
    });
  }
  const handle: OpenAIInstrumentation = {
    uninstrument() {
      if ((client as { [HANDLE]?: OpenAIInstrumentation })[HANDLE] !== handle) return;
      for (const { target, key, hadOwn, previous } of patches.reverse()) {
        if (hadOwn) (target as Record<string, unknown>)[key] = previous;
        else delete (target as Record<string, unknown>)[key];
      }
      delete (client as { [HANDLE]?: OpenAIInstrumentation })[HANDLE];
    },
  };
  Object.defineProperty(client, HANDLE, { value: handle, configurable: true, enumerable: false, writable: false });
  return handle;
}
