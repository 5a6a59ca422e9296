/**
 * The wrappers: `trackInferenceRequest` wraps a function that performs one request, `trackTokenGeneration` one
 * that returns a token stream. Both are thin adapters over InferenceContext, which measures, classifies and ends the
 * request; here is only how each kind of function is called and observed.
 */
import { safeString } from './diagnostics.js';
import { RyotConfigError } from './errors.js';
import { startInferenceFor, type InferenceContext } from './inference.js';
import type { Recorder } from './recorder.js';
import { isRecord } from './values.js';

/**
 * A tracker wraps a function. It is also a TypeScript 5 standard method decorator:
 * called with (method, context) it returns the replacement method.
 */
export interface Tracker {
  <This, Args extends unknown[], Result>(
    fn: (this: This, ...args: Args) => Result,
    context?: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Result>,
  ): (this: This, ...args: Args) => Result;
}

/** A model label given as a value or derived from the wrapped function's arguments. */
export type ModelOption = string | ((...args: never[]) => unknown);

export interface TokenUsage {
  promptTokens?: number | undefined;
  completionTokens?: number | undefined;
  /** Time to first token as the engine or API measured it, in seconds. */
  ttftSeconds?: number | undefined;
  /** Why the response finished, as the engine or API says it (stop, length, end_turn, …). */
  finishReason?: string | undefined;
}

/** A value given as such, or as a function of the wrapped function's arguments. */
type ArgsOption<T> = T | ((...args: never[]) => T);

export interface TrackInferenceRequestOptions {
  /** The `model` label, or a function of the wrapped function's arguments that returns it. */
  model: ModelOption;
  /** The tenant (API key, customer) the counters are labelled with when tenants are enabled, or a function of the arguments. */
  tenant?: ArgsOption<string | undefined>;
  /** Reads token usage from the function's result (non-streaming responses). */
  usage?: (result: never) => TokenUsage | undefined;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function assertFunction(value: unknown, what: string): void {
  if (typeof value !== 'function') {
    throw new TypeError(`Expected a function for ${what} but received ${value === null ? 'null' : typeof value}`);
  }
}

function validateModelOption(options: { model?: unknown } | undefined, api: string): void {
  if (!options || typeof options !== 'object') {
    throw new RyotConfigError(`${api} expects an options object with a model, e.g. ${api}({ model: 'llama-3-8b' })`);
  }
  const model = options.model;
  if (typeof model !== 'string' && typeof model !== 'function') {
    throw new RyotConfigError(`${api}: expected a string or a function for model but received ${model === null ? 'null' : typeof model}`);
  }
}

/**
 * An option's value for one call: the option itself, or what its function returns for the call's arguments. When
 * the function throws: undefined, and one diagnostic saying what then happens (`outcome`).
 */
function resolveArgsOption<T>(
  recorder: Recorder,
  option: ArgsOption<T> | undefined,
  args: readonly unknown[],
  name: string,
  outcome = 'ignored',
): T | undefined {
  if (typeof option !== 'function') return option;
  try {
    return (option as (...args: readonly unknown[]) => T)(...args);
  } catch (error) {
    recorder.diagnostics.warnOnce(`${name}-threw`, () => `the ${name} option function threw (${safeString(error)}); ${outcome}.`);
    return undefined;
  }
}

/** The model label for one call (undefined, recorded as "unknown", when the model function throws). */
function resolveModel(recorder: Recorder, model: ModelOption, args: readonly unknown[]): unknown {
  return resolveArgsOption<unknown>(recorder, model, args, 'model', 'recorded as "unknown"');
}

/** Reads token usage through the user's `usage` option; whatever it returns or throws, the call's own result stands. */
function recordUsage(recorder: Recorder, ctx: InferenceContext, usageOption: (result: unknown) => unknown, result: unknown): void {
  let promptTokens: unknown;
  let ttftSeconds: unknown;
  let completionTokens: unknown;
  let finishReason: unknown;
  try {
    const usage: unknown = usageOption(result);
    if (usage === undefined || usage === null) return;
    if (!isRecord(usage)) {
      recorder.rejectValue('usage option result', usage, 'an object such as { promptTokens, completionTokens }');
      return;
    }
    ({ promptTokens, ttftSeconds, completionTokens, finishReason } = usage);
  } catch (error) {
    recorder.diagnostics.warnOnce('usage-threw', () => `the usage option function threw (${safeString(error)}); no token counts recorded.`);
    return;
  }
  if (promptTokens !== undefined) ctx.setPromptTokens(promptTokens as number);
  if (ttftSeconds !== undefined) ctx.setTtft(ttftSeconds as number);
  if (finishReason !== undefined) ctx.setFinishReason(finishReason as string);
  // A non-streaming response carries no per-token timing: counted without TTFT/ITL.
  if (completionTokens !== undefined && completionTokens !== 0) ctx.setTokenCount(completionTokens as number);
}

/**
 * Wraps a function that performs one inference request: counts it by status, times it, classifies its errors and
 * tracks it in flight. The caller's result and error pass through untouched (the same error object is rethrown).
 */
export function trackInferenceRequestWith(recorder: Recorder, options: TrackInferenceRequestOptions): Tracker {
  validateModelOption(options, 'trackInferenceRequest');
  const usage = options.usage as ((result: unknown) => unknown) | undefined;
  return function track<This, Args extends unknown[], Result>(fn: (this: This, ...args: Args) => Result) {
    assertFunction(fn, 'the function to track');
    return function tracked(this: This, ...args: Args): Result {
      const model = resolveModel(recorder, options.model, args);
      const tenant = options.tenant === undefined ? undefined : resolveArgsOption(recorder, options.tenant, args, 'tenant');
      const ctx = startInferenceFor(recorder, { model: model as string, tenant });
      let result: Result;
      try {
        result = fn.apply(this, args);
      } catch (error) {
        ctx.fail(error);
        throw error;
      }
      if (!isPromiseLike(result)) {
        if (usage) recordUsage(recorder, ctx, usage, result);
        ctx.end('success');
        return result;
      }
      return Promise.resolve(result).then(
        (value) => {
          if (usage) recordUsage(recorder, ctx, usage, value);
          ctx.end('success');
          return value;
        },
        (error: unknown) => {
          ctx.fail(error);
          throw error;
        },
      ) as Result;
    };
  };
}

export interface TrackTokenGenerationOptions {
  /** The `model` label, or a function of the wrapped function's arguments that returns it. */
  model: ModelOption;
  /** Tokens carried by one chunk. Default: every chunk is one token. Return 0 for chunks without content. */
  countTokens?: (chunk: never) => number;
  /** Prompt tokens, when known before the stream starts. */
  promptTokens?: ArgsOption<number | undefined>;
  /** Ends the request as cancelled when it aborts, even if the consumer never pulls again. */
  signal?: ArgsOption<AbortSignal | undefined>;
  /** The tenant (API key, customer) the counters are labelled with when tenants are enabled. */
  tenant?: ArgsOption<string | undefined>;
}


function isLazyGenerator(value: object): boolean {
  // An async generator's body has not run yet: the work starts at the first pull.
  return Object.prototype.toString.call(value) === '[object AsyncGenerator]';
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

/**
 * An async iterator over the source that records each token as it passes. It adds no
 * buffering: every `next()` is the source's own, followed by one bookkeeping step.
 */
class TrackedStream<T> implements AsyncGenerator<T, unknown, unknown> {
  private iterator: AsyncIterator<T> | undefined;
  private run: InferenceContext | undefined;

  constructor(
    private readonly source: AsyncIterable<T>,
    private readonly begin: () => InferenceContext,
    private readonly countTokens: ((chunk: T) => number) | undefined,
    private readonly recorder: Recorder,
    run?: InferenceContext,
  ) {
    this.run = run;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(...args: [] | [unknown]): Promise<IteratorResult<T, unknown>> {
    const run = (this.run ??= this.begin());
    let pending: Promise<IteratorResult<T, unknown>>;
    try {
      const iterator = (this.iterator ??= this.source[Symbol.asyncIterator]());
      pending = iterator.next(...(args as [])) as Promise<IteratorResult<T, unknown>>;
    } catch (error) {
      run.fail(error);
      return Promise.reject(error);
    }
    // A native promise is chained directly: Promise.resolve() would add a second hop per token.
    return (pending instanceof Promise ? pending : Promise.resolve(pending)).then(this.onResult, this.onError);
  }

  return(value?: unknown): Promise<IteratorResult<T, unknown>> {
    // The consumer stopped early (break, return, a throw in its loop body).
    this.run?.end('cancelled');
    const iterator = this.iterator;
    if (iterator?.return) return Promise.resolve(iterator.return(value)) as Promise<IteratorResult<T, unknown>>;
    return Promise.resolve({ done: true, value });
  }

  throw(error?: unknown): Promise<IteratorResult<T, unknown>> {
    this.run?.fail(error);
    const iterator = this.iterator;
    if (iterator?.throw) return Promise.resolve(iterator.throw(error)) as Promise<IteratorResult<T, unknown>>;
    return Promise.reject(error);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return(undefined);
  }

  private readonly onResult = (result: IteratorResult<T, unknown>): IteratorResult<T, unknown> => {
    const run = this.run!;
    if (result.done) run.end('success');
    else run.recordToken(this.countTokens ? this.safeCount(result.value) : 1);
    return result;
  };

  private readonly onError = (error: unknown): never => {
    this.run?.fail(error);
    throw error;
  };

  private safeCount(chunk: T): number {
    try {
      return this.countTokens!(chunk);
    } catch (error) {
      this.recorder.diagnostics.warnOnce('count-tokens-threw', () => `countTokens threw (${safeString(error)}); the chunk is counted as one token.`);
      return 1;
    }
  }
}

/**
 * Wraps a function that returns a token stream: an async iterable, a promise of one, or
 * an async generator. TTFT is measured from the call when the function starts the work
 * eagerly (it returns a promise or a ready iterable) and from the first pull when it is a
 * lazy async generator. The stream's outcome is recorded once, however it ends.
 */
export function trackTokenGenerationWith(recorder: Recorder, options: TrackTokenGenerationOptions): Tracker {
  validateModelOption(options, 'trackTokenGeneration');
  if (options.countTokens !== undefined) assertFunction(options.countTokens, 'countTokens');
  const countTokens = options.countTokens as ((chunk: unknown) => number) | undefined;
  return function track<This, Args extends unknown[], Result>(fn: (this: This, ...args: Args) => Result) {
    assertFunction(fn, 'the function to track');
    return function tracked(this: This, ...args: Args): Result {
      const calledAt = recorder.now();
      const start = (startedAt: number) =>
        startInferenceFor(recorder, {
          model: resolveModel(recorder, options.model, args) as string,
          startedAt,
          promptTokens: resolveArgsOption(recorder, options.promptTokens, args, 'promptTokens'),
          signal: resolveArgsOption(recorder, options.signal, args, 'signal'),
          tenant: resolveArgsOption(recorder, options.tenant, args, 'tenant'),
        });
      let result: Result;
      try {
        result = fn.apply(this, args);
      } catch (error) {
        start(calledAt).fail(error);
        throw error;
      }
      const wrap = (value: unknown, run: InferenceContext | undefined): unknown => {
        if (!isAsyncIterable(value)) {
          recorder.diagnostics.warnOnce('not-iterable', 'trackTokenGeneration: the function did not return an async iterable; the request is recorded without tokens.');
          run?.end('success');
          return value;
        }
        return new TrackedStream(value, () => start(recorder.now()), countTokens, recorder, run);
      };
      if (isPromiseLike(result)) {
        const run = start(calledAt);
        return result.then(
          (value) => wrap(value, run),
          (error: unknown) => {
            run.fail(error);
            throw error;
          },
        ) as unknown as Result;
      }
      if (result !== null && typeof result === 'object' && isLazyGenerator(result)) return wrap(result, undefined) as Result;
      return wrap(result, start(calledAt)) as Result;
    };
  };
}
