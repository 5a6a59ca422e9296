/**
 * @ryot/openai against a scripted server (tinyServer): the wire cases the example server does not produce —
 * structured-output `parse()` helpers, tool-call deltas, a Responses API stream ending in `response.failed` — and
 * the `gen_ai.system` migration switch.
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import type OpenAI from 'openai';
import type { ServerResponse } from 'node:http';
import { ResponseFailedError, instrumentOpenAI } from '../src/index.js';
import { STEP_MS, TTFT_EARLY_MS, TTFT_LATE_MS, chatChunkEvent, chatToolCallEvents, clientHarness, GEN_AI_CLIENT_HISTOGRAMS, expectRecordedOnce, expectWithin, openaiClient, points, tinyServer, writeSse, type ClientHarness, type TinyServer } from './helpers.js';

const servers: TinyServer[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function scripted(handler: (res: ServerResponse) => void, options: Parameters<typeof instrumentOpenAI>[1] = {}): Promise<{ h: ClientHarness; client: OpenAI }> {
  const tiny = await tinyServer((_req, res) => handler(res));
  servers.push(tiny);
  const h = clientHarness();
  const client = openaiClient(tiny.url);
  instrumentOpenAI(client, { ryot: h.api, meterProvider: h.provider, genAiSemconv: true, onRequestEnd: h.onRequestEnd, ...options });
  return { h, client };
}

function json(body: unknown): (res: ServerResponse) => void {
  return (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
}

const ANSWER_SCHEMA = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
const USAGE = { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 };
const messages = [{ role: 'user' as const, content: 'hi' }];

describe('structured-output parse() helpers', () => {
  test('chat.completions.parse(): the parsed message reaches the caller; measured once, not streaming', async () => {
    const { h, client } = await scripted(
      json({ id: 'c1', object: 'chat.completion', created: 0, model: 'tiny', choices: [{ index: 0, message: { role: 'assistant', content: '{"answer":"hi"}', refusal: null }, finish_reason: 'stop', logprobs: null }], usage: USAGE }),
    );
    const completion = await client.chat.completions.parse({ model: 'm1', messages, response_format: { type: 'json_schema', json_schema: { name: 'answer', strict: true, schema: ANSWER_SCHEMA } } });
    expect(completion.choices[0]?.message.parsed).toEqual({ answer: 'hi' });
    await expectRecordedOnce(h, { model: 'm1', status: 'success' });
    expect(h.summaries[0]).toMatchObject({ operation: 'chat', outcome: 'completed', streaming: false, timeToFirstChunk: undefined, promptTokens: 12, completionTokens: 5, finishReason: 'stop', responseModel: 'tiny' });
  });

  test('responses.parse(): output_parsed reaches the caller; usage and the status as finish reason, measured once', async () => {
    const { h, client } = await scripted(
      json({
        id: 'r1',
        object: 'response',
        created_at: 0,
        model: 'tiny',
        status: 'completed',
        output: [{ type: 'message', id: 'msg1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: '{"answer":"hi"}', annotations: [] }] }],
        usage: { input_tokens: 12, output_tokens: 5, total_tokens: 17, input_tokens_details: { cached_tokens: 3 }, output_tokens_details: { reasoning_tokens: 2 } },
      }),
    );
    const response = await client.responses.parse({ model: 'm1', input: 'hi', text: { format: { type: 'json_schema', name: 'answer', strict: true, schema: ANSWER_SCHEMA } } });
    expect(response.output_parsed).toEqual({ answer: 'hi' });
    await expectRecordedOnce(h, { model: 'm1', status: 'success' });
    expect(h.summaries[0]).toMatchObject({ outcome: 'completed', streaming: false, promptTokens: 12, cacheReadTokens: 3, completionTokens: 5, reasoningTokens: 2, finishReason: 'completed', responseModel: 'tiny' });
  });
});

describe('tool-call input is output', () => {
  test('chat tool_calls deltas: each one is an output chunk (TTFT to the first, one gap per delta after it)', async () => {
    const events = chatToolCallEvents('get_weather', ['{"city":', '"Paris"}'], { prompt_tokens: 30, completion_tokens: 9 });
    const { h, client } = await scripted((res) => writeSse(res, events, STEP_MS), { includeUsage: true });
    const runner = client.chat.completions.stream({ model: 'm1', messages, tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }] });
    const completion = await runner.finalChatCompletion();
    expect(completion.choices[0]?.message.tool_calls?.[0]).toMatchObject({ function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    await expectRecordedOnce(h, { model: 'm1', status: 'success' });
    // Three chunks carry tool_calls (the head with the name, two argument pieces): TTFT is the first's (STEP_MS in), then 2 gaps.
    expect(h.summaries[0]).toMatchObject({ outcome: 'completed', streaming: true, contentChunks: 3, gaps: 2, promptTokens: 30, completionTokens: 9, finishReason: 'tool_calls' });
    expectWithin(h.summaries[0]!.timeToFirstChunk, STEP_MS / 1000, TTFT_EARLY_MS, TTFT_LATE_MS);
    const all = await h.metrics();
    expect(points(all, 'gen_ai.client.operation.time_per_output_chunk').map((p) => (p.value as { count: number }).count)).toEqual([2]);
  });
});

describe('the Responses API: response.failed', () => {
  const event = (type: string, data: Record<string, unknown>, sequence: number) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence, ...data })}\n\n`;
  const base = { id: 'r1', object: 'response', created_at: 0, model: 'tiny', output: [] };

  test('a stream ending in response.failed → errored with ResponseFailedError, classified by its error.code; the SDK stream still ends', async () => {
    const delta = (text: string, sequence: number) => event('response.output_text.delta', { item_id: 'msg1', output_index: 0, content_index: 0, delta: text }, sequence);
    const error = { code: 'rate_limit_exceeded', message: 'slow down' };
    const events = [
      event('response.created', { response: { ...base, status: 'in_progress' } }, 0),
      delta('one', 1),
      delta(' two', 2),
      event('response.failed', { response: { ...base, status: 'failed', error, usage: { input_tokens: 8, output_tokens: 2, total_tokens: 10 } } }, 3),
    ];
    const { h, client } = await scripted((res) => writeSse(res, events, STEP_MS));
    const stream = await client.responses.create({ model: 'm1', input: 'hi', stream: true });
    const types: string[] = [];
    for await (const e of stream) types.push(e.type);
    expect(types).toEqual(['response.created', 'response.output_text.delta', 'response.output_text.delta', 'response.failed']);
    await expectRecordedOnce(h, { model: 'm1', status: 'error', errorType: 'rate_limit' });
    expect(h.summaries[0]).toMatchObject({ outcome: 'errored', errorType: 'rate_limit', contentChunks: 2, gaps: 1, promptTokens: 8, completionTokens: 2, finishReason: 'failed', responseModel: 'tiny' });
    const failure = h.summaries[0]!.error;
    expect(failure).toBeInstanceOf(ResponseFailedError);
    expect(failure).toMatchObject({ code: 'RYOT_OPENAI_RESPONSE_FAILED', message: 'slow down', error });
  });
});

describe('gen_ai.system, the pre-v1.37 attribute', () => {
  const stream = [chatChunkEvent({ content: 'one' }), chatChunkEvent({ content: ' two' }), chatChunkEvent({}, 'stop', { usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 } }), 'data: [DONE]\n\n'];

  /** The attribute sets of every gen_ai.client.* point after one scripted streamed call. */
  async function attributeSets(options: Parameters<typeof instrumentOpenAI>[1]): Promise<Array<Record<string, unknown>>> {
    const { h, client } = await scripted((res) => writeSse(res, stream, 1), { includeUsage: true, ...options });
    for await (const chunk of await client.chat.completions.create({ model: 'm1', messages, stream: true })) void chunk;
    const all = await h.metrics();
    const sets = GEN_AI_CLIENT_HISTOGRAMS.flatMap((name) => points(all, name).map((p) => p.attributes));
    // duration, token.usage (input and output), time_to_first_chunk, time_per_output_chunk
    expect(sets).toHaveLength(5);
    for (const attributes of sets) expect(attributes['gen_ai.provider.name']).toBe('openai');
    return sets;
  }

  test('emitted beside gen_ai.provider.name by default', async () => {
    for (const attributes of await attributeSets({})) expect(attributes['gen_ai.system']).toBe('openai');
  });

  test('dropped when OTEL_SEMCONV_STABILITY_OPT_IN lists gen_ai_latest_experimental', async () => {
    vi.stubEnv('OTEL_SEMCONV_STABILITY_OPT_IN', 'http, gen_ai_latest_experimental');
    for (const attributes of await attributeSets({})) expect(attributes).not.toHaveProperty('gen_ai.system');
  });

  test('legacyGenAiSystem: false drops it, true keeps it whatever the environment says', async () => {
    for (const attributes of await attributeSets({ legacyGenAiSystem: false })) expect(attributes).not.toHaveProperty('gen_ai.system');
    vi.stubEnv('OTEL_SEMCONV_STABILITY_OPT_IN', 'gen_ai_latest_experimental');
    for (const attributes of await attributeSets({ legacyGenAiSystem: true })) expect(attributes['gen_ai.system']).toBe('openai');
  });
});
