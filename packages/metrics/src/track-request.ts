import { resolveModel, type ModelOption } from './model-label.js';
import type { Ryot } from './ryot.js';
import { safeString } from './diagnostics.js';
import { isRecord } from './values.js';
import { RyotConfigError } from './errors.js';
import { InferenceRun } from './run.js';
import { assertFunction, isPromiseLike, type Tracker } from './tracker.js';

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

export function validateModelOption(options: { model?: unknown } | undefined, api: string): void {
  if (!options || typeof options !== 'object') {
    throw new RyotConfigError(`${api} expects an options object with a model, e.g. ${api}({ model: 'llama-3-8b' })`);
  }
  const model = options.model;
  if (typeof model !== 'string' && typeof model !== 'function') {
    throw new RyotConfigError(`${api}: expected a string or a function for model but received ${model === null ? 'null' : typeof model}`);
  }
}

/** Reads token usage through the user's `usage` option; whatever it returns or throws, the call's own result stands. */
function recordUsage(ryot: Ryot, run: InferenceRun, options: TrackInferenceRequestOptions, result: unknown): void {
  if (!options.usage) return;
  let promptTokens: unknown;
  let ttftSeconds: unknown;
  let completionTokens: unknown;
  try {
    const usage: unknown = (options.usage as (result: unknown) => unknown)(result);
    if (usage === undefined || usage === null) return;
    if (!isRecord(usage)) {
      ryot.rejectValue('usage option result', usage, 'an object such as { promptTokens, completionTokens }');
      return;
    }
    ({ promptTokens, ttftSeconds, completionTokens } = usage);
  } catch (error) {
    ryot.diagnostics.warnOnce('usage-threw', () => `the usage option function threw (${safeString(error)}); no token counts recorded.`);
    return;
  }
  if (promptTokens !== undefined) run.setPromptTokens(promptTokens as number);
  if (ttftSeconds !== undefined) run.timeToFirstToken(ttftSeconds as number);
  // A non-streaming response carries no per-token timing: count it without TTFT/ITL.
  if (completionTokens !== undefined && completionTokens !== 0) run.countTokensWithoutTiming(completionTokens as number);
}

async function settle(ryot: Ryot, run: InferenceRun, options: TrackInferenceRequestOptions, pending: PromiseLike<unknown>): Promise<unknown> {
  let value: unknown;
  try {
    value = await pending;
  } catch (error) {
    run.fail(error);
    throw error;
  }
  if (options.usage) recordUsage(ryot, run, options, value);
  run.end('success');
  return value;
}

/**
 * Wraps a function that performs one inference request: counts it by status, times it,
 * classifies its errors and tracks it in flight. The caller's result and error pass
 * through untouched (the same error object is rethrown).
 */
export function trackInferenceRequestWith(ryot: Ryot, options: TrackInferenceRequestOptions): Tracker {
  validateModelOption(options, 'trackInferenceRequest');
  return function track<This, Args extends unknown[], Result>(fn: (this: This, ...args: Args) => Result) {
    assertFunction(fn, 'the function to track');
    return function tracked(this: This, ...args: Args): Result {
      const model = typeof options.model === 'string' ? options.model : resolveModel(ryot, options.model, args);
      const run = new InferenceRun(ryot, ryot.series(model), ryot.now());
      let result: Result;
      try {
        result = fn.apply(this, args);
      } catch (error) {
        run.fail(error);
        throw error;
      }
      if (!isPromiseLike(result)) {
        recordUsage(ryot, run, options, result);
        run.end('success');
        return result;
      }
      return settle(ryot, run, options, result) as Result;
    };
  };
}
