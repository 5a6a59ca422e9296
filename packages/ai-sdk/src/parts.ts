/**
 * Reading the AI SDK's language-model results: stream parts and generate results of the v3/v4 specification
 * (ai 6 and 7: usage `{ inputTokens: { total, noCache, cacheRead, cacheWrite }, outputTokens: { total, text,
 * reasoning } }`, finish reason `{ unified, raw }`), and the flat v2 usage of ai 5 where a provider still sends it.
 */
import type { ClientRequest, ClientUsage } from '@ryot/metrics/instrumentation';

const OUTPUT_PARTS: ReadonlySet<string> = new Set(['text-delta', 'reasoning-delta', 'tool-input-delta']);

interface TokenCounts {
  total?: unknown;
  cacheRead?: unknown;
  cacheWrite?: unknown;
  reasoning?: unknown;
}

interface UsageLike {
  inputTokens?: unknown;
  outputTokens?: unknown;
  reasoningTokens?: unknown;
  cachedInputTokens?: unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function usageOf(value: unknown): ClientUsage | undefined {
  if (!isObject(value)) return undefined;
  const usage = value as UsageLike;
  const input = usage.inputTokens;
  const output = usage.outputTokens;
  if (isObject(input) || isObject(output)) {
    const inputCounts = (isObject(input) ? input : {}) as TokenCounts;
    const outputCounts = (isObject(output) ? output : {}) as TokenCounts;
    return {
      inputTokens: inputCounts.total as number | undefined,
      outputTokens: outputCounts.total as number | undefined,
      cacheReadTokens: inputCounts.cacheRead as number | undefined,
      cacheWriteTokens: inputCounts.cacheWrite as number | undefined,
      reasoningTokens: outputCounts.reasoning as number | undefined,
    };
  }
  return {
    inputTokens: input as number | undefined,
    outputTokens: output as number | undefined,
    cacheReadTokens: usage.cachedInputTokens as number | undefined,
    reasoningTokens: usage.reasoningTokens as number | undefined,
  };
}

/** The provider's own finish reason when it sent one, else the AI SDK's unified one. */
function finishReasonOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (!isObject(value)) return undefined;
  const raw = value['raw'];
  if (typeof raw === 'string' && raw.length > 0) return raw;
  return typeof value['unified'] === 'string' ? value['unified'] : undefined;
}

function readFinish(usage: unknown, finishReason: unknown, request: ClientRequest): void {
  const reported = usageOf(usage);
  if (reported) request.addUsage(reported);
  request.setFinishReason(finishReasonOf(finishReason));
}

/** One stream part. */
export function readPart(part: unknown, request: ClientRequest): void {
  if (!isObject(part)) return;
  const type = part['type'];
  if (typeof type !== 'string') return;
  if (OUTPUT_PARTS.has(type)) {
    const delta = part['delta'];
    if (typeof delta === 'string' && delta.length > 0) request.output();
    return;
  }
  switch (type) {
    case 'response-metadata':
      request.setResponseModel(part['modelId']);
      return;
    case 'finish':
      readFinish(part['usage'], part['finishReason'], request);
      return;
    case 'error':
      request.fail(part['error']);
      return;
    default:
      return;
  }
}

/** A doGenerate result. */
export function readGenerateResult(result: unknown, request: ClientRequest): void {
  if (!isObject(result)) return;
  const response = result['response'];
  if (isObject(response)) request.setResponseModel(response['modelId']);
  readFinish(result['usage'], result['finishReason'], request);
}
