import { safeString } from './diagnostics.js';
import type { Ryot } from './ryot.js';

/** A model label given as a value or derived from the wrapped function's arguments. */
export type ModelOption = string | ((...args: never[]) => unknown);

export function resolveModel(ryot: Ryot, model: ModelOption, args: readonly unknown[]): unknown {
  if (typeof model !== 'function') return model;
  try {
    return (model as (...args: readonly unknown[]) => unknown)(...args);
  } catch (error) {
    ryot.diagnostics.warnOnce('model-option-threw', () => `the model option function threw (${safeString(error)}); recorded as "unknown".`);
    return undefined;
  }
}
