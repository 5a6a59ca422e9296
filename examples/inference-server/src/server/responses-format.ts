/**
 * The OpenAI Responses format (`POST /v1/responses`): `input` (a string or messages) and `instructions`, streamed
 * as response.created → output_item/content_part added → response.output_text.delta … → done events →
 * response.completed (or response.incomplete at max_output_tokens) with usage. Reasoning (`reasoning.effort`)
 * is scripted as a reasoning item streamed with response.reasoning_text.delta before the message.
 */
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
  type GenerationRequest,
  type GenerationUsage,
  type ResponseIds,
  type StreamShape,
} from './dialect.js';
import { errorBody } from './openai-format.js';
import { SseWriter } from './respond.js';

export function parseResponsesRequest(raw: string, knownModels: ReadonlySet<string>): GenerationRequest {
  const body = parseJsonObject(raw);
  const model = readModel(body, knownModels);
  const maxTokens = readPositiveInteger(body, ['max_output_tokens']);
  const input = body['input'];
  let text: string;
  if (typeof input === 'string') text = input;
  else if (Array.isArray(input) && input.length > 0) text = input.map((item) => (isRecord(item) ? contentText(item['content']) : '')).join('\n');
  else throw new RequestError(400, 'input must be a string or a non-empty array', 'invalid_value', 'input');
  const instructions = typeof body['instructions'] === 'string' && body['instructions'] ? body['instructions'] : undefined;
  const reasoning = body['reasoning'];
  const promptText = [instructions, text].filter(Boolean).join('\n');
  return {
    model,
    stream: body['stream'] === true,
    includeUsage: true,
    maxTokens,
    promptText,
    prefixKey: prefixKeyOf(instructions, promptText),
    reasoningTokens: isRecord(reasoning) ? reasoningForEffort(reasoning['effort']) : 0,
    cacheablePrefix: instructions,
    cacheWrite: false,
  };
}

function usage(totals: GenerationUsage): unknown {
  return {
    input_tokens: totals.promptTokens,
    input_tokens_details: { cached_tokens: totals.cacheReadTokens },
    output_tokens: totals.completionTokens,
    output_tokens_details: { reasoning_tokens: totals.reasoningTokens },
    total_tokens: totals.promptTokens + totals.completionTokens,
  };
}

function responseObject(ids: ResponseIds, status: string, output: unknown[], totals: GenerationUsage | null, incomplete: boolean): Record<string, unknown> {
  return {
    id: ids.id,
    object: 'response',
    created_at: ids.created,
    status,
    model: ids.model,
    output,
    incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
    error: null,
    usage: totals ? usage(totals) : null,
  };
}

function messageItem(id: string, text: string, status: string): unknown {
  return { id, type: 'message', status, role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] };
}

function reasoningItem(id: string, text: string): unknown {
  return { id, type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text }] };
}

export const responsesDialect: Dialect = {
  idPrefix: 'resp',
  parse: parseResponsesRequest,
  errorBody,
  stream(res: ServerResponse, ids: ResponseIds): StreamShape {
    const sse = new SseWriter(res);
    let sequence = 0;
    const send = (type: string, data: Record<string, unknown>) => sse.event(type, { type, sequence_number: sequence++, ...data });
    const output: unknown[] = [];
    let item: { kind: 'reasoning' | 'message'; id: string; index: number; text: string } | undefined;
    const close = () => {
      if (!item) return;
      if (item.kind === 'reasoning') {
        send('response.reasoning_text.done', { item_id: item.id, output_index: item.index, content_index: 0, text: item.text });
        output.push(reasoningItem(item.id, item.text));
      } else {
        send('response.output_text.done', { item_id: item.id, output_index: item.index, content_index: 0, text: item.text });
        send('response.content_part.done', { item_id: item.id, output_index: item.index, content_index: 0, part: { type: 'output_text', text: item.text, annotations: [] } });
        output.push(messageItem(item.id, item.text, 'completed'));
      }
      send('response.output_item.done', { output_index: item.index, item: output[output.length - 1] });
      item = undefined;
    };
    const open = (kind: 'reasoning' | 'message') => {
      if (item?.kind === kind) return item;
      close();
      item = { kind, id: `${kind === 'message' ? 'msg' : 'rs'}_${ids.id}_${output.length}`, index: output.length, text: '' };
      if (kind === 'reasoning') send('response.output_item.added', { output_index: item.index, item: { id: item.id, type: 'reasoning', summary: [], content: [] } });
      else {
        send('response.output_item.added', { output_index: item.index, item: { id: item.id, type: 'message', status: 'in_progress', role: 'assistant', content: [] } });
        send('response.content_part.added', { item_id: item.id, output_index: item.index, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
      }
      return item;
    };
    return {
      start() {
        send('response.created', { response: responseObject(ids, 'in_progress', [], null, false) });
        send('response.in_progress', { response: responseObject(ids, 'in_progress', [], null, false) });
      },
      token(text, reasoning) {
        const current = open(reasoning ? 'reasoning' : 'message');
        current.text += text;
        send(reasoning ? 'response.reasoning_text.delta' : 'response.output_text.delta', { item_id: current.id, output_index: current.index, content_index: 0, delta: text });
      },
      finish(finish, totals) {
        close();
        const incomplete = finish === 'length';
        send(incomplete ? 'response.incomplete' : 'response.completed', { response: responseObject(ids, incomplete ? 'incomplete' : 'completed', output, totals, incomplete) });
        sse.end();
      },
      fail(message, errorType) {
        send('error', { code: errorType === 'rate_limit' ? 'rate_limit_exceeded' : 'server_error', message, param: null });
        sse.end();
      },
    };
  },
  body(ids, output, finish, totals) {
    const items: unknown[] = [];
    if (output.reasoning) items.push(reasoningItem(`rs_${ids.id}`, output.reasoning));
    items.push(messageItem(`msg_${ids.id}`, output.text, 'completed'));
    return responseObject(ids, finish === 'length' ? 'incomplete' : 'completed', items, totals, finish === 'length');
  },
};
