import { TOKEN_TYPES } from './catalog.js';
import { RyotConfigError } from './errors.js';
import { rejectUnknownKeys } from './per-model.js';
import { isRecord } from './values.js';

/**
 * What a model's tokens cost, in US dollars per million tokens. Cache reads and writes default to the input price,
 * reasoning to the output price, as providers bill them when they do not list them apart.
 */
export interface ModelPrices {
  inputPerMillion: number;
  outputPerMillion: number;
  cacheReadPerMillion?: number;
  cacheWritePerMillion?: number;
  reasoningPerMillion?: number;
}

/** USD per million tokens in TOKEN_TYPES order: input, output, cache_read, cache_write, reasoning. */
export type ResolvedPrices = Readonly<Float64Array>;

const PRICE_KEYS = ['inputPerMillion', 'outputPerMillion', 'cacheReadPerMillion', 'cacheWritePerMillion', 'reasoningPerMillion'] as const;

const INPUT = TOKEN_TYPES.indexOf('input');
const OUTPUT = TOKEN_TYPES.indexOf('output');
const CACHE_READ = TOKEN_TYPES.indexOf('cache_read');
const CACHE_WRITE = TOKEN_TYPES.indexOf('cache_write');
const REASONING = TOKEN_TYPES.indexOf('reasoning');

export function validatePrices(value: unknown, path: string): ResolvedPrices {
  if (!isRecord(value)) throw new RyotConfigError(`Expected { inputPerMillion, outputPerMillion, … } (USD per million tokens) for ${path}`);
  rejectUnknownKeys(value, PRICE_KEYS, path);
  const price = (key: (typeof PRICE_KEYS)[number], fallback?: number): number => {
    const given = value[key];
    if (given === undefined && fallback !== undefined) return fallback;
    if (typeof given !== 'number' || !(given >= 0 && given < Number.POSITIVE_INFINITY)) {
      throw new RyotConfigError(`Expected a non-negative number of USD per million tokens for ${path}.${key} but received ${String(given)}`);
    }
    return given;
  };
  const input = price('inputPerMillion');
  const output = price('outputPerMillion');
  const prices = new Float64Array(TOKEN_TYPES.length);
  prices[INPUT] = input;
  prices[OUTPUT] = output;
  prices[CACHE_READ] = price('cacheReadPerMillion', input);
  prices[CACHE_WRITE] = price('cacheWritePerMillion', input);
  prices[REASONING] = price('reasoningPerMillion', output);
  return prices;
}

/**
 * One request's bill into `out` (USD by token type). Counts follow Ryot's usage convention: the prompt includes the
 * cached tokens read and written, the output includes the reasoning tokens; so input = prompt - cache read - cache
 * write and output = output - reasoning, each priced once. Returns false when the parts exceed their whole (the
 * excess is then not billed twice: the remainder is clamped at 0).
 */
export function bill(
  prices: ResolvedPrices,
  prompt: number | undefined,
  output: number,
  cacheRead: number | undefined,
  cacheWrite: number | undefined,
  reasoning: number | undefined,
  out: Float64Array,
): boolean {
  const read = cacheRead ?? 0;
  const written = cacheWrite ?? 0;
  const thinking = reasoning ?? 0;
  const uncached = prompt === undefined ? 0 : prompt - read - written;
  const answer = output - thinking;
  out[INPUT] = (Math.max(0, uncached) * prices[INPUT]!) / 1e6;
  out[CACHE_READ] = (read * prices[CACHE_READ]!) / 1e6;
  out[CACHE_WRITE] = (written * prices[CACHE_WRITE]!) / 1e6;
  out[OUTPUT] = (Math.max(0, answer) * prices[OUTPUT]!) / 1e6;
  out[REASONING] = (thinking * prices[REASONING]!) / 1e6;
  return uncached >= 0 && answer >= 0;
}
