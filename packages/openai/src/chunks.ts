/** Reading OpenAI-compatible chat and text-completion payloads (streamed chunks and whole responses). */

export type OperationName = 'chat' | 'text_completion';

export interface Usage {
  promptTokens?: number | undefined;
  completionTokens?: number | undefined;
}

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

function nonEmptyString(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}

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

/** What one streamed chunk carries; `content` is true when it carries output (text, refusal, reasoning or a tool call). */
export interface ChunkFacts {
  content: boolean;
  finishReason: string | undefined;
  usage: Usage | undefined;
  model: string | undefined;
}

function readUsage(value: unknown): Usage | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const usage = value as { prompt_tokens?: unknown; completion_tokens?: unknown };
  const prompt = usage.prompt_tokens;
  const completion = usage.completion_tokens;
  return {
    promptTokens: typeof prompt === 'number' ? prompt : undefined,
    completionTokens: typeof completion === 'number' ? completion : undefined,
  };
}

/**
 * Reads one chunk into `facts` (reused by the caller, so the hot path allocates nothing).
 * Role-only first chunks, finish-reason-only chunks and usage-only chunks carry no content.
 */
export function readChunk(chunk: unknown, facts: ChunkFacts): ChunkFacts {
  facts.content = false;
  facts.finishReason = undefined;
  facts.usage = undefined;
  facts.model = undefined;
  if (chunk === null || typeof chunk !== 'object') return facts;
  const payload = chunk as PayloadLike;
  if (typeof payload.model === 'string') facts.model = payload.model;
  const choices = payload.choices;
  if (Array.isArray(choices)) {
    for (let i = 0; i < choices.length; i++) {
      const choice = choices[i] as ChoiceLike | null | undefined;
      if (!choice) continue;
      const delta = choice.delta;
      if (!facts.content && ((delta && deltaHasContent(delta)) || nonEmptyString(choice.text))) facts.content = true;
      if (typeof choice.finish_reason === 'string') facts.finishReason = choice.finish_reason;
    }
  }
  if (payload.usage !== undefined && payload.usage !== null) facts.usage = readUsage(payload.usage);
  return facts;
}

export function emptyFacts(): ChunkFacts {
  return { content: false, finishReason: undefined, usage: undefined, model: undefined };
}

/** A whole (non-streamed) response: usage, finish reason, response model. */
export function readResponse(body: unknown): ChunkFacts {
  const facts = readChunk(body, emptyFacts());
  if (body !== null && typeof body === 'object') {
    const choices = (body as PayloadLike).choices;
    if (Array.isArray(choices)) {
      facts.content = choices.some((choice: ChoiceLike | null) => !!choice && ((!!choice.message && deltaHasContent(choice.message)) || nonEmptyString(choice.text)));
    }
  }
  return facts;
}
