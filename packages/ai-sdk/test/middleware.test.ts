import { describe, expect, test } from 'vitest';
import { generateObject, generateText, streamObject, streamText, tool, wrapLanguageModel } from 'ai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { createAnthropic } from '@ai-sdk/anthropic';
import { z } from 'zod';
import { ryotMiddleware, type RyotMiddlewareOptions } from '../src/index.js';
import { AI_SDK_SCOPE } from '../src/version.js';
import packageJson from '../package.json' with { type: 'json' };
import {
  STEP_MS,
  TTFT_EARLY_MS,
  TTFT_LATE_MS,
  chatChunkEvent,
  chatToolCallEvents,
  clientHarness,
  expectedTtftS,
  expectGenAiClientScope,
  expectGaps,
  expectRecordedOnce,
  expectWithin,
  histogram,
  points,
  tinyServer,
  uniquePrompt,
  useInferenceServer,
  value,
  writeSse,
  type ClientHarness,
} from '../../../test/helpers/clients.js';

/* Same engine script and tolerances as @ryot/openai's tests: tight lower bounds, loose upper bounds. */
const OUTPUT_TOKENS = 6;
const PROMPT_TOKENS = 20;
const EXPECTED_TTFT_S = expectedTtftS(PROMPT_TOKENS);
const model = { model: 'm1' };
const server = useInferenceServer(OUTPUT_TOKENS);

function openaiCompatible(h: ClientHarness, baseURL = `${server().url}/v1`, extra: RyotMiddlewareOptions = {}) {
  const provider = createOpenAICompatible({ name: 'ryot-example', baseURL, apiKey: 'test-key', includeUsage: true });
  return wrapLanguageModel({ model: provider.chatModel('m1'), middleware: ryotMiddleware({ ryot: h.api, meterProvider: h.provider, genAiSemconv: true, onRequestEnd: h.onRequestEnd, ...extra }) });
}

function anthropic(h: ClientHarness) {
  const provider = createAnthropic({ baseURL: `${server().url}/v1`, apiKey: 'test-key' });
  return wrapLanguageModel({ model: provider('m1'), middleware: ryotMiddleware({ ryot: h.api, meterProvider: h.provider, genAiSemconv: true, onRequestEnd: h.onRequestEnd }) });
}

describe('streamText through the OpenAI-compatible provider', () => {
  test('TTFT to the first text delta, every gap, usage, finish reason, recorded once', async () => {
    const h = clientHarness();
    const result = streamText({ model: openaiCompatible(h), prompt: uniquePrompt(PROMPT_TOKENS), maxRetries: 0 });
    const parts: string[] = [];
    for await (const text of result.textStream) parts.push(text);
    expect(parts).toHaveLength(OUTPUT_TOKENS);
    expect((await result.usage).outputTokens).toBe(OUTPUT_TOKENS);
    expect(h.summaries).toHaveLength(1);
    expect(h.summaries[0]).toMatchObject({ outcome: 'completed', providerName: 'ryot-example', requestModel: 'm1', responseModel: 'm1', contentChunks: OUTPUT_TOKENS, gaps: OUTPUT_TOKENS - 1, promptTokens: PROMPT_TOKENS, completionTokens: OUTPUT_TOKENS, finishReason: 'length' });
    expectWithin(h.summaries[0]!.timeToFirstChunk, EXPECTED_TTFT_S, TTFT_EARLY_MS, TTFT_LATE_MS);
    const all = await h.metrics();
    expect(value(all, 'ryot_inference_requests', { ...model, status: 'success' })).toBe(1);
    expectGaps(histogram(all, 'ryot_inference_inter_token_latency_seconds', model), OUTPUT_TOKENS - 1);
    const attributes = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'ryot-example', 'gen_ai.system': 'ryot-example', 'gen_ai.request.model': 'm1', 'gen_ai.response.model': 'm1' };
    expect(histogram(all, 'gen_ai.client.operation.time_to_first_chunk', attributes)?.count).toBe(1);
    expect(histogram(all, 'gen_ai.client.operation.time_per_output_chunk', attributes)?.count).toBe(OUTPUT_TOKENS - 1);
    expect(histogram(all, 'gen_ai.client.token.usage', { ...attributes, 'gen_ai.token.type': 'output' })?.sum).toBe(OUTPUT_TOKENS);
    await expectGenAiClientScope(h, `@ryot/ai-sdk@${packageJson.version}`);
  });

  test('reasoning deltas are output chunks; cached and reasoning tokens are counted by category', async () => {
    const h = clientHarness();
    const wrapped = openaiCompatible(h);
    const messages = [
      { role: 'system' as const, content: uniquePrompt(10) },
      { role: 'user' as const, content: uniquePrompt(PROMPT_TOKENS) },
    ];
    const providerOptions = { 'ryot-example': { reasoningEffort: 'medium' } };
    await generateText({ model: wrapped, messages, providerOptions, maxRetries: 0 }); // caches the system prompt on the server
    const result = streamText({ model: wrapped, messages, providerOptions, maxRetries: 0 });
    const kinds: string[] = [];
    for await (const part of result.fullStream) if (part.type === 'text-delta' || part.type === 'reasoning-delta') kinds.push(part.type);
    expect(kinds).toEqual(['reasoning-delta', 'reasoning-delta', 'reasoning-delta', 'reasoning-delta', 'text-delta', 'text-delta']);
    expect(h.summaries.map((s) => [s.streaming, s.contentChunks, s.promptTokens, s.cacheReadTokens, s.reasoningTokens, s.completionTokens])).toEqual([
      [false, 0, 31, 0, 4, OUTPUT_TOKENS],
      [true, OUTPUT_TOKENS, 31, 10, 4, OUTPUT_TOKENS],
    ]);
    const all = await h.metrics();
    expect(value(all, 'ryot_cache_read_tokens', model)).toBe(10);
    expect(value(all, 'ryot_reasoning_tokens', model)).toBe(8);
  });
});

describe('other calls and providers', () => {
  test('generateText: duration, usage and finish reason; no streaming metrics', async () => {
    const h = clientHarness();
    const { text } = await generateText({ model: openaiCompatible(h), prompt: uniquePrompt(PROMPT_TOKENS), maxRetries: 0 });
    expect(text.length).toBeGreaterThan(0);
    expect(h.summaries).toHaveLength(1);
    expect(h.summaries[0]).toMatchObject({ outcome: 'completed', streaming: false, timeToFirstChunk: undefined, promptTokens: PROMPT_TOKENS, completionTokens: OUTPUT_TOKENS, finishReason: 'length' });
    expect(histogram(await h.metrics(), 'ryot_inference_ttft_seconds', model)).toBeUndefined();
  });

  test("generateObject's model call is measured (the AI SDK's own error for a non-JSON answer still reaches the caller)", async () => {
    const h = clientHarness();
    await expect(generateObject({ model: openaiCompatible(h), schema: z.object({ answer: z.string() }), prompt: uniquePrompt(8), maxRetries: 0 })).rejects.toMatchObject({ name: 'AI_NoObjectGeneratedError' });
    expect(h.summaries).toHaveLength(1);
    expect(h.summaries[0]).toMatchObject({ outcome: 'completed', streaming: false, completionTokens: OUTPUT_TOKENS });
  });

  test('the Anthropic provider against /v1/messages: thinking deltas, cache write then read, provider name anthropic', async () => {
    const h = clientHarness();
    const wrapped = anthropic(h);
    const system = uniquePrompt(10);
    const messages = [
      { role: 'system' as const, content: system, providerOptions: { anthropic: { cacheControl: { type: 'ephemeral' } } } },
      { role: 'user' as const, content: uniquePrompt(PROMPT_TOKENS) },
    ];
    const providerOptions = { anthropic: { thinking: { type: 'enabled', budgetTokens: 2 } } };
    for (let i = 0; i < 2; i++) {
      const result = streamText({ model: wrapped, messages, providerOptions, maxOutputTokens: OUTPUT_TOKENS, maxRetries: 0 });
      for await (const part of result.fullStream) void part;
    }
    // @ai-sdk/anthropic adds the thinking budget to max_tokens: 6 + 2 = 8 tokens, the first two thinking deltas.
    const sent = OUTPUT_TOKENS + 2;
    expect(h.summaries.map((s) => [s.providerName, s.outcome, s.contentChunks, s.gaps, s.promptTokens, s.cacheWriteTokens, s.cacheReadTokens, s.completionTokens, s.finishReason])).toEqual([
      ['anthropic', 'completed', sent, sent - 1, 31, 10, 0, sent, 'max_tokens'],
      ['anthropic', 'completed', sent, sent - 1, 31, 0, 10, sent, 'max_tokens'],
    ]);
    const all = await h.metrics();
    expect(value(all, 'ryot_cache_write_tokens', model)).toBe(10);
    expect(value(all, 'ryot_cache_read_tokens', model)).toBe(10);
  });

  test("gen_ai.provider.name maps the AI SDK's provider id to the semconv value (a provider named mistral → mistral_ai)", async () => {
    const h = clientHarness();
    const provider = createOpenAICompatible({ name: 'mistral', baseURL: `${server().url}/v1`, apiKey: 'test-key' });
    const wrapped = wrapLanguageModel({ model: provider.chatModel('m1'), middleware: ryotMiddleware({ ryot: h.api, meterProvider: h.provider, genAiSemconv: true, onRequestEnd: h.onRequestEnd }) });
    await generateText({ model: wrapped, prompt: uniquePrompt(8), maxOutputTokens: 1, maxRetries: 0 });
    expect(h.summaries.map((s) => s.providerName)).toEqual(['mistral_ai']);
    const [duration] = points(await h.metrics(), 'gen_ai.client.operation.duration');
    expect(duration?.attributes['gen_ai.provider.name']).toBe('mistral_ai');
  });

  test('no patching: the provider model the middleware wraps, called without the wrapper, is not measured', async () => {
    const h = clientHarness();
    const base = createOpenAICompatible({ name: 'ryot-example', baseURL: `${server().url}/v1`, apiKey: 'test-key' }).chatModel('m1');
    const wrapped = wrapLanguageModel({ model: base, middleware: ryotMiddleware({ ryot: h.api, onRequestEnd: h.onRequestEnd }) });
    await generateText({ model: wrapped, prompt: uniquePrompt(8), maxOutputTokens: 1, maxRetries: 0 });
    expect(h.summaries).toHaveLength(1);
    await generateText({ model: base, prompt: uniquePrompt(8), maxOutputTokens: 1, maxRetries: 0 });
    expect(h.summaries).toHaveLength(1);
  });

  test('the scope version equals package.json', () => {
    expect(AI_SDK_SCOPE).toEqual({ name: packageJson.name, version: packageJson.version });
  });
});

describe('structured output against a scripted server', () => {
  const schema = z.object({ answer: z.string() });

  test('streamObject: TTFT to the first JSON text delta, one gap per delta after it, usage and finish reason', async () => {
    // Four JSON pieces, then the finish chunk with usage, then [DONE]: one event every STEP_MS, the first STEP_MS in.
    const pieces = ['{"ans', 'wer":"', 'h', 'i"}'];
    const usage = { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 };
    const tiny = await tinyServer((_req, res) => writeSse(res, [...pieces.map((content) => chatChunkEvent({ content })), chatChunkEvent({}, 'stop', { usage }), 'data: [DONE]\n\n'], STEP_MS));
    try {
      const h = clientHarness();
      const result = streamObject({ model: openaiCompatible(h, tiny.url), schema, prompt: 'hi', maxRetries: 0 });
      for await (const partial of result.partialObjectStream) void partial;
      expect(await result.object).toEqual({ answer: 'hi' });
      await expectRecordedOnce(h, { model: 'm1', status: 'success' });
      // 4 text deltas: TTFT is the first one's (STEP_MS after the request), then 4 − 1 = 3 gaps of STEP_MS.
      expect(h.summaries[0]).toMatchObject({ outcome: 'completed', streaming: true, contentChunks: 4, gaps: 3, promptTokens: 12, completionTokens: 4, finishReason: 'stop', responseModel: 'tiny' });
      expectWithin(h.summaries[0]!.timeToFirstChunk, STEP_MS / 1000, TTFT_EARLY_MS, TTFT_LATE_MS);
      const all = await h.metrics();
      expect(histogram(all, 'ryot_inference_ttft_seconds', model)?.count).toBe(1);
      expectGaps(histogram(all, 'ryot_inference_inter_token_latency_seconds', model), 3);
      expect(points(all, 'gen_ai.client.operation.time_to_first_chunk').map((p) => (p.value as { count: number }).count)).toEqual([1]);
      expect(points(all, 'gen_ai.client.operation.time_per_output_chunk').map((p) => (p.value as { count: number }).count)).toEqual([3]);
    } finally {
      await tiny.close();
    }
  });

  test('generateObject: the parsed object reaches the caller; duration, usage and finish reason, no streaming metrics', async () => {
    const tiny = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'c1',
          object: 'chat.completion',
          created: 0,
          model: 'tiny',
          choices: [{ index: 0, message: { role: 'assistant', content: '{"answer":"hi"}' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
        }),
      );
    });
    try {
      const h = clientHarness();
      const { object } = await generateObject({ model: openaiCompatible(h, tiny.url), schema, prompt: 'hi', maxRetries: 0 });
      expect(object).toEqual({ answer: 'hi' });
      await expectRecordedOnce(h, { model: 'm1', status: 'success' });
      expect(h.summaries[0]).toMatchObject({ outcome: 'completed', streaming: false, timeToFirstChunk: undefined, contentChunks: 0, promptTokens: 12, completionTokens: 5, finishReason: 'stop', responseModel: 'tiny' });
      const all = await h.metrics();
      expect(histogram(all, 'ryot_inference_ttft_seconds', model)).toBeUndefined();
      expect(points(all, 'gen_ai.client.operation.time_to_first_chunk')).toEqual([]);
    } finally {
      await tiny.close();
    }
  });
});

describe('tool-call input is output', () => {
  test('streamText with a tool: each tool-input-delta is an output chunk (the head chunk with the name only starts the input)', async () => {
    // Events STEP_MS apart, the first STEP_MS in: head (tool-input-start), then two argument pieces (tool-input-delta).
    const events = chatToolCallEvents('get_weather', ['{"city":', '"Paris"}'], { prompt_tokens: 30, completion_tokens: 9 });
    const tiny = await tinyServer((_req, res) => writeSse(res, events, STEP_MS));
    try {
      const h = clientHarness();
      const tools = { get_weather: tool({ inputSchema: z.object({ city: z.string() }) }) };
      const result = streamText({ model: openaiCompatible(h, tiny.url), tools, prompt: 'hi', maxRetries: 0 });
      for await (const part of result.fullStream) void part;
      expect((await result.toolCalls).map((call) => [call.toolName, call.input])).toEqual([['get_weather', { city: 'Paris' }]]);
      await expectRecordedOnce(h, { model: 'm1', status: 'success' });
      expect(h.summaries[0]).toMatchObject({ outcome: 'completed', contentChunks: 2, gaps: 1, promptTokens: 30, completionTokens: 9, finishReason: 'tool_calls' });
      expectWithin(h.summaries[0]!.timeToFirstChunk, (2 * STEP_MS) / 1000, TTFT_EARLY_MS, TTFT_LATE_MS);
    } finally {
      await tiny.close();
    }
  });
});

describe('outcomes, each recorded once', () => {
  test('the consumer stops reading textStream (break): the AI SDK still reads the model stream to its end → completed', async () => {
    const h = clientHarness();
    const result = streamText({ model: openaiCompatible(h), prompt: uniquePrompt(8), maxOutputTokens: 12, maxRetries: 0 });
    let seen = 0;
    for await (const text of result.textStream) if (text && ++seen === 3) break;
    // streamText keeps consuming the model's stream for result.text, result.usage, …: the model call runs on.
    expect(await result.finishReason).toBe('length');
    await expectRecordedOnce(h, { status: 'success', genAiClient: false });
    expect(h.summaries[0]).toMatchObject({ outcome: 'completed', contentChunks: 12 });
  });

  test('abortSignal aborts mid-stream → aborted', async () => {
    const h = clientHarness();
    const abort = new AbortController();
    const result = streamText({ model: openaiCompatible(h), prompt: uniquePrompt(8), maxOutputTokens: 40, maxRetries: 0, abortSignal: abort.signal, onError: () => undefined });
    let seen = 0;
    for await (const text of result.textStream) if (text && ++seen === 3) abort.abort();
    await expectRecordedOnce(h, { status: 'cancelled', errorType: 'cancelled', genAiClient: false });
    expect(h.summaries[0]).toMatchObject({ outcome: 'aborted' });
  });

  test('HTTP 429 → rate_limit; with maxRetries each attempt the AI SDK makes is one measured call', async () => {
    const tiny = await tinyServer((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'slow down', type: 'rate_limit_error', code: 'rate_limit_exceeded' } }));
    });
    try {
      const h = clientHarness();
      await expect(generateText({ model: openaiCompatible(h, tiny.url), prompt: 'hi', maxRetries: 0 })).rejects.toBeDefined();
      await expectRecordedOnce(h, { status: 'error', errorType: 'rate_limit', genAiClient: false });
      const retried = clientHarness();
      await expect(generateText({ model: openaiCompatible(retried, tiny.url), prompt: 'hi', maxRetries: 1 })).rejects.toBeDefined();
      expect(tiny.requests).toHaveLength(3);
      expect(retried.summaries.map((s) => s.errorType)).toEqual(['rate_limit', 'rate_limit']);
    } finally {
      await tiny.close();
    }
  });

  test('a mid-stream error chunk → errored (the error part fails the request), the stream still ends', async () => {
    const tiny = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 0, model: 'tiny', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
      res.write(chunk('one'));
      setTimeout(() => res.end(`data: ${JSON.stringify({ error: { message: 'overloaded', type: 'rate_limit_error', code: 'rate_limit_exceeded' } })}\n\ndata: [DONE]\n\n`), 20);
    });
    try {
      const h = clientHarness();
      const errors: unknown[] = [];
      const result = streamText({ model: openaiCompatible(h, tiny.url), prompt: 'hi', maxRetries: 0, onError: ({ error }) => void errors.push(error) });
      for await (const part of result.fullStream) void part;
      expect(errors).toHaveLength(1);
      await expectRecordedOnce(h, { status: 'error', errorType: 'rate_limit', genAiClient: false });
      expect(h.summaries[0]).toMatchObject({ outcome: 'errored', contentChunks: 1 });
    } finally {
      await tiny.close();
    }
  });

  test('a dropped connection → errored (connection)', async () => {
    const tiny = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 0, model: 'tiny', choices: [{ index: 0, delta: { content: 'one' }, finish_reason: null }] })}\n\n`);
      setTimeout(() => res.socket?.destroy(), 30);
    });
    try {
      const h = clientHarness();
      const result = streamText({ model: openaiCompatible(h, tiny.url), prompt: 'hi', maxRetries: 0, onError: () => undefined });
      // The source stream errors: the error reaches the consumer unchanged through the middleware.
      await expect(
        (async () => {
          for await (const part of result.fullStream) void part;
        })(),
      ).rejects.toMatchObject({ name: 'AI_APICallError' });
      await expectRecordedOnce(h, { status: 'error', errorType: 'connection', genAiClient: false });
      expect(h.summaries[0]).toMatchObject({ outcome: 'errored', contentChunks: 1 });
    } finally {
      await tiny.close();
    }
  });
});
