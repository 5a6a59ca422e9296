import { describe, expect, test } from 'vitest';
import type OpenAI from 'openai';
import { instrumentOpenAI } from '../src/index.js';
import { TTFT_EARLY_MS, TTFT_LATE_MS, clientHarness, expectedTtftS, expectWithin, histogram, openaiClient, uniquePrompt, useInferenceServer, value, type ClientHarness } from './helpers.js';

const OUTPUT_TOKENS = 6;
const PROMPT_TOKENS = 20;
const EXPECTED_TTFT_S = expectedTtftS(PROMPT_TOKENS);
const model = { model: 'm1' };
const server = useInferenceServer(OUTPUT_TOKENS, { checkUnhandledRejections: false });

function setup(): { h: ClientHarness; client: OpenAI } {
  const h = clientHarness();
  const client = openaiClient(`${server().url}/v1`);
  instrumentOpenAI(client, { ryot: h.api, meterProvider: h.provider, genAiSemconv: true, genAiUsageCounters: true, onRequestEnd: h.onRequestEnd });
  return { h, client };
}

function expectTtft(seconds: number | undefined): void {
  expectWithin(seconds, EXPECTED_TTFT_S, TTFT_EARLY_MS, TTFT_LATE_MS);
}

describe('the Responses API', () => {
  test('responses.create({ stream: true }): TTFT to the first output_text delta, one gap per delta, usage on the final event', async () => {
    const { h, client } = setup();
    const stream = await client.responses.create({ model: 'm1', input: uniquePrompt(PROMPT_TOKENS), stream: true });
    const deltas: string[] = [];
    let final: string | undefined;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') deltas.push(event.delta);
      if (event.type === 'response.completed' || event.type === 'response.incomplete') final = event.type;
    }
    expect(deltas).toHaveLength(OUTPUT_TOKENS);
    expect(final).toBe('response.incomplete'); // the engine stops at its length: max_output_tokens
    expect(h.summaries).toHaveLength(1);
    expect(h.summaries[0]).toMatchObject({ outcome: 'completed', operation: 'chat', responseModel: 'm1', contentChunks: OUTPUT_TOKENS, gaps: OUTPUT_TOKENS - 1, promptTokens: PROMPT_TOKENS, completionTokens: OUTPUT_TOKENS, cacheReadTokens: 0, reasoningTokens: 0, finishReason: 'max_output_tokens' });
    expectTtft(h.summaries[0]!.timeToFirstChunk);
    const all = await h.metrics();
    expect(histogram(all, 'ryot_inference_inter_token_latency_seconds', model)?.count).toBe(OUTPUT_TOKENS - 1);
    expect(value(all, 'ryot_tokens_generated', model)).toBe(OUTPUT_TOKENS);
  });

  test('cached instructions and reasoning deltas: reasoning deltas are output chunks, tokens are counted by category', async () => {
    const { h, client } = setup();
    const request = { model: 'm1', instructions: uniquePrompt(10), input: uniquePrompt(PROMPT_TOKENS), reasoning: { effort: 'low' as const } };
    await client.responses.create(request); // not streamed: caches the instructions on the server
    const stream = await client.responses.create({ ...request, stream: true });
    const types: string[] = [];
    for await (const event of stream) if (event.type.endsWith('.delta')) types.push(event.type);
    expect(types).toEqual(['response.reasoning_text.delta', 'response.reasoning_text.delta', ...Array<string>(OUTPUT_TOKENS - 2).fill('response.output_text.delta')]);
    expect(h.summaries.map((s) => [s.streaming, s.contentChunks, s.promptTokens, s.cacheReadTokens, s.reasoningTokens, s.completionTokens])).toEqual([
      [false, 0, 31, 0, 2, OUTPUT_TOKENS],
      [true, OUTPUT_TOKENS, 31, 10, 2, OUTPUT_TOKENS],
    ]);
    const all = await h.metrics();
    expect(value(all, 'ryot_cache_read_tokens', model)).toBe(10);
    expect(value(all, 'ryot_reasoning_tokens', model)).toBe(4);
    expect(value(all, 'ryot_cache_write_tokens', model)).toBeUndefined();
    const attributes = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'm1', 'gen_ai.response.model': 'm1', 'server.address': '127.0.0.1', 'server.port': server().port };
    expect(value(all, 'gen_ai.client.inference.usage.reasoning.output_tokens', attributes)).toBe(4);
    expect(value(all, 'gen_ai.client.inference.usage.cache_read.input_tokens', attributes)).toBe(10);
  });

  test('responses.stream(): the helper and finalResponse() work, measured once', async () => {
    const { h, client } = setup();
    const helper = client.responses.stream({ model: 'm1', input: uniquePrompt(PROMPT_TOKENS) });
    let texts = 0;
    helper.on('response.output_text.delta', () => texts++);
    const response = await helper.finalResponse();
    await helper.done();
    expect(texts).toBe(OUTPUT_TOKENS);
    expect(response.usage?.output_tokens).toBe(OUTPUT_TOKENS);
    expect(h.summaries).toHaveLength(1);
    expect(h.summaries[0]).toMatchObject({ outcome: 'completed', streaming: true, contentChunks: OUTPUT_TOKENS, completionTokens: OUTPUT_TOKENS, promptTokens: PROMPT_TOKENS });
    expectTtft(h.summaries[0]!.timeToFirstChunk);
  });
});

describe('chat.completions.stream()', () => {
  test('the helper, its content events and finalChatCompletion() work, measured once (with includeUsage)', async () => {
    const h = clientHarness();
    const client = openaiClient(`${server().url}/v1`);
    instrumentOpenAI(client, { ryot: h.api, includeUsage: true, onRequestEnd: h.onRequestEnd });
    const helper = client.chat.completions.stream({ model: 'm1', messages: [{ role: 'user', content: uniquePrompt(PROMPT_TOKENS) }] });
    let contents = 0;
    helper.on('content', () => contents++);
    const completion = await helper.finalChatCompletion();
    expect(contents).toBe(OUTPUT_TOKENS);
    expect(completion.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(h.summaries).toHaveLength(1);
    expect(h.summaries[0]).toMatchObject({ outcome: 'completed', contentChunks: OUTPUT_TOKENS, gaps: OUTPUT_TOKENS - 1, promptTokens: PROMPT_TOKENS, completionTokens: OUTPUT_TOKENS, finishReason: 'length' });
    expectTtft(h.summaries[0]!.timeToFirstChunk);
  });
});
