import { describe, expect, test } from 'vitest';
import { instrumentSseResponse, SseHttpError } from '../src/index.js';
import { sseEvents } from '../src/sse.js';
import { TTFT_EARLY_MS, TTFT_LATE_MS, clientHarness, expectedTtftS, expectGaps, expectWithin, histogram, sleep, sseChunk, tinyServer, total, uniquePrompt, useInferenceServer, value } from './helpers.js';

const OUTPUT_TOKENS = 6;
const PROMPT_TOKENS = 20;
const server = useInferenceServer(OUTPUT_TOKENS, {
  // Warm-up (connection, JIT).
  async warmUp(started) {
    for await (const chunk of instrumentSseResponse(post(started.url, uniquePrompt(4)), { model: 'm1', ryot: clientHarness().api })) void chunk;
  },
});

function post(base: string, prompt: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: prompt }], stream: true, stream_options: { include_usage: true } }),
    ...init,
  });
}

interface Chunk {
  choices: Array<{ delta: { content?: string } }>;
}

describe('instrumentSseResponse (no SDK)', () => {
  test('TTFT from the call, every gap, usage tokens, completed', async () => {
    const h = clientHarness();
    const chunks = instrumentSseResponse<Chunk>(post(server().url, uniquePrompt(PROMPT_TOKENS)), { model: 'm1', ryot: h.api, meterProvider: h.provider, genAiSemconv: true, url: server().url, onRequestEnd: h.onRequestEnd });
    let contents = 0;
    for await (const chunk of chunks) if (chunk.choices[0]?.delta.content) contents++;
    expect(contents).toBe(OUTPUT_TOKENS);
    const summary = h.summaries[0]!;
    expect(summary).toMatchObject({ outcome: 'completed', contentChunks: OUTPUT_TOKENS, promptTokens: PROMPT_TOKENS, completionTokens: OUTPUT_TOKENS, finishReason: 'length' });
    expectWithin(summary.timeToFirstChunk, expectedTtftS(PROMPT_TOKENS), TTFT_EARLY_MS, TTFT_LATE_MS);
    expect(summary.minGap!).toBeGreaterThan(0);
    const all = await h.metrics();
    expect(value(all, 'ryot_inference_requests', { model: 'm1', status: 'success' })).toBe(1);
    expectGaps(histogram(all, 'ryot_inference_inter_token_latency_seconds', { model: 'm1' }), OUTPUT_TOKENS - 1);
    expect(value(all, 'ryot_tokens_generated', { model: 'm1' })).toBe(OUTPUT_TOKENS);
    const perChunk = all.find((m) => m.descriptor.name === 'gen_ai.client.operation.time_per_output_chunk')!.dataPoints[0]!;
    expect(perChunk.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm1', 'server.address': '127.0.0.1', 'server.port': server().port });
  });

  test('toReadableStream() passes the parsed chunks through', async () => {
    const h = clientHarness();
    const readable = instrumentSseResponse<Chunk>(post(server().url, uniquePrompt(8)), { model: 'm1', ryot: h.api, onRequestEnd: h.onRequestEnd }).toReadableStream();
    const reader = readable.getReader();
    let count = 0;
    for (let r = await reader.read(); !r.done; r = await reader.read()) if (r.value.choices[0]?.delta.content) count++;
    expect(count).toBe(OUTPUT_TOKENS);
    expect(h.summaries[0]!.outcome).toBe('completed');
  });

  test('break → aborted once; AbortSignal → aborted once', async () => {
    const h = clientHarness();
    let n = 0;
    for await (const chunk of instrumentSseResponse<Chunk>(post(server().url, uniquePrompt(8)), { model: 'm1', ryot: h.api, onRequestEnd: h.onRequestEnd })) {
      void chunk;
      if (++n === 3) break;
    }
    const abort = new AbortController();
    const aborted = instrumentSseResponse<Chunk>(post(server().url, uniquePrompt(8), { signal: abort.signal }), { model: 'm1', ryot: h.api, signal: abort.signal, onRequestEnd: h.onRequestEnd });
    setTimeout(() => abort.abort(), 100);
    await expect(
      (async () => {
        for await (const chunk of aborted) void chunk;
      })(),
    ).rejects.toMatchObject({ name: 'AbortError' });
    await sleep(20);
    expect(h.summaries.map((s) => s.outcome)).toEqual(['aborted', 'aborted']);
    const all = await h.metrics();
    expect(value(all, 'ryot_inference_requests', { model: 'm1', status: 'cancelled' })).toBe(2);
    expect(total(all, 'ryot_inference_requests')).toBe(2);
  });

  test('malformed lines → errored, thrown from the iteration, no unhandled rejection', async () => {
    const tiny = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(sseChunk('ok') + 'data: {not json\n\n' + 'data: [DONE]\n\n');
    });
    try {
      const h = clientHarness();
      const chunks = instrumentSseResponse<Chunk>(fetch(`${tiny.url}/chat/completions`, { method: 'POST' }), { model: 'tiny', ryot: h.api, onRequestEnd: h.onRequestEnd });
      const seen: string[] = [];
      await expect(
        (async () => {
          for await (const chunk of chunks) seen.push(chunk.choices[0]?.delta.content ?? '');
        })(),
      ).rejects.toBeInstanceOf(SyntaxError);
      expect(seen).toEqual(['ok']);
      expect(h.summaries).toHaveLength(1);
      expect(h.summaries[0]).toMatchObject({ outcome: 'errored', errorType: 'unknown' });
    } finally {
      await tiny.close();
    }
  });

  test('HTTP 429 → rate_limit, recorded even if nobody iterates; a failed fetch → connection', async () => {
    const tiny = await tinyServer((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"slow down"}}');
    });
    try {
      const h = clientHarness();
      instrumentSseResponse(fetch(`${tiny.url}/chat/completions`, { method: 'POST' }), { model: 'tiny', ryot: h.api, onRequestEnd: h.onRequestEnd });
      const iterated = instrumentSseResponse(fetch(`${tiny.url}/chat/completions`, { method: 'POST' }), { model: 'tiny', ryot: h.api, onRequestEnd: h.onRequestEnd });
      await expect(
        (async () => {
          for await (const chunk of iterated) void chunk;
        })(),
      ).rejects.toBeInstanceOf(SseHttpError);
      await sleep(20);
      expect(h.summaries.map((s) => s.errorType)).toEqual(['rate_limit', 'rate_limit']);
    } finally {
      await tiny.close();
    }
    const h = clientHarness();
    instrumentSseResponse(fetch(`${tiny.url}/chat/completions`, { method: 'POST' }), { model: 'tiny', ryot: h.api, onRequestEnd: h.onRequestEnd });
    await sleep(100);
    expect(h.summaries.map((s) => s.errorType)).toEqual(['connection']);
  });
});

describe('SSE decoding', () => {
  function bodyOf(parts: string[]): ReadableStream<Uint8Array> {
    const encoder = new TextEncoder();
    return new ReadableStream({
      start(controller) {
        for (const part of parts) controller.enqueue(encoder.encode(part));
        controller.close();
      },
    });
  }

  test('events split across reads, CRLF and CR line ends, comments, multi-line data, a last event without a blank line', async () => {
    const text = ': comment\r\ndata: {"a":1}\r\n\r\nevent: x\ndata: line1\ndata: line2\n\ndata:{"b":2}\r\rdata: tail';
    const split = text.split('');
    const events = [];
    for await (const event of sseEvents(bodyOf(split))) events.push(event);
    expect(events).toEqual([
      { event: undefined, data: '{"a":1}' },
      { event: 'x', data: 'line1\nline2' },
      { event: undefined, data: '{"b":2}' },
      { event: undefined, data: 'tail' },
    ]);
  });
});
