import { resolveModel, type ModelOption } from './model-label.js';
import type { Ryot } from './ryot.js';
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

function recordUsage(ryot: Ryot, run: InferenceRun, options: TrackInferenceRequestOptions, result: unknown): void {
  if (!options.usage) return;
  let usage: TokenUsage | undefined;
  try {
    usage = (options.usage as (result: unknown) => TokenUsage | undefined)(result);
  } catch (error) {
    ryot.diagnostics.warnOnce('usage-threw', `the usage option function threw (${String(error)}); no token counts recorded.`);
    return;
  }
  if (!usage) return;
  if (usage.promptTokens !== undefined) run.setPromptTokens(usage.promptTokens);
  if (usage.ttftSeconds !== undefined) run.timeToFirstToken(usage.ttftSeconds);
  const completion = usage.completionTokens;
  if (completion !== undefined && completion > 0) {
    // A non-streaming response carries no per-token timing: count it without TTFT/ITL.
    run.countTokensWithoutTiming(completion);
  }
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
