/** What every wire format (OpenAI chat and completions, Anthropic Messages, OpenAI Responses) has in common. */
import type { ServerResponse } from 'node:http';

/** A parsed generation request, whatever its wire format. */
export interface GenerationRequest {
  model: string;
  stream: boolean;
  /** OpenAI chat/completions only: a final usage chunk was asked for (the other formats always send usage). */
  includeUsage: boolean;
  maxTokens: number | undefined;
  promptText: string;
  /** The engine's prefix-cache key. */
  prefixKey: string;
  /** How many of the first output tokens are reasoning (scripted from the request's reasoning/thinking settings). */
  reasoningTokens: number;
  /** The part of the prompt a provider would cache (the system prompt), and whether this request asks to write it. */
  cacheablePrefix: string | undefined;
  cacheWrite: boolean;
}

/** Token usage in the formats' common terms: prompt counts the cached parts too, completion counts reasoning. */
export interface GenerationUsage {
  promptTokens: number;
  completionTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

export type FinishKind = 'stop' | 'length';

/** The engine's prefix-cache key: the system prompt (or instructions) when there is one, else the prompt's first 64 characters. */
export function prefixKeyOf(system: string | undefined, promptText: string): string {
  return system || promptText.slice(0, 64);
}

export interface ResponseIds {
  id: string;
  created: number;
  model: string;
}

/** Writes one streamed response. */
export interface StreamShape {
  /** Headers and the opening events; `usage` holds the prompt side (known before generation). */
  start(usage: GenerationUsage): void;
  token(text: string, reasoning: boolean): void;
  finish(finish: FinishKind, usage: GenerationUsage): void;
  /** An engine failure after the headers went out. */
  fail(message: string, errorType: string): void;
}

export interface Dialect {
  /** Throws RequestError for a bad request. */
  parse(raw: string, knownModels: ReadonlySet<string>): GenerationRequest;
  idPrefix: string;
  stream(res: ServerResponse, ids: ResponseIds, request: GenerationRequest): StreamShape;
  body(ids: ResponseIds, output: { text: string; reasoning: string }, finish: FinishKind, usage: GenerationUsage): unknown;
  errorBody(message: string, type: string, code: string | null, param?: string | null): unknown;
}

/** A rough tokenizer: about four characters a token, as for English BPE vocabularies. */
export function countPromptTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseJsonObject(raw: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (error) {
    throw new RequestError(400, `request body is not valid JSON: ${(error as Error).message}`, 'invalid_json');
  }
  if (!isRecord(body)) throw new RequestError(400, 'request body must be a JSON object', 'invalid_json');
  return body;
}

export function readModel(body: Record<string, unknown>, knownModels: ReadonlySet<string>): string {
  const model = body['model'];
  if (typeof model !== 'string' || model.length === 0) throw new RequestError(400, 'model is required', 'invalid_value', 'model');
  if (!knownModels.has(model)) throw new RequestError(404, `The model '${model.slice(0, 100)}' does not exist`, 'model_not_found', 'model');
  return model;
}

export function readPositiveInteger(body: Record<string, unknown>, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = body[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new RequestError(400, `${key} must be a positive integer, got ${JSON.stringify(value)}`, 'invalid_value', key);
    }
    return value;
  }
  return undefined;
}

/** The text of a message `content`: a string, or the `text` of each part. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const parts: string[] = [];
  for (const part of content) if (isRecord(part) && typeof part['text'] === 'string') parts.push(part['text']);
  return parts.join('\n');
}

/** Reasoning tokens scripted from an effort level: low 2, medium 4, high 8. */
export function reasoningForEffort(effort: unknown): number {
  return effort === 'low' ? 2 : effort === 'medium' ? 4 : effort === 'high' ? 8 : 0;
}
