/** Reading OpenAI-compatible chat and text-completion payloads (streamed chunks and whole responses) into a request. */
import type { ClientRequest } from '@ryot/metrics/instrumentation';

interface DeltaLike {
  content?: unknown;
  refusal?: unknown;
  tool_calls?: unknown;
  function_call?: unknown;
  reasoning_content?: unknown;
  reasoning?: unknown;
}

interface ChoiceLike {
  delta?: DeltaLike | null;
  message?: DeltaLike | null;
  text?: unknown;
  finish_reason?: unknown;
}

interface PayloadLike {
  choices?: unknown;
  usage?: unknown;
  model?: unknown;
}

interface ChatUsageLike {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  prompt_tokens_details?: { cached_tokens?: unknown } | null;
  completion_tokens_details?: { reasoning_tokens?: unknown } | null;
}

function nonEmptyString(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}

/** Output: text, refusal, reasoning, or a tool/function call. A role-only delta carries none. */
function deltaHasContent(delta: DeltaLike): boolean {
  return (
    nonEmptyString(delta.content) ||
    nonEmptyString(delta.refusal) ||
    nonEmptyString(delta.reasoning_content) ||
    nonEmptyString(delta.reasoning) ||
    (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0) ||
    (delta.function_call !== undefined && delta.function_call !== null)
  );
}

/** `usage` of chat completions: cached prompt tokens are part of prompt_tokens, reasoning tokens of completion_tokens. */
export function readChatUsage(value: unknown, request: ClientRequest): void {
  if (value === null || typeof value !== 'object') return;
  const usage = value as ChatUsageLike;
  request.addUsage({
    inputTokens: usage.prompt_tokens as number | undefined,
    outputTokens: usage.completion_tokens as number | undefined,
    cacheReadTokens: usage.prompt_tokens_details?.cached_tokens as number | undefined,
    reasoningTokens: usage.completion_tokens_details?.reasoning_tokens as number | undefined,
  });
}

/**
 * One streamed chunk. Role-only first chunks, finish-reason-only chunks and usage-only chunks carry no output;
 * a chunk with output in any choice is one output chunk.
 */
export function readChatChunk(chunk: unknown, request: ClientRequest): void {
  if (chunk === null || typeof chunk !== 'object') return;
  const payload = chunk as PayloadLike;
  if (typeof payload.model === 'string') request.setResponseModel(payload.model);
  const choices = payload.choices;
  let content = false;
  if (Array.isArray(choices)) {
    for (let i = 0; i < choices.length; i++) {
      const choice = choices[i] as ChoiceLike | null | undefined;
      if (!choice) continue;
      const delta = choice.delta;
      if (!content && ((delta && deltaHasContent(delta)) || nonEmptyString(choice.text))) content = true;
      if (typeof choice.finish_reason === 'string') request.setFinishReason(choice.finish_reason);
    }
  }
  if (payload.usage !== undefined && payload.usage !== null) readChatUsage(payload.usage, request);
  if (content) request.output();
}

/** A whole (non-streamed) chat or text completion: usage, finish reason, response model. */
export function readChatResponse(body: unknown, request: ClientRequest): void {
  if (body === null || typeof body !== 'object') return;
  const payload = body as PayloadLike;
  request.setResponseModel(payload.model);
  const choices = payload.choices;
  if (Array.isArray(choices)) {
    for (const choice of choices as Array<ChoiceLike | null>) if (choice) request.setFinishReason(choice.finish_reason);
  }
  readChatUsage(payload.usage, request);
}
