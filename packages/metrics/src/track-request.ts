import type { RyotApi } from './api.js';
import { safeString } from './diagnostics.js';
import { RyotConfigError } from './errors.js';
import { InferenceContext } from './inference.js';
import { recorderOf, type Recorder } from './recorder.js';
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
}

export interface TrackInferenceRequestOptions {
  /** The `model` label, or a function of the wrapped function's arguments that returns it. */
  model: ModelOption;
  /** Reads token usage from the function's result (non-streaming responses). */
  usage?: (result: never) => TokenUsage | undefined;
}

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

export function assertFunction(value: unknown, what: string): void {
  if (typeof value !== 'function') {
    throw new TypeError(`Expected a function for ${what} but received ${value === null ? 'null' : typeof value}`);
  }
}

export function validateModelOption(options: { model?: unknown } | undefined, api: string): void {
  if (!options || typeof options !== 'object') {
    throw new RyotConfigError(`${api} expects an options object with a model, e.g. ${api}({ model: 'llama-3-8b' })`);
  }
  const model = options.model;
  if (typeof model !== 'string' && typeof model !== 'function') {
    throw new RyotConfigError(`${api}: expected a string or a function for model but received ${model === null ? 'null' : typeof model}`);
  }
}

/** The model label for one call: the option itself, or what the option function returns for the call's arguments. */
export function resolveModel(recorder: Recorder, model: ModelOption, args: readonly unknown[]): unknown {
  if (typeof model !== 'function') return model;
  try {
    return (model as (...args: readonly unknown[]) => unknown)(...args);
  } catch (error) {
    recorder.diagnostics.warnOnce('model-option-threw', () => `the model option function threw (${safeString(error)}); recorded as "unknown".`);
    return undefined;
  }
}

/** Reads token usage through the user's `usage` option; whatever it returns or throws, the call's own result stands. */
function recordUsage(recorder: Recorder, ctx: InferenceContext, usageOption: (result: unknown) => unknown, result: unknown): void {
  let promptTokens: unknown;
  let ttftSeconds: unknown;
  let completionTokens: unknown;
  try {
    const usage: unknown = usageOption(result);
    if (usage === undefined || usage === null) return;
    if (!isRecord(usage)) {
      recorder.rejectValue('usage option result', usage, 'an object such as { promptTokens, completionTokens }');
      return;
    }
    ({ promptTokens, ttftSeconds, completionTokens } = usage);
  } catch (error) {
    recorder.diagnostics.warnOnce('usage-threw', () => `the usage option function threw (${safeString(error)}); no token counts recorded.`);
    return;
  }
  if (promptTokens !== undefined) ctx.setPromptTokens(promptTokens as number);
  if (ttftSeconds !== undefined) ctx.setTtft(ttftSeconds as number);
  // A non-streaming response carries no per-token timing: counted without TTFT/ITL.
  if (completionTokens !== undefined && completionTokens !== 0) ctx.setTokenCount(completionTokens as number);
}

/**
 * Wraps a function that performs one inference request: counts it by status, times it, classifies its errors and
 * tracks it in flight. The caller's result and error pass through untouched (the same error object is rethrown).
 */
export function trackInferenceRequestWith(api: RyotApi, options: TrackInferenceRequestOptions): Tracker {
  validateModelOption(options, 'trackInferenceRequest');
  const recorder = recorderOf(api);
  const usage = options.usage as ((result: unknown) => unknown) | undefined;
  return function track<This, Args extends unknown[], Result>(fn: (this: This, ...args: Args) => Result) {
    assertFunction(fn, 'the function to track');
    return function tracked(this: This, ...args: Args): Result {
      const model = typeof options.model === 'string' ? options.model : resolveModel(recorder, options.model, args);
      const ctx = new InferenceContext({ model: model as string, ryot: api });
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
