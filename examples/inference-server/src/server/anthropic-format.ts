/**
 * The Anthropic Messages format (`POST /v1/messages`): request parsing, the streamed events (message_start, ping,
 * content_block_start/delta/stop, message_delta with usage and stop_reason, message_stop, error), whole
 * responses and error bodies. Prompt caching follows the API's rules: system blocks marked `cache_control` are
 * written on a miss and read on a hit, and `input_tokens` counts only the uncached rest.
 */
import type { ServerResponse } from 'node:http';
import {
  RequestError,
  contentText,
  isRecord,
  parseJsonObject,
  readModel,
  readPositiveInteger,
  prefixKeyOf,
  type Dialect,
  type FinishKind,
  type GenerationRequest,
  type GenerationUsage,
  type ResponseIds,
  type StreamShape,
} from './dialect.js';
import { SseWriter } from './respond.js';

const STOP_REASON: Record<FinishKind, string> = { stop: 'end_turn', length: 'max_tokens' };

/** Error `type`s of the Messages API, by HTTP status. */
export function anthropicErrorType(status: number): string {
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 529) return 'overloaded_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

function systemPrompt(system: unknown): { text: string; cached: string | undefined } {
  if (system === undefined || system === null) return { text: '', cached: undefined };
  if (typeof system === 'string') return { text: system, cached: undefined };
  if (!Array.isArray(system)) throw new RequestError(400, 'system must be a string or an array of text blocks', 'invalid_value', 'system');
  const texts: string[] = [];
  let cachedUpTo = -1;
  system.forEach((block, index) => {
    if (!isRecord(block) || typeof block['text'] !== 'string') throw new RequestError(400, `system[${index}] must be a text block`, 'invalid_value', `system[${index}]`);
    texts.push(block['text']);
    if (isRecord(block['cache_control'])) cachedUpTo = index;
  });
  // A cache breakpoint caches the prefix up to and including its block.
  return { text: texts.join('\n'), cached: cachedUpTo >= 0 ? texts.slice(0, cachedUpTo + 1).join('\n') : undefined };
}

export function parseMessagesRequest(raw: string, knownModels: ReadonlySet<string>): GenerationRequest {
  const body = parseJsonObject(raw);
  const model = readModel(body, knownModels);
  const maxTokens = readPositiveInteger(body, ['max_tokens']);
  if (maxTokens === undefined) throw new RequestError(400, 'max_tokens: Field required', 'invalid_value', 'max_tokens');
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0) throw new RequestError(400, 'messages: at least one message is required', 'invalid_value', 'messages');
  const parts: string[] = [];
  for (const [index, message] of messages.entries()) {
    if (!isRecord(message) || (message['role'] !== 'user' && message['role'] !== 'assistant')) {
      throw new RequestError(400, `messages.${index}.role: must be user or assistant`, 'invalid_value', `messages.${index}`);
    }
    const text = contentText(message['content']);
    if (text) parts.push(text);
  }
  const system = systemPrompt(body['system']);
  const thinking = body['thinking'];
  const budget = isRecord(thinking) && thinking['type'] === 'enabled' && typeof thinking['budget_tokens'] === 'number' ? thinking['budget_tokens'] : 0;
  const promptText = [system.text, ...parts].filter(Boolean).join('\n');
  return {
    model,
    stream: body['stream'] === true,
    includeUsage: true,
    maxTokens,
    promptText,
    prefixKey: prefixKeyOf(system.text, promptText),
    // Scripted: a thinking block of budget_tokens tokens (the real API's minimum of 1024 is not enforced), at most max_tokens − 1.
    reasoningTokens: Math.max(0, Math.min(Math.floor(budget), maxTokens - 1)),
    cacheablePrefix: system.cached,
    cacheWrite: system.cached !== undefined,
  };
}

interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

function usage(totals: GenerationUsage, outputTokens = totals.completionTokens): AnthropicUsage {
  return {
    input_tokens: totals.promptTokens - totals.cacheReadTokens - totals.cacheWriteTokens,
    output_tokens: outputTokens,
    cache_creation_input_tokens: totals.cacheWriteTokens,
    cache_read_input_tokens: totals.cacheReadTokens,
  };
}

export function anthropicErrorBody(message: string, type: string): unknown {
  return { type: 'error', error: { type, message } };
}

export const anthropicDialect: Dialect = {
  idPrefix: 'msg',
  parse: parseMessagesRequest,
  errorBody: (message, _type, code) =>
    anthropicErrorBody(message, code === 'model_not_found' ? 'not_found_error' : code === 'body_too_large' ? 'request_too_large' : 'invalid_request_error'),
  stream(res: ServerResponse, ids: ResponseIds): StreamShape {
    const sse = new SseWriter(res);
    let index = -1;
    let block: 'thinking' | 'text' | undefined;
    const open = (kind: 'thinking' | 'text') => {
      if (block === kind) return;
      close();
      block = kind;
      index++;
      sse.event('content_block_start', {
        type: 'content_block_start',
        index,
        content_block: kind === 'thinking' ? { type: 'thinking', thinking: '', signature: '' } : { type: 'text', text: '' },
      });
    };
    const close = () => {
      if (block === undefined) return;
      if (block === 'thinking') sse.event('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: 'ryot-example' } });
      sse.event('content_block_stop', { type: 'content_block_stop', index });
      block = undefined;
    };
    return {
      start(totals) {
        sse.event('message_start', {
          type: 'message_start',
          message: { id: ids.id, type: 'message', role: 'assistant', model: ids.model, content: [], stop_reason: null, stop_sequence: null, usage: usage(totals, 1) },
        });
        sse.event('ping', { type: 'ping' });
      },
      token(text, reasoning) {
        open(reasoning ? 'thinking' : 'text');
        sse.event('content_block_delta', { type: 'content_block_delta', index, delta: reasoning ? { type: 'thinking_delta', thinking: text } : { type: 'text_delta', text } });
      },
      finish(finish, totals) {
        close();
        sse.event('message_delta', { type: 'message_delta', delta: { stop_reason: STOP_REASON[finish], stop_sequence: null }, usage: { output_tokens: totals.completionTokens } });
        sse.event('message_stop', { type: 'message_stop' });
        sse.end();
      },
      fail(message, errorType) {
        sse.event('error', anthropicErrorBody(message, errorType === 'timeout' ? 'timeout_error' : errorType === 'rate_limit' ? 'rate_limit_error' : 'api_error'));
        sse.end();
      },
    };
  },
  body(ids, output, finish, totals) {
    const content: unknown[] = [];
    if (output.reasoning) content.push({ type: 'thinking', thinking: output.reasoning, signature: 'ryot-example' });
    content.push({ type: 'text', text: output.text });
    return { id: ids.id, type: 'message', role: 'assistant', model: ids.model, content, stop_reason: STOP_REASON[finish], stop_sequence: null, usage: usage(totals) };
  },
};
