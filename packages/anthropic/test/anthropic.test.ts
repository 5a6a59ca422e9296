import { describe, expect, test } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { instrumentAnthropic, type InstrumentAnthropicOptions } from '../src/index.js';
import { ANTHROPIC_SCOPE } from '../src/version.js';
import packageJson from '../package.json' with { type: 'json' };
import { STEP_MS, TTFT_EARLY_MS, TTFT_LATE_MS, GAP_LATE_MS, clientHarness, expectedTtftS, expectGenAiClientScope, expectGaps, expectWithin, histogram, total, uniquePrompt, useInferenceServer, value, type ClientHarness } from '../../../test/helpers/clients.js';

/* Engine script and tolerances (tight lower bounds, loose upper bounds) from test/helpers/clients.ts, as in @ryot/openai's tests. */
const PROMPT_TOKENS = 20;
const MAX_TOKENS = 6;
const EXPECTED_TTFT_S = expectedTtftS(PROMPT_TOKENS);
const model = { model: 'm1' };

const server = useInferenceServer(MAX_TOKENS, {
  checkUnhandledRejections: false,
  async warmUp(started) {
    const warm = anthropicClient(started.url);
    instrumentAnthropic(warm, { ryot: clientHarness().api });
    const stream = await warm.messages.create({ model: 'm1', max_tokens: 2, messages: [{ role: 'user', content: uniquePrompt(4) }], stream: true });
    for await (const event of stream) void event;
  },
});

function anthropicClient(baseURL: string, maxRetries = 0): Anthropic {
  return new Anthropic({ apiKey: 'test-key', baseURL, maxRetries, timeout: 10_000 });
}

function setup(extra: InstrumentAnthropicOptions = {}): { h: ClientHarness; client: Anthropic } {
  const h = clientHarness();
  const client = anthropicClient(server().url);
  instrumentAnthropic(client, { ryot: h.api, meterProvider: h.provider, genAiSemconv: true, onRequestEnd: h.onRequestEnd, ...extra });
  return { h, client };
}

const attributes = () => ({
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'anthropic',
  'gen_ai.system': 'anthropic',
  'gen_ai.request.model': 'm1',
  'gen_ai.response.model': 'm1',
  'server.address': '127.0.0.1',
  'server.port': server().port,
});

describe('messages.create({ stream: true }) against the example server', () => {
  test('TTFT, every gap, usage, stop_reason and the outcome equal the engine script, recorded once', async () => {
    const { h, client } = setup();
    const stream = await client.messages.create({ model: 'm1', max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: uniquePrompt(PROMPT_TOKENS) }], stream: true });
    const texts: string[] = [];
    for await (const event of stream) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') texts.push(event.delta.text);
    expect(texts).toHaveLength(MAX_TOKENS);

    expect(h.summaries).toHaveLength(1);
    const summary = h.summaries[0]!;
    expect(summary).toMatchObject({ outcome: 'completed', providerName: 'anthropic', responseModel: 'm1', contentChunks: MAX_TOKENS, gaps: MAX_TOKENS - 1, promptTokens: PROMPT_TOKENS, completionTokens: MAX_TOKENS, cacheReadTokens: 0, cacheWriteTokens: 0, finishReason: 'max_tokens', retries: 0 });
    expectWithin(summary.timeToFirstChunk, EXPECTED_TTFT_S, TTFT_EARLY_MS, TTFT_LATE_MS);

    const all = await h.metrics();
    expect(value(all, 'ryot_inference_requests', { ...model, status: 'success' })).toBe(1);
    expect(total(all, 'ryot_inference_errors')).toBe(0);
    expect(value(all, 'ryot_tokens_generated', model)).toBe(MAX_TOKENS);
    expect(value(all, 'ryot_prompt_tokens', model)).toBe(PROMPT_TOKENS);
    expect(value(all, 'ryot_inference_requests_in_flight', model)).toBe(0);
    expectGaps(histogram(all, 'ryot_inference_inter_token_latency_seconds', model), MAX_TOKENS - 1);
    const ttfc = histogram(all, 'gen_ai.client.operation.time_to_first_chunk', attributes())!;
    expect(ttfc.count).toBe(1);
    expectWithin(ttfc.sum, EXPECTED_TTFT_S, TTFT_EARLY_MS, TTFT_LATE_MS);
    expect(histogram(all, 'gen_ai.client.operation.time_per_output_chunk', attributes())?.count).toBe(MAX_TOKENS - 1);
    expect(histogram(all, 'gen_ai.client.operation.duration', attributes())?.count).toBe(1);
    expect(histogram(all, 'gen_ai.client.token.usage', { ...attributes(), 'gen_ai.token.type': 'input' })?.sum).toBe(PROMPT_TOKENS);
    expect(histogram(all, 'gen_ai.client.token.usage', { ...attributes(), 'gen_ai.token.type': 'output' })?.sum).toBe(MAX_TOKENS);
    await expectGenAiClientScope(h, `@ryot/anthropic@${packageJson.version}`);
  });

  test('thinking deltas are output chunks; a cache_control system prompt is written, then read, and counted by category', async () => {
    const { h, client } = setup({ genAiUsageCounters: true });
    // 40 characters → 10 cached tokens; with the user prompt (20 tokens + the joining newline) the prompt is 31 tokens.
    const system = [{ type: 'text' as const, text: `${uniquePrompt(10)}`, cache_control: { type: 'ephemeral' as const } }];
    const request = { model: 'm1', max_tokens: MAX_TOKENS, system, thinking: { type: 'enabled' as const, budget_tokens: 2 }, messages: [{ role: 'user' as const, content: uniquePrompt(PROMPT_TOKENS) }] };
    const kinds: string[] = [];
    for (let i = 0; i < 2; i++) {
      const stream = await client.messages.create({ ...request, stream: true });
      for await (const event of stream) if (event.type === 'content_block_delta' && i === 0) kinds.push(event.delta.type);
    }
    expect(kinds).toEqual(['thinking_delta', 'thinking_delta', 'signature_delta', 'text_delta', 'text_delta', 'text_delta', 'text_delta']);
    expect(h.summaries.map((s) => [s.contentChunks, s.gaps, s.promptTokens, s.cacheWriteTokens, s.cacheReadTokens, s.completionTokens])).toEqual([
      [MAX_TOKENS, MAX_TOKENS - 1, 31, 10, 0, MAX_TOKENS],
      [MAX_TOKENS, MAX_TOKENS - 1, 31, 0, 10, MAX_TOKENS],
    ]);
    const all = await h.metrics();
    expect(value(all, 'ryot_prompt_tokens', model)).toBe(62);
    expect(value(all, 'ryot_cache_write_tokens', model)).toBe(10);
    expect(value(all, 'ryot_cache_read_tokens', model)).toBe(10);
    // Anthropic reports no separate reasoning count (thinking is inside output_tokens): nothing is invented.
    expect(value(all, 'ryot_reasoning_tokens', model)).toBeUndefined();
    const a = attributes();
    expect(value(all, 'gen_ai.client.inference.usage.input_tokens', a)).toBe(62);
    expect(value(all, 'gen_ai.client.inference.usage.output_tokens', a)).toBe(2 * MAX_TOKENS);
    expect(value(all, 'gen_ai.client.inference.usage.cache_read.input_tokens', a)).toBe(10);
    expect(value(all, 'gen_ai.client.inference.usage.cache_write.input_tokens', a)).toBe(10);
    expect(value(all, 'gen_ai.client.inference.usage.reasoning.output_tokens', a)).toBeUndefined();
  });
});

describe("the SDK's own objects and helpers keep working", () => {
  test('messages.stream(): text events, finalMessage() and finalText() work, and the request is measured once', async () => {
    const { h, client } = setup();
    const messageStream = client.messages.stream({ model: 'm1', max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: uniquePrompt(PROMPT_TOKENS) }] });
    const texts: string[] = [];
    messageStream.on('text', (text) => texts.push(text));
    const message = await messageStream.finalMessage();
    expect(texts).toHaveLength(MAX_TOKENS);
    expect(message.content[0]).toMatchObject({ type: 'text', text: texts.join('') });
    expect(message.usage).toMatchObject({ input_tokens: PROMPT_TOKENS, output_tokens: MAX_TOKENS });
    expect(await messageStream.finalText()).toBe(texts.join(''));
    expect(h.summaries).toHaveLength(1);
    expect(h.summaries[0]).toMatchObject({ outcome: 'completed', streaming: true, contentChunks: MAX_TOKENS, gaps: MAX_TOKENS - 1, promptTokens: PROMPT_TOKENS, completionTokens: MAX_TOKENS, finishReason: 'max_tokens' });
    expectWithin(h.summaries[0]!.timeToFirstChunk, EXPECTED_TTFT_S, TTFT_EARLY_MS, TTFT_LATE_MS);
  });

  test('the returned Stream keeps controller, tee() (both branches, measured once) and withResponse()', async () => {
    const { h, client } = setup();
    const { data: stream, response } = await client.messages
      .create({ model: 'm1', max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: uniquePrompt(8) }], stream: true })
      .withResponse();
    expect(response.status).toBe(200);
    expect(stream.constructor.name).toBe('Stream');
    expect(stream.controller).toBeInstanceOf(AbortController);
    const [left, right] = stream.tee();
    const read = async (branch: typeof left) => {
      let count = 0;
      for await (const event of branch) if (event.type === 'content_block_delta') count++;
      return count;
    };
    expect(await Promise.all([read(left), read(right)])).toEqual([MAX_TOKENS, MAX_TOKENS]);
    expect(h.summaries).toHaveLength(1);
    expect(h.summaries[0]).toMatchObject({ outcome: 'completed', contentChunks: MAX_TOKENS });
  });

  test('non-streaming create records duration, usage and stop_reason, and no streaming metrics', async () => {
    const { h, client } = setup();
    const message = await client.messages.create({ model: 'm1', max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: uniquePrompt(PROMPT_TOKENS) }] });
    expect(message.stop_reason).toBe('max_tokens');
    expect(h.summaries).toHaveLength(1);
    expect(h.summaries[0]).toMatchObject({ outcome: 'completed', streaming: false, timeToFirstChunk: undefined, promptTokens: PROMPT_TOKENS, completionTokens: MAX_TOKENS, finishReason: 'max_tokens', responseModel: 'm1' });
    expectWithin(h.summaries[0]!.duration, EXPECTED_TTFT_S + ((MAX_TOKENS - 1) * STEP_MS) / 1000, TTFT_EARLY_MS, TTFT_LATE_MS + (MAX_TOKENS - 1) * GAP_LATE_MS);
    const all = await h.metrics();
    expect(histogram(all, 'ryot_inference_ttft_seconds', model)).toBeUndefined();
    expect(value(all, 'ryot_tokens_generated', model)).toBe(MAX_TOKENS);
  });

  test('beta.messages.create is measured too; uninstrument() restores the client', async () => {
    const { h, client } = setup();
    const stream = await client.beta.messages.create({ model: 'm1', max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: uniquePrompt(8) }], stream: true });
    for await (const event of stream) void event;
    expect(h.summaries).toHaveLength(1);
    expect(h.summaries[0]).toMatchObject({ outcome: 'completed', contentChunks: MAX_TOKENS });
    const again = instrumentAnthropic(client);
    again.uninstrument();
    await client.messages.create({ model: 'm1', max_tokens: 2, messages: [{ role: 'user', content: uniquePrompt(8) }] });
    expect(h.summaries).toHaveLength(1);
  });

  test('only the instrumented instance is hooked: another client of the same class is not measured', async () => {
    const { h, client } = setup();
    await anthropicClient(server().url).messages.create({ model: 'm1', max_tokens: 1, messages: [{ role: 'user', content: uniquePrompt(8) }] });
    expect(h.summaries).toHaveLength(0);
    await client.messages.create({ model: 'm1', max_tokens: 1, messages: [{ role: 'user', content: uniquePrompt(8) }] });
    expect(h.summaries).toHaveLength(1);
  });

  test('the scope version equals package.json', () => {
    expect(ANTHROPIC_SCOPE).toEqual({ name: packageJson.name, version: packageJson.version });
  });
});
