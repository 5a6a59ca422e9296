import { describe, expect, test } from 'vitest';
import type OpenAI from 'openai';
import { instrumentOpenAI } from '../src/index.js';
import { STEP_MS, TTFT_EARLY_MS, TTFT_LATE_MS, GAP_LATE_MS, clientHarness, expectedTtftS, expectGenAiClientScope, expectGaps, expectWithin, histogram, openaiClient, sleep, sseChunk, tinyServer, total, uniquePrompt, useInferenceServer, value, type ClientHarness } from './helpers.js';
import packageJson from '../package.json' with { type: 'json' };

/*
 * Tolerances (TTFT_EARLY_MS and the rest, from the shared helpers): tight lower bounds, loose upper bounds.
 * The mistakes these tests exist to catch are caught by the tight sides: a TTFT clock started after
 * the headers or at the first iteration misses the prefill and a whole step (and the delayed-headers
 * test below misses 150 ms), and a per-request mean gap gives one observation instead of one per gap
 * (counts are exact).
 */
const PROMPT_TOKENS = 20;
const OUTPUT_TOKENS = 6;
const EXPECTED_TTFT_S = expectedTtftS(PROMPT_TOKENS);

const server = useInferenceServer(OUTPUT_TOKENS, {
  checkUnhandledRejections: false,
  // Warm up the connection and the JIT so the first measured request is not the cold one.
  async warmUp(started) {
    const warm = openaiClient(`${started.url}/v1`);
    instrumentOpenAI(warm, { ryot: clientHarness().api, includeUsage: true });
    for (let i = 0; i < 2; i++) {
      const stream = await warm.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: uniquePrompt(4) }], max_tokens: 3, stream: true });
      for await (const chunk of stream) void chunk;
    }
  },
});
const baseURL = () => `${server().url}/v1`;

function setup(extra: Parameters<typeof instrumentOpenAI>[1] = {}): { h: ClientHarness; client: OpenAI } {
  const h = clientHarness();
  const client = openaiClient(baseURL());
  instrumentOpenAI(client, { ryot: h.api, meterProvider: h.provider, genAiSemconv: true, onRequestEnd: h.onRequestEnd, ...extra });
  return { h, client };
}

const model = { model: 'm1' };

describe('streaming chat completions against the example server', () => {
  test('TTFT, every gap, tokens and outcome equal the engine script', async () => {
    const { h, client } = setup({ includeUsage: true });
    const stream = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: uniquePrompt(PROMPT_TOKENS) }], stream: true });
    const contents: string[] = [];
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.delta.content;
      if (content) contents.push(content);
    }
    expect(contents).toHaveLength(OUTPUT_TOKENS);

    const [summary] = h.summaries;
    expect(h.summaries).toHaveLength(1);
    expect(summary).toMatchObject({ outcome: 'completed', contentChunks: OUTPUT_TOKENS, gaps: OUTPUT_TOKENS - 1, promptTokens: PROMPT_TOKENS, completionTokens: OUTPUT_TOKENS, finishReason: 'length', responseModel: 'm1', retries: 0 });
    expectWithin(summary!.timeToFirstChunk, EXPECTED_TTFT_S, TTFT_EARLY_MS, TTFT_LATE_MS);

    const all = await h.metrics();
    expect(value(all, 'ryot_inference_requests', { ...model, status: 'success' })).toBe(1);
    expect(total(all, 'ryot_inference_errors')).toBe(0);
    expect(value(all, 'ryot_tokens_generated', model)).toBe(OUTPUT_TOKENS);
    expect(value(all, 'ryot_prompt_tokens', model)).toBe(PROMPT_TOKENS);
    expect(value(all, 'ryot_inference_requests_in_flight', model)).toBe(0);
    const ttft = histogram(all, 'ryot_inference_ttft_seconds', model)!;
    expect(ttft.count).toBe(1);
    expectWithin(ttft.sum, EXPECTED_TTFT_S, TTFT_EARLY_MS, TTFT_LATE_MS);
    // One observation per gap, and min/max bound every one of them.
    const itl = histogram(all, 'ryot_inference_inter_token_latency_seconds', model)!;
    expectGaps(itl, OUTPUT_TOKENS - 1);
    expect(itl.min!).toBeGreaterThan(0);
    const duration = histogram(all, 'ryot_inference_request_duration_seconds', model)!;
    expectWithin(duration.sum, EXPECTED_TTFT_S + ((OUTPUT_TOKENS - 1) * STEP_MS) / 1000, TTFT_EARLY_MS, TTFT_LATE_MS + (OUTPUT_TOKENS - 1) * GAP_LATE_MS);
  });

  test('gen_ai.client.* metrics carry the semconv attributes and one chunk gap per chunk after the first', async () => {
    const { h, client } = setup({ includeUsage: true });
    const stream = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: uniquePrompt(PROMPT_TOKENS) }], stream: true });
    for await (const chunk of stream) void chunk;
    const all = await h.metrics();
    const attributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      // The pre-v1.37 name, kept beside its replacement unless OTEL_SEMCONV_STABILITY_OPT_IN has gen_ai_latest_experimental.
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'm1',
      'gen_ai.response.model': 'm1',
      'server.address': '127.0.0.1',
      'server.port': server().port,
    };
    const duration = histogram(all, 'gen_ai.client.operation.duration', attributes)!;
    expect(duration.count).toBe(1);
    const ttfc = histogram(all, 'gen_ai.client.operation.time_to_first_chunk', attributes)!;
    expect(ttfc.count).toBe(1);
    expectWithin(ttfc.sum, EXPECTED_TTFT_S, TTFT_EARLY_MS, TTFT_LATE_MS);
    const perChunk = histogram(all, 'gen_ai.client.operation.time_per_output_chunk', attributes)!;
    expectGaps(perChunk, OUTPUT_TOKENS - 1);
    expect(perChunk.min!).toBeGreaterThan(0);
    expect(histogram(all, 'gen_ai.client.token.usage', { ...attributes, 'gen_ai.token.type': 'input' })?.sum).toBe(PROMPT_TOKENS);
    expect(histogram(all, 'gen_ai.client.token.usage', { ...attributes, 'gen_ai.token.type': 'output' })?.sum).toBe(OUTPUT_TOKENS);
    // gen_ai.client.* are recorded under this package's own scope and version; ryot_* under @ryot/metrics.
    await expectGenAiClientScope(h, `@ryot/openai@${packageJson.version}`);
    expect((await h.scopes())['ryot_inference_requests']).toBe(`@ryot/metrics@${packageJson.version}`);
    // The semconv bucket advice reaches the SDK (14 boundaries for durations, 14 for tokens).
    expect(duration.buckets.boundaries).toEqual([0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]);
    expect(histogram(all, 'gen_ai.client.token.usage', { ...attributes, 'gen_ai.token.type': 'input' })!.buckets.boundaries.at(-1)).toBe(67108864);
    // Client measurements never go under gen_ai.server.* names.
    expect(all.some((m) => m.descriptor.name.startsWith('gen_ai.server.'))).toBe(false);
  });

  test('chat usage details: cached_tokens is cache read (no cache write), reasoning_tokens is reasoning; reasoning_content deltas are output chunks', async () => {
    const { h, client } = setup({ includeUsage: true, genAiUsageCounters: true });
    // The example server caches the 10-token system prompt on the first call and scripts 4 reasoning tokens for 'medium'.
    const request = { model: 'm1', reasoning_effort: 'medium' as const, messages: [{ role: 'system' as const, content: uniquePrompt(10) }, { role: 'user' as const, content: uniquePrompt(PROMPT_TOKENS) }] };
    await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({ ...request, stream: true });
    const kinds: string[] = [];
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string | null; reasoning_content?: string } | undefined;
      if (delta?.reasoning_content) kinds.push('reasoning');
      else if (delta?.content) kinds.push('text');
    }
    expect(kinds).toEqual(['reasoning', 'reasoning', 'reasoning', 'reasoning', 'text', 'text']);
    // The system and user prompts joined by a newline: 10 + 1 + 20 = 31 prompt tokens, cached ones included.
    expect(h.summaries.map((s) => [s.streaming, s.contentChunks, s.promptTokens, s.cacheReadTokens, s.cacheWriteTokens, s.reasoningTokens, s.completionTokens])).toEqual([
      [false, 0, 31, undefined, undefined, 4, OUTPUT_TOKENS],
      [true, OUTPUT_TOKENS, 31, 10, undefined, 4, OUTPUT_TOKENS],
    ]);
    const all = await h.metrics();
    expect(value(all, 'ryot_cache_read_tokens', model)).toBe(10);
    expect(value(all, 'ryot_cache_write_tokens', model)).toBeUndefined();
    expect(value(all, 'ryot_reasoning_tokens', model)).toBe(8);
    expect(value(all, 'ryot_tokens_generated', model)).toBe(2 * OUTPUT_TOKENS);
  });

  test('without includeUsage the request is sent as written: tokens are counted from chunks, no token.usage', async () => {
    const { h, client } = setup();
    const stream = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: uniquePrompt(8) }], stream: true });
    let usageSeen = false;
    for await (const chunk of stream) if (chunk.usage) usageSeen = true;
    expect(usageSeen).toBe(false);
    const all = await h.metrics();
    expect(value(all, 'ryot_tokens_generated', model)).toBe(OUTPUT_TOKENS);
    expect(value(all, 'ryot_prompt_tokens', model)).toBeUndefined();
    expect(all.find((m) => m.descriptor.name === 'gen_ai.client.token.usage')?.dataPoints ?? []).toHaveLength(0);
  });

  test('text completions stream (operation text_completion)', async () => {
    const { h, client } = setup({ includeUsage: true });
    const stream = await client.completions.create({ model: 'm1', prompt: uniquePrompt(PROMPT_TOKENS), stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(h.summaries[0]).toMatchObject({ operation: 'text_completion', outcome: 'completed', contentChunks: OUTPUT_TOKENS, completionTokens: OUTPUT_TOKENS, promptTokens: PROMPT_TOKENS });
    expectWithin(h.summaries[0]!.timeToFirstChunk, EXPECTED_TTFT_S, TTFT_EARLY_MS, TTFT_LATE_MS);
    const all = await h.metrics();
    expect(histogram(all, 'gen_ai.client.operation.duration', { 'gen_ai.operation.name': 'text_completion', 'gen_ai.provider.name': 'openai', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'm1', 'gen_ai.response.model': 'm1', 'server.address': '127.0.0.1', 'server.port': server().port })?.count).toBe(1);
  });
});

describe('the SDK objects keep their whole API', () => {
  test('the returned stream is the SDK Stream; tee() gives both branches every chunk and measures once', async () => {
    const { h, client } = setup();
    const stream = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: uniquePrompt(8) }], stream: true });
    expect(stream.constructor.name).toBe('Stream');
    expect(stream.controller).toBeInstanceOf(AbortController);
    const [left, right] = stream.tee();
    const read = async (branch: typeof left) => {
      const contents: string[] = [];
      for await (const chunk of branch) {
        const content = chunk.choices[0]?.delta.content;
        if (content) contents.push(content);
      }
      return contents;
    };
    const [a, b] = await Promise.all([read(left), read(right)]);
    expect(a).toHaveLength(OUTPUT_TOKENS);
    expect(b).toEqual(a);
    expect(h.summaries).toHaveLength(1);
    expect(h.summaries[0]).toMatchObject({ outcome: 'completed', contentChunks: OUTPUT_TOKENS });
    const all = await h.metrics();
    expect(value(all, 'ryot_inference_requests', { ...model, status: 'success' })).toBe(1);
    expect(histogram(all, 'ryot_inference_inter_token_latency_seconds', model)?.count).toBe(OUTPUT_TOKENS - 1);
  });

  test('toReadableStream() works and is measured', async () => {
    const { h, client } = setup();
    const stream = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: uniquePrompt(8) }], stream: true });
    const readable = stream.toReadableStream();
    const text = await new Response(readable).text();
    const lines = text.trim().split('\n').map((line) => JSON.parse(line) as { choices: Array<{ delta: { content?: string } }> });
    expect(lines.filter((line) => line.choices[0]?.delta.content).length).toBe(OUTPUT_TOKENS);
    expect(h.summaries).toHaveLength(1);
    expect(h.summaries[0]).toMatchObject({ outcome: 'completed', contentChunks: OUTPUT_TOKENS });
  });

  test('withResponse() and asResponse() still work on the APIPromise', async () => {
    const { h, client } = setup();
    const { data, response } = await client.chat.completions
      .create({ model: 'm1', messages: [{ role: 'user', content: uniquePrompt(8) }], stream: true })
      .withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    let chunks = 0;
    for await (const chunk of data) if (chunk.choices[0]?.delta.content) chunks++;
    expect(chunks).toBe(OUTPUT_TOKENS);
    expect(h.summaries[0]).toMatchObject({ outcome: 'completed', contentChunks: OUTPUT_TOKENS });

    // asResponse(): the raw body is the caller's; the request is recorded as completed when the headers arrive.
    const raw = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: uniquePrompt(8) }], stream: true }).asResponse();
    expect(raw.status).toBe(200);
    expect(await raw.text()).toContain('[DONE]');
    expect(h.summaries).toHaveLength(2);
    expect(h.summaries[1]).toMatchObject({ outcome: 'completed', contentChunks: 0 });
    const all = await h.metrics();
    expect(value(all, 'ryot_inference_requests_in_flight', model)).toBe(0);
  });

  test('non-streaming calls record duration and usage', async () => {
    const { h, client } = setup();
    const completion = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: uniquePrompt(PROMPT_TOKENS) }] });
    expect(completion.usage).toMatchObject({ prompt_tokens: PROMPT_TOKENS, completion_tokens: OUTPUT_TOKENS });
    const text = await client.completions.create({ model: 'm1', prompt: uniquePrompt(PROMPT_TOKENS) });
    expect(text.choices[0]?.text.length).toBeGreaterThan(0);
    expect(h.summaries.map((s) => [s.operation, s.outcome, s.streaming, s.promptTokens, s.completionTokens, s.timeToFirstChunk])).toEqual([
      ['chat', 'completed', false, PROMPT_TOKENS, OUTPUT_TOKENS, undefined],
      ['text_completion', 'completed', false, PROMPT_TOKENS, OUTPUT_TOKENS, undefined],
    ]);
    const expectedDuration = EXPECTED_TTFT_S + ((OUTPUT_TOKENS - 1) * STEP_MS) / 1000;
    for (const summary of h.summaries) expectWithin(summary.duration, expectedDuration, TTFT_EARLY_MS, TTFT_LATE_MS + (OUTPUT_TOKENS - 1) * GAP_LATE_MS);
    const all = await h.metrics();
    expect(value(all, 'ryot_inference_requests', { ...model, status: 'success' })).toBe(2);
    expect(histogram(all, 'ryot_inference_request_duration_seconds', model)?.count).toBe(2);
    expect(value(all, 'ryot_tokens_generated', model)).toBe(2 * OUTPUT_TOKENS);
    expect(value(all, 'ryot_prompt_tokens', model)).toBe(2 * PROMPT_TOKENS);
    // Streaming-only metrics are not reported for non-streaming calls.
    expect(histogram(all, 'ryot_inference_ttft_seconds', model)).toBeUndefined();
    expect(all.find((m) => m.descriptor.name === 'gen_ai.client.operation.time_to_first_chunk')?.dataPoints ?? []).toHaveLength(0);
    expect(histogram(all, 'gen_ai.client.token.usage', { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'm1', 'gen_ai.response.model': 'm1', 'server.address': '127.0.0.1', 'server.port': server().port, 'gen_ai.token.type': 'output' })?.sum).toBe(OUTPUT_TOKENS);
  });
});

describe('instrumentation lifecycle', () => {
  test('instrumenting twice does not double count; uninstrument restores the client', async () => {
    const h = clientHarness();
    const client = openaiClient(baseURL());
    const originalCreate = client.chat.completions.create;
    const first = instrumentOpenAI(client, { ryot: h.api, onRequestEnd: h.onRequestEnd });
    const second = instrumentOpenAI(client, { ryot: h.api, onRequestEnd: h.onRequestEnd });
    expect(second).toBe(first);
    const stream = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: uniquePrompt(8) }], stream: true });
    for await (const chunk of stream) void chunk;
    let all = await h.metrics();
    expect(value(all, 'ryot_inference_requests', { ...model, status: 'success' })).toBe(1);
    expect(histogram(all, 'ryot_inference_inter_token_latency_seconds', model)?.count).toBe(OUTPUT_TOKENS - 1);

    first.uninstrument();
    expect(client.chat.completions.create).toBe(originalCreate);
    await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: uniquePrompt(8) }], max_tokens: 1 });
    all = await h.metrics();
    expect(value(all, 'ryot_inference_requests', { ...model, status: 'success' })).toBe(1);
    // And it can be instrumented again.
    instrumentOpenAI(client, { ryot: h.api, onRequestEnd: h.onRequestEnd });
    await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: uniquePrompt(8) }], max_tokens: 1 });
    all = await h.metrics();
    expect(value(all, 'ryot_inference_requests', { ...model, status: 'success' })).toBe(2);
  });

  test('only the instrumented instance is hooked: another client of the same class is not measured', async () => {
    const { h, client } = setup();
    const other = openaiClient(baseURL());
    await other.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: uniquePrompt(8) }], max_tokens: 1 });
    expect(h.summaries).toHaveLength(0);
    await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: uniquePrompt(8) }], max_tokens: 1 });
    expect(h.summaries).toHaveLength(1);
  });

  test('TTFT starts at the call: slow response headers are part of it', async () => {
    // The headers arrive 150 ms after the request, the first content chunk right after them.
    const tiny = await tinyServer((_req, res) => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(sseChunk(undefined) + sseChunk('hello'));
        setTimeout(() => res.end(sseChunk(' world') + 'data: [DONE]\n\n'), 30);
      }, 150);
    });
    try {
      const h = clientHarness();
      const client = openaiClient(tiny.url);
      instrumentOpenAI(client, { ryot: h.api, onRequestEnd: h.onRequestEnd });
      const stream = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], stream: true });
      await sleep(50); // the consumer starts iterating late: chunks it finds buffered count from the call anyway
      for await (const chunk of stream) void chunk;
      const summary = h.summaries[0]!;
      expect(summary.outcome).toBe('completed');
      // The lower bound is the claim (headers and the late start count); the upper one is loose like every timing here.
      expectWithin(summary.timeToFirstChunk, 0.2, TTFT_EARLY_MS, TTFT_LATE_MS);
    } finally {
      await tiny.close();
    }
  });
});
