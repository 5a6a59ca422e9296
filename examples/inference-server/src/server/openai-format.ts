/** Parsing and shaping of the OpenAI-compatible request and response bodies. */

export type Endpoint = 'chat' | 'completions';

export interface ParsedRequest {
  endpoint: Endpoint;
  model: string;
  stream: boolean;
  includeUsage: boolean;
  maxTokens: number | undefined;
  promptText: string;
  prefixKey: string;
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readMaxTokens(body: Record<string, unknown>): number | undefined {
  for (const key of ['max_completion_tokens', 'max_tokens']) {
    const value = body[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new RequestError(400, `${key} must be a positive integer, got ${JSON.stringify(value)}`, 'invalid_value', key);
    }
    return value;
  }
  return undefined;
}

function chatPrompt(body: Record<string, unknown>): { text: string; prefix: string } {
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new RequestError(400, 'messages must be a non-empty array', 'invalid_value', 'messages');
  }
  const parts: string[] = [];
  for (const [index, message] of messages.entries()) {
    if (!isRecord(message) || typeof message['role'] !== 'string') {
      throw new RequestError(400, `messages[${index}] must be an object with a role`, 'invalid_value', `messages[${index}]`);
    }
    const content = message['content'];
    if (typeof content === 'string') parts.push(content);
    else if (Array.isArray(content)) {
      for (const part of content) if (isRecord(part) && typeof part['text'] === 'string') parts.push(part['text']);
    }
  }
  const first = messages[0] as Record<string, unknown>;
  const prefix = first['role'] === 'system' && typeof first['content'] === 'string' ? first['content'] : parts.join('\n').slice(0, 64);
  return { text: parts.join('\n'), prefix };
}

export function parseRequest(endpoint: Endpoint, raw: string, knownModels: ReadonlySet<string>): ParsedRequest {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (error) {
    throw new RequestError(400, `request body is not valid JSON: ${(error as Error).message}`, 'invalid_json');
  }
  if (!isRecord(body)) throw new RequestError(400, 'request body must be a JSON object', 'invalid_json');
  const model = body['model'];
  if (typeof model !== 'string' || model.length === 0) throw new RequestError(400, 'model is required', 'invalid_value', 'model');
  if (!knownModels.has(model)) throw new RequestError(404, `The model '${model.slice(0, 100)}' does not exist`, 'model_not_found', 'model');
  const maxTokens = readMaxTokens(body);
  let promptText: string;
  let prefixKey: string;
  if (endpoint === 'chat') {
    const prompt = chatPrompt(body);
    promptText = prompt.text;
    prefixKey = prompt.prefix;
  } else {
    const prompt = body['prompt'];
    if (typeof prompt !== 'string') throw new RequestError(400, 'prompt must be a string', 'invalid_value', 'prompt');
    promptText = prompt;
    prefixKey = prompt.slice(0, 64);
  }
  const streamOptions = body['stream_options'];
  return {
    endpoint,
    model,
    stream: body['stream'] === true,
    includeUsage: isRecord(streamOptions) && streamOptions['include_usage'] === true,
    maxTokens,
    promptText,
    prefixKey,
  };
}

/** A rough tokenizer: about four characters a token, as for English BPE vocabularies. */
export function countPromptTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function usage(promptTokens: number, completionTokens: number): Usage {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

export interface ResponseIds {
  id: string;
  created: number;
  model: string;
}

export function chunk(endpoint: Endpoint, ids: ResponseIds, content: string | undefined, finishReason: string | null, first = false): unknown {
  if (endpoint === 'completions') {
    return { ...ids, object: 'text_completion', choices: [{ index: 0, text: content ?? '', logprobs: null, finish_reason: finishReason }] };
  }
  const delta = first ? { role: 'assistant', content: '' } : content === undefined ? {} : { content };
  return { ...ids, object: 'chat.completion.chunk', choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] };
}

export function usageChunk(endpoint: Endpoint, ids: ResponseIds, totals: Usage): unknown {
  return { ...ids, object: endpoint === 'chat' ? 'chat.completion.chunk' : 'text_completion', choices: [], usage: totals };
}

export function completion(endpoint: Endpoint, ids: ResponseIds, text: string, finishReason: string, totals: Usage): unknown {
  if (endpoint === 'completions') {
    return { ...ids, object: 'text_completion', choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason }], usage: totals };
  }
  return {
    ...ids,
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: finishReason }],
    usage: totals,
  };
}

export function errorBody(message: string, type: string, code: string | null, param: string | null = null): unknown {
  return { error: { message, type, param, code } };
}
