/** The OpenAI chat and text-completion formats: request parsing, streamed chunks, whole responses, errors. */
import type { ServerResponse } from 'node:http';
import {
  RequestError,
  contentText,
  isRecord,
  parseJsonObject,
  readModel,
  readPositiveInteger,
  reasoningForEffort,
  prefixKeyOf,
  type Dialect,
  type FinishKind,
  type GenerationRequest,
  type GenerationUsage,
  type ResponseIds,
  type StreamShape,
} from './dialect.js';
import { SseWriter } from './respond.js';

export type Endpoint = 'chat' | 'completions';

export { RequestError };

function chatPrompt(body: Record<string, unknown>): { text: string; system: string | undefined } {
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new RequestError(400, 'messages must be a non-empty array', 'invalid_value', 'messages');
  }
  const parts: string[] = [];
  for (const [index, message] of messages.entries()) {
    if (!isRecord(message) || typeof message['role'] !== 'string') {
      throw new RequestError(400, `messages[${index}] must be an object with a role`, 'invalid_value', `messages[${index}]`);
    }
    const text = contentText(message['content']);
    if (text) parts.push(text);
  }
  const first = messages[0] as Record<string, unknown>;
  const system = first['role'] === 'system' || first['role'] === 'developer' ? contentText(first['content']) || undefined : undefined;
  return { text: parts.join('\n'), system };
}

export function parseRequest(endpoint: Endpoint, raw: string, knownModels: ReadonlySet<string>): GenerationRequest {
  const body = parseJsonObject(raw);
  const model = readModel(body, knownModels);
  const maxTokens = readPositiveInteger(body, ['max_completion_tokens', 'max_tokens']);
  let promptText: string;
  let system: string | undefined;
  if (endpoint === 'chat') {
    const prompt = chatPrompt(body);
    promptText = prompt.text;
    system = prompt.system;
  } else {
    const prompt = body['prompt'];
    if (typeof prompt !== 'string') throw new RequestError(400, 'prompt must be a string', 'invalid_value', 'prompt');
    promptText = prompt;
  }
  const streamOptions = body['stream_options'];
  return {
    model,
    stream: body['stream'] === true,
    includeUsage: isRecord(streamOptions) && streamOptions['include_usage'] === true,
    maxTokens,
    promptText,
    prefixKey: prefixKeyOf(system, promptText),
    reasoningTokens: endpoint === 'chat' ? reasoningForEffort(body['reasoning_effort']) : 0,
    // OpenAI caches prompt prefixes automatically: reads are reported, writes are not.
    cacheablePrefix: system,
    cacheWrite: false,
  };
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
  completion_tokens_details?: { reasoning_tokens: number };
}

/** `usage`; the details objects only when there are cached or reasoning tokens to report. */
export function usage(totals: GenerationUsage): Usage {
  const result: Usage = { prompt_tokens: totals.promptTokens, completion_tokens: totals.completionTokens, total_tokens: totals.promptTokens + totals.completionTokens };
  if (totals.cacheReadTokens > 0) result.prompt_tokens_details = { cached_tokens: totals.cacheReadTokens };
  if (totals.reasoningTokens > 0) result.completion_tokens_details = { reasoning_tokens: totals.reasoningTokens };
  return result;
}

function chunk(endpoint: Endpoint, ids: ResponseIds, delta: Record<string, unknown> | undefined, text: string | undefined, finishReason: string | null): unknown {
  if (endpoint === 'completions') {
    return { ...ids, object: 'text_completion', choices: [{ index: 0, text: text ?? '', logprobs: null, finish_reason: finishReason }] };
  }
  return { ...ids, object: 'chat.completion.chunk', choices: [{ index: 0, delta: delta ?? {}, logprobs: null, finish_reason: finishReason }] };
}

export function errorBody(message: string, type: string, code: string | null, param: string | null = null): unknown {
  return { error: { message, type, param, code } };
}

const FINISH: Record<FinishKind, string> = { stop: 'stop', length: 'length' };

export function openAIDialect(endpoint: Endpoint): Dialect {
  return {
    idPrefix: endpoint === 'chat' ? 'chatcmpl' : 'cmpl',
    parse: (raw, knownModels) => parseRequest(endpoint, raw, knownModels),
    errorBody,
    stream(res: ServerResponse, ids: ResponseIds, request: GenerationRequest): StreamShape {
      const sse = new SseWriter(res);
      return {
        start() {
          if (endpoint === 'chat') sse.send(chunk(endpoint, ids, { role: 'assistant', content: '' }, undefined, null));
        },
        token(text, reasoning) {
          sse.send(chunk(endpoint, ids, reasoning ? { reasoning_content: text } : { content: text }, reasoning ? '' : text, null));
        },
        finish(finish, totals) {
          sse.send(chunk(endpoint, ids, undefined, endpoint === 'chat' ? undefined : '', FINISH[finish]));
          if (request.includeUsage) {
            sse.send({ ...ids, object: endpoint === 'chat' ? 'chat.completion.chunk' : 'text_completion', choices: [], usage: usage(totals) });
          }
          sse.done();
        },
        fail(message, errorType) {
          sse.send(errorBody(message, errorType === 'oom' || errorType === 'cuda' ? 'server_error' : errorType, errorType));
          sse.done();
        },
      };
    },
    body(ids, output, finish, totals) {
      if (endpoint === 'completions') {
        return { ...ids, object: 'text_completion', choices: [{ index: 0, text: output.text, logprobs: null, finish_reason: FINISH[finish] }], usage: usage(totals) };
      }
      const message: Record<string, unknown> = { role: 'assistant', content: output.text };
      if (output.reasoning) message['reasoning_content'] = output.reasoning;
      return { ...ids, object: 'chat.completion', choices: [{ index: 0, message, logprobs: null, finish_reason: FINISH[finish] }], usage: usage(totals) };
    },
  };
}
