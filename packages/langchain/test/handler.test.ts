import { describe, expect, test } from 'vitest';
import { AzureChatOpenAI, ChatOpenAI, OpenAI } from '@langchain/openai';
import { ChatAnthropic } from '@langchain/anthropic';
import { RyotCallbackHandler, type RyotCallbackHandlerOptions } from '../src/index.js';
import { LANGCHAIN_SCOPE } from '../src/version.js';
import packageJson from '../package.json' with { type: 'json' };
import {
  STEP_MS,
  TTFT_EARLY_MS,
  TTFT_LATE_MS,
  chatToolCallEvents,
  clientHarness,
  expectedTtftS,
  expectGenAiClientScope,
  expectGaps,
  expectWithin,
  histogram,
  points,
  sleep,
  tinyServer,
  total,
  uniquePrompt,
  useInferenceServer,
  value,
  writeSse,
  type ClientHarness,
} from '../../../test/helpers/clients.js';

const OUTPUT_TOKENS = 6;
const PROMPT_TOKENS = 20;
const EXPECTED_TTFT_S = expectedTtftS(PROMPT_TOKENS);
const model = { model: 'm1' };
const server = useInferenceServer(OUTPUT_TOKENS);

function handler(h: ClientHarness, extra: RyotCallbackHandlerOptions = {}): RyotCallbackHandler {
  return new RyotCallbackHandler({ ryot: h.api, meterProvider: h.provider, genAiSemconv: true, onRequestEnd: h.onRequestEnd, ...extra });
}

const chatOpenAI = (baseURL = `${server().url}/v1`, extra: Record<string, unknown> = {}) =>
  new ChatOpenAI({ model: 'm1', apiKey: 'test-key', configuration: { baseURL }, maxRetries: 0, ...extra });

describe('ChatOpenAI against the example server', () => {
  test('.stream(): TTFT, every gap, usage from usage_metadata, finish reason, recorded once', async () => {
    const h = clientHarness();
    const stream = await chatOpenAI().stream(uniquePrompt(PROMPT_TOKENS), { callbacks: [handler(h)] });
    let texts = 0;
    for await (const chunk of stream) if (typeof chunk.content === 'string' && chunk.content) texts++;
    expect(texts).toBe(OUTPUT_TOKENS);
    await sleep(10);
    expect(h.summaries).toHaveLength(1);
    expect(h.summaries[0]).toMatchObject({ outcome: 'completed', streaming: true, providerName: 'openai', requestModel: 'm1', responseModel: 'm1', contentChunks: OUTPUT_TOKENS, gaps: OUTPUT_TOKENS - 1, promptTokens: PROMPT_TOKENS, completionTokens: OUTPUT_TOKENS, finishReason: 'length' });
    expectWithin(h.summaries[0]!.timeToFirstChunk, EXPECTED_TTFT_S, TTFT_EARLY_MS, TTFT_LATE_MS);
    const all = await h.metrics();
    const ttft = histogram(all, 'ryot_inference_ttft_seconds', model)!;
    expect(ttft.count).toBe(1);
    expectWithin(ttft.sum, EXPECTED_TTFT_S, TTFT_EARLY_MS, TTFT_LATE_MS);
    expectGaps(histogram(all, 'ryot_inference_inter_token_latency_seconds', model), OUTPUT_TOKENS - 1);
    expect(value(all, 'ryot_prompt_tokens', model)).toBe(PROMPT_TOKENS);
    // LangChain hands over the response model only at the end, after the chunk metrics: no gen_ai.response.model.
    const attributes = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'm1' };
    expect(histogram(all, 'gen_ai.client.operation.time_per_output_chunk', attributes)?.count).toBe(OUTPUT_TOKENS - 1);
    await expectGenAiClientScope(h, `@ryot/langchain@${packageJson.version}`);
  });

  test('without usage in the stream (streamUsage: false): output tokens are the tokens counted, no prompt tokens', async () => {
    const h = clientHarness();
    const stream = await chatOpenAI(undefined, { streamUsage: false }).stream(uniquePrompt(8), { callbacks: [handler(h)] });
    for await (const chunk of stream) void chunk;
    await sleep(10);
    expect(h.summaries[0]).toMatchObject({ outcome: 'completed', contentChunks: OUTPUT_TOKENS, promptTokens: undefined, completionTokens: undefined });
    const all = await h.metrics();
    expect(value(all, 'ryot_tokens_generated', model)).toBe(OUTPUT_TOKENS);
    expect(value(all, 'ryot_prompt_tokens', model)).toBeUndefined();
  });

  test('.invoke(): duration and usage, reasoning and cached tokens by category', async () => {
    const h = clientHarness();
    // ChatOpenAI sends reasoning settings only for reasoning models; the example server scripts them from reasoning_effort.
    const chat = chatOpenAI(undefined, { modelKwargs: { reasoning_effort: 'medium' } });
    const messages = [
      { role: 'system', content: uniquePrompt(10) },
      { role: 'user', content: uniquePrompt(PROMPT_TOKENS) },
    ];
    await chat.invoke(messages, { callbacks: [handler(h)] });
    await chat.invoke(messages, { callbacks: [handler(h)] });
    expect(h.summaries.map((s) => [s.outcome, s.streaming, s.promptTokens, s.cacheReadTokens, s.reasoningTokens, s.completionTokens])).toEqual([
      ['completed', false, 31, undefined, 4, OUTPUT_TOKENS], // no cached tokens: LangChain leaves cache_read out
      ['completed', false, 31, 10, 4, OUTPUT_TOKENS],
    ]);
    const all = await h.metrics();
    expect(value(all, 'ryot_reasoning_tokens', model)).toBe(8);
    expect(value(all, 'ryot_cache_read_tokens', model)).toBe(10);
  });
  test('.stream() with reasoning_content deltas: each is an output chunk (TTFT to the first), then the text', async () => {
    const h = clientHarness();
    const chat = chatOpenAI(undefined, { modelKwargs: { reasoning_effort: 'medium' } });
    const kinds: string[] = [];
    for await (const chunk of await chat.stream(uniquePrompt(PROMPT_TOKENS), { callbacks: [handler(h)] })) {
      if (chunk.additional_kwargs['reasoning_content']) kinds.push('reasoning');
      else if (chunk.content) kinds.push('text');
    }
    // 'medium' scripts 4 reasoning tokens out of the 6.
    expect(kinds).toEqual(['reasoning', 'reasoning', 'reasoning', 'reasoning', 'text', 'text']);
    await sleep(10);
    expect(h.summaries).toHaveLength(1);
    expect(h.summaries[0]).toMatchObject({ outcome: 'completed', contentChunks: OUTPUT_TOKENS, gaps: OUTPUT_TOKENS - 1, reasoningTokens: 4, completionTokens: OUTPUT_TOKENS });
    expectWithin(h.summaries[0]!.timeToFirstChunk, EXPECTED_TTFT_S, TTFT_EARLY_MS, TTFT_LATE_MS);
  });
});

describe('a text-completion LLM (OpenAI from @langchain/openai): handleLLMStart', () => {
  const llm = (baseURL = `${server().url}/v1`) => new OpenAI({ model: 'm1', apiKey: 'test-key', configuration: { baseURL }, maxRetries: 0 });

  test('.invoke(): operation text_completion; usage from llmOutput.tokenUsage (the LLM result has no message, so no usage_metadata)', async () => {
    // LangChain's OpenAI LLM sends `prompt` as an array, which the example server refuses: a scripted answer instead.
    const tiny = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'cmpl1', object: 'text_completion', created: 0, model: 'tiny', choices: [{ index: 0, text: 'hello there', finish_reason: 'length', logprobs: null }], usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 } }));
    });
    try {
      const h = clientHarness();
      expect(await llm(tiny.url).invoke('hi', { callbacks: [handler(h)] })).toBe('hello there');
      await sleep(10);
      expect(h.summaries).toHaveLength(1);
      expect(h.summaries[0]).toMatchObject({ operation: 'text_completion', outcome: 'completed', streaming: false, requestModel: 'm1', timeToFirstChunk: undefined, contentChunks: 0, promptTokens: 12, completionTokens: 5, finishReason: 'length' });
      // LangChain's LLMs (unlike its chat models) send no ls_provider metadata: the provider is 'unknown' unless providerName says.
      expect(h.summaries[0]!.providerName).toBe('unknown');
      const all = await h.metrics();
      expect(value(all, 'ryot_prompt_tokens', model)).toBe(12);
      expect(value(all, 'ryot_tokens_generated', model)).toBe(5);
      expect(histogram(all, 'gen_ai.client.operation.duration', { 'gen_ai.operation.name': 'text_completion', 'gen_ai.provider.name': 'unknown', 'gen_ai.system': 'unknown', 'gen_ai.request.model': 'm1' })?.count).toBe(1);
      expect(histogram(all, 'ryot_inference_ttft_seconds', model)).toBeUndefined();
    } finally {
      await tiny.close();
    }
  });

  test('.stream(): TTFT and every gap from the text tokens', async () => {
    const h = clientHarness();
    let texts = 0;
    for await (const text of await llm().stream(uniquePrompt(PROMPT_TOKENS), { callbacks: [handler(h)] })) if (text) texts++;
    expect(texts).toBe(OUTPUT_TOKENS);
    await sleep(10);
    expect(h.summaries).toHaveLength(1);
    expect(h.summaries[0]).toMatchObject({ operation: 'text_completion', outcome: 'completed', streaming: true, contentChunks: OUTPUT_TOKENS, gaps: OUTPUT_TOKENS - 1 });
    expectWithin(h.summaries[0]!.timeToFirstChunk, EXPECTED_TTFT_S, TTFT_EARLY_MS, TTFT_LATE_MS);
    const all = await h.metrics();
    expectGaps(histogram(all, 'ryot_inference_inter_token_latency_seconds', model), OUTPUT_TOKENS - 1);
    expect(value(all, 'ryot_tokens_generated', model)).toBe(OUTPUT_TOKENS);
  });
});

describe('tool-call input is output', () => {
  test('ChatOpenAI with a bound tool: each chunk with tool_call_chunks is an output chunk (empty token text)', async () => {
    // Events STEP_MS apart, the first STEP_MS in: the head (name) and two argument pieces carry tool_call_chunks.
    const tiny = await tinyServer((_req, res) => writeSse(res, chatToolCallEvents('get_weather', ['{"city":', '"Paris"}'], { prompt_tokens: 30, completion_tokens: 9 }), STEP_MS));
    try {
      const h = clientHarness();
      const chat = chatOpenAI(tiny.url).bindTools([{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }]);
      let final: Awaited<ReturnType<typeof chat.invoke>> | undefined;
      for await (const chunk of await chat.stream('hi', { callbacks: [handler(h)] })) final = final === undefined ? chunk : final.concat(chunk);
      expect(final?.tool_calls?.map((call) => [call.name, call.args])).toEqual([['get_weather', { city: 'Paris' }]]);
      await sleep(10);
      expect(h.summaries).toHaveLength(1);
      expect(h.summaries[0]).toMatchObject({ outcome: 'completed', contentChunks: 3, gaps: 2, promptTokens: 30, completionTokens: 9, finishReason: 'tool_calls' });
      expectWithin(h.summaries[0]!.timeToFirstChunk, STEP_MS / 1000, TTFT_EARLY_MS, TTFT_LATE_MS);
    } finally {
      await tiny.close();
    }
  });
});

describe('ChatAnthropic against /v1/messages', () => {
  test('.stream(): TTFT, gaps, usage with cache write and read from usage_metadata, stop_reason and model, provider anthropic', async () => {
    const h = clientHarness();
    const chat = new ChatAnthropic({ model: 'm1', apiKey: 'test-key', anthropicApiUrl: server().url, maxRetries: 0, maxTokens: OUTPUT_TOKENS });
    const system = uniquePrompt(10);
    const messages = [
      { role: 'system', content: [{ type: 'text', text: system, cache_control: { type: 'ephemeral' } }] },
      { role: 'user', content: uniquePrompt(PROMPT_TOKENS) },
    ];
    for (let i = 0; i < 2; i++) {
      const stream = await chat.stream(messages, { callbacks: [handler(h)] });
      for await (const chunk of stream) void chunk;
    }
    await sleep(10);
    // Usage is what LangChain reports: its streamed usage_metadata adds message_start's output_tokens (1) to
    // message_delta's final count (6), so output is 7 where the API said 6 (the handler reports what it is given).
    const langchainOutput = OUTPUT_TOKENS + 1;
    expect(h.summaries.map((s) => [s.providerName, s.outcome, s.contentChunks, s.gaps, s.promptTokens, s.cacheWriteTokens, s.cacheReadTokens, s.completionTokens, s.finishReason, s.responseModel])).toEqual([
      ['anthropic', 'completed', OUTPUT_TOKENS, OUTPUT_TOKENS - 1, 31, 10, 0, langchainOutput, 'max_tokens', 'm1'],
      ['anthropic', 'completed', OUTPUT_TOKENS, OUTPUT_TOKENS - 1, 31, 0, 10, langchainOutput, 'max_tokens', 'm1'],
    ]);
  });

  test('.stream() with thinking: non-empty thinking deltas are output chunks (TTFT to the first), signature and empty blocks are not', async () => {
    const h = clientHarness();
    const chat = new ChatAnthropic({ model: 'm1', apiKey: 'test-key', anthropicApiUrl: server().url, maxRetries: 0, maxTokens: OUTPUT_TOKENS, thinking: { type: 'enabled', budget_tokens: 2 } });
    const blocks: string[] = [];
    for await (const chunk of await chat.stream(uniquePrompt(PROMPT_TOKENS), { callbacks: [handler(h)] })) {
      for (const block of Array.isArray(chunk.content) ? (chunk.content as Array<{ type: string; thinking?: string; text?: string }>) : []) if (block.thinking || block.text) blocks.push(block.type);
    }
    // The engine's first two tokens are thinking, then a signature, then four text tokens.
    expect(blocks).toEqual(['thinking', 'thinking', 'text', 'text', 'text', 'text']);
    await sleep(10);
    expect(h.summaries).toHaveLength(1);
    expect(h.summaries[0]).toMatchObject({ outcome: 'completed', contentChunks: OUTPUT_TOKENS, gaps: OUTPUT_TOKENS - 1, finishReason: 'max_tokens', responseModel: 'm1' });
    expectWithin(h.summaries[0]!.timeToFirstChunk, EXPECTED_TTFT_S, TTFT_EARLY_MS, TTFT_LATE_MS);
    expectGaps(histogram(await h.metrics(), 'ryot_inference_inter_token_latency_seconds', model), OUTPUT_TOKENS - 1);
  });
});

describe('outcomes', () => {
  test('HTTP 429 → handleLLMError → rate_limit, once', async () => {
    const tiny = await tinyServer((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'slow down', type: 'rate_limit_error', code: 'rate_limit_exceeded' } }));
    });
    try {
      const h = clientHarness();
      await expect(chatOpenAI(tiny.url).invoke('hi', { callbacks: [handler(h)] })).rejects.toBeDefined();
      await sleep(10);
      expect(h.summaries).toHaveLength(1);
      expect(h.summaries[0]).toMatchObject({ outcome: 'errored', errorType: 'rate_limit' });
      const all = await h.metrics();
      expect(total(all, 'ryot_inference_errors', { error_type: 'rate_limit' })).toBe(1);
      expect(total(all, 'ryot_inference_requests_in_flight')).toBe(0);
    } finally {
      await tiny.close();
    }
  });

  test('an AbortSignal aborting mid-stream → cancelled', async () => {
    const h = clientHarness();
    const abort = new AbortController();
    const stream = await chatOpenAI(undefined, { maxTokens: 40 }).stream(uniquePrompt(8), { callbacks: [handler(h)], signal: abort.signal });
    let seen = 0;
    await expect(
      (async () => {
        for await (const chunk of stream) if (chunk.content && ++seen === 3) abort.abort();
      })(),
    ).rejects.toBeDefined();
    await sleep(20);
    expect(h.summaries).toHaveLength(1);
    expect(h.summaries[0]).toMatchObject({ outcome: 'aborted', errorType: 'cancelled' });
  });

  test('a run LangChain never ends (a consumer that breaks out of .stream()) is ended as cancelled past maxOpenRuns', async () => {
    const h = clientHarness();
    const callbacks = [handler(h, { maxOpenRuns: 1 })];
    const first = await chatOpenAI(undefined, { maxTokens: 40 }).stream(uniquePrompt(8), { callbacks });
    for await (const chunk of first) if (chunk.content) break;
    await sleep(20);
    expect(h.summaries).toHaveLength(0); // LangChain called neither handleLLMEnd nor handleLLMError
    expect(callbacks[0]!.openRuns).toBe(1);
    const second = await chatOpenAI().stream(uniquePrompt(8), { callbacks });
    for await (const chunk of second) void chunk;
    await sleep(10);
    expect(h.summaries.map((s) => s.outcome)).toEqual(['aborted', 'completed']);
    expect(callbacks[0]!.openRuns).toBe(0);
  });

  test("gen_ai.provider.name maps LangChain's ls_provider to the semconv value (AzureChatOpenAI: azure → azure.ai.openai)", async () => {
    const tiny = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', created: 0, model: 'tiny', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }));
    });
    try {
      const h = clientHarness();
      const chat = new AzureChatOpenAI({ model: 'm1', azureOpenAIApiKey: 'test-key', azureOpenAIEndpoint: tiny.url.replace(/\/v1$/, ''), azureOpenAIApiDeploymentName: 'm1', azureOpenAIApiVersion: '2024-10-21', maxRetries: 0 });
      expect((await chat.invoke('hi', { callbacks: [handler(h)] })).content).toBe('ok');
      expect(tiny.requests.map((r) => r.url?.split('?')[0])).toEqual(['/openai/deployments/m1/chat/completions']);
      await sleep(10);
      expect(h.summaries.map((s) => s.providerName)).toEqual(['azure.ai.openai']);
      const [duration] = points(await h.metrics(), 'gen_ai.client.operation.duration');
      expect(duration?.attributes['gen_ai.provider.name']).toBe('azure.ai.openai');
    } finally {
      await tiny.close();
    }
  });

  test('no patching: a run of the same model without the handler in its callbacks is not measured', async () => {
    const h = clientHarness();
    const chat = chatOpenAI(undefined, { maxTokens: 1 });
    await chat.invoke(uniquePrompt(8), { callbacks: [handler(h)] });
    await chat.invoke(uniquePrompt(8));
    await sleep(10);
    expect(h.summaries).toHaveLength(1);
  });

  test('retries are not visible: LangChain retries inside one run, so a 503 then a success is one completed run, retries 0', async () => {
    const tiny = await tinyServer((_req, res, index) => {
      if (index === 0) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'busy' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', created: 0, model: 'tiny', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }));
    });
    try {
      const h = clientHarness();
      const answer = await chatOpenAI(tiny.url, { maxRetries: 1 }).invoke('hi', { callbacks: [handler(h)] });
      expect(answer.content).toBe('ok');
      // Two first attempts as far as the OpenAI SDK knows: LangChain's own caller made the retry.
      expect(tiny.requests.map((r) => r.headers['x-stainless-retry-count'])).toEqual(['0', '0']);
      await sleep(10);
      expect(h.summaries).toHaveLength(1);
      expect(h.summaries[0]).toMatchObject({ outcome: 'completed', retries: 0 });
      expect(total(await h.metrics(), 'ryot_inference_retries')).toBe(0);
    } finally {
      await tiny.close();
    }
  });

  test('the scope version equals package.json', () => {
    expect(LANGCHAIN_SCOPE).toEqual({ name: packageJson.name, version: packageJson.version });
  });
});
