import { afterEach, describe, expect, it } from 'vitest';
import { post, startTestServer } from './helpers.js';

let current: Awaited<ReturnType<typeof startTestServer>> | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

interface NamedEvent {
  event: string;
  data: Record<string, unknown>;
}

async function readNamedEvents(response: Response): Promise<NamedEvent[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return { event: eventLine!.slice(7), data: JSON.parse(dataLine!.slice(6)) as Record<string, unknown> };
    });
}

// 40 characters of system prompt → ceil(40 / 4) = 10 tokens; 'hello there' → 3 more after the joining newline (52 chars → 13 in all).
const SYSTEM = 'You are a terse assistant for tests. OK?';

describe('example inference server: Anthropic Messages (/v1/messages)', () => {
  it('streams message_start, ping, a thinking block, a text block, message_delta with usage and stop_reason, message_stop', async () => {
    current = await startTestServer();
    const body = { model: 'fast', max_tokens: 5, stream: true, thinking: { type: 'enabled', budget_tokens: 2 }, messages: [{ role: 'user', content: 'hello there' }] };
    const response = await post(`${current.server.url}/v1/messages`, body);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readNamedEvents(response);
    for (const { event, data } of events) expect(data['type']).toBe(event);
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta', // the thinking block's signature
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const deltas = events.filter((e) => e.event === 'content_block_delta').map((e) => (e.data['delta'] as { type: string }).type);
    expect(deltas).toEqual(['thinking_delta', 'thinking_delta', 'signature_delta', 'text_delta', 'text_delta', 'text_delta']);
    expect((events[0]!.data['message'] as { usage: unknown }).usage).toEqual({ input_tokens: 3, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    expect(events.at(-2)!.data).toEqual({ type: 'message_delta', delta: { stop_reason: 'max_tokens', stop_sequence: null }, usage: { output_tokens: 5 } });
  });

  it('writes a cache_control system prompt on the first request and reads it on the next; input_tokens is the uncached rest', async () => {
    current = await startTestServer();
    const body = { model: 'fast', max_tokens: 2, system: [{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: 'hello there' }] };
    const first = (await (await post(`${current.server.url}/v1/messages`, body)).json()) as { usage: unknown; stop_reason: string; content: Array<{ type: string }> };
    const second = (await (await post(`${current.server.url}/v1/messages`, body)).json()) as { usage: unknown };
    expect(first.usage).toEqual({ input_tokens: 3, output_tokens: 2, cache_creation_input_tokens: 10, cache_read_input_tokens: 0 });
    expect(second.usage).toEqual({ input_tokens: 3, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 10 });
    expect(first.stop_reason).toBe('max_tokens');
    expect(first.content.map((c) => c.type)).toEqual(['text']);
  });

  it('answers bad requests with Anthropic error bodies', async () => {
    current = await startTestServer();
    const missingMax = await post(`${current.server.url}/v1/messages`, { model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
    expect(missingMax.status).toBe(400);
    expect(await missingMax.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    const unknown = await post(`${current.server.url}/v1/messages`, { model: 'nope', max_tokens: 2, messages: [{ role: 'user', content: 'hi' }] });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });
});

describe('example inference server: OpenAI Responses (/v1/responses)', () => {
  it('streams created, reasoning and output_text deltas, and response.completed with usage by category', async () => {
    current = await startTestServer({ defaultMaxTokens: 'natural', seed: 7 });
    const body = { model: 'fast', instructions: SYSTEM, input: 'hello there', max_output_tokens: 6, reasoning: { effort: 'low' }, stream: true };
    await (await post(`${current.server.url}/v1/responses`, { ...body, stream: false })).json(); // caches the instructions
    const events = await readNamedEvents(await post(`${current.server.url}/v1/responses`, body));
    for (const { event, data } of events) expect(data['type']).toBe(event);
    expect(events.map((e) => e.data['sequence_number'])).toEqual(events.map((_, i) => i));
    const names = events.map((e) => e.event);
    expect(names[0]).toBe('response.created');
    expect(names.filter((n) => n === 'response.reasoning_text.delta')).toHaveLength(2);
    expect(names.filter((n) => n === 'response.output_text.delta').length).toBeGreaterThan(0);
    const final = events.at(-1)!;
    expect(['response.completed', 'response.incomplete']).toContain(final.event);
    const usage = (final.data['response'] as { usage: Record<string, unknown> }).usage;
    expect(usage).toMatchObject({ input_tokens: 13, input_tokens_details: { cached_tokens: 10 }, output_tokens_details: { reasoning_tokens: 2 } });
    expect(usage['output_tokens']).toBe(2 + names.filter((n) => n === 'response.output_text.delta').length);
  });
});

describe('example inference server: OpenAI chat usage details', () => {
  it('reports cached system-prompt tokens and scripted reasoning tokens (reasoning_content deltas first)', async () => {
    current = await startTestServer();
    const body = { model: 'fast', max_tokens: 6, reasoning_effort: 'medium', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'hello there' }] };
    await (await post(`${current.server.url}/v1/chat/completions`, { ...body, stream: false })).json();
    const text = await (await post(`${current.server.url}/v1/chat/completions`, body)).text();
    const chunks = text.split('\n\n').filter((b) => b.startsWith('data: {')).map((b) => JSON.parse(b.slice(6)) as { choices: Array<{ delta: Record<string, string> }>; usage?: unknown });
    const deltas = chunks.flatMap((c) => c.choices.map((choice) => Object.keys(choice.delta).join(',')));
    expect(deltas).toEqual(['role,content', 'reasoning_content', 'reasoning_content', 'reasoning_content', 'reasoning_content', 'content', 'content', '']);
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 13, completion_tokens: 6, total_tokens: 19, prompt_tokens_details: { cached_tokens: 10 }, completion_tokens_details: { reasoning_tokens: 4 } });
  });
});
