import { describe, expect, test } from 'vitest';
import type OpenAI from 'openai';
import { instrumentOpenAI } from '../src/index.js';
import { clientHarness, expectRecordedOnce, histogram, openaiClient, sseChunk, tinyServer, uniquePrompt, useInferenceServer, value, type ClientHarness } from './helpers.js';

const OUTPUT_TOKENS = 12;
const server = useInferenceServer(OUTPUT_TOKENS);

function setup(baseURL = `${server().url}/v1`, maxRetries = 0): { h: ClientHarness; client: OpenAI } {
  const h = clientHarness();
  const client = openaiClient(baseURL, { maxRetries });
  instrumentOpenAI(client, { ryot: h.api, meterProvider: h.provider, genAiSemconv: true, onRequestEnd: h.onRequestEnd });
  return { h, client };
}

describe('outcomes, each recorded once', () => {
  test('break after 3 chunks → aborted (cancelled), the SDK aborts the request', async () => {
    const { h, client } = setup();
    const stream = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: uniquePrompt(8) }], stream: true });
    let seen = 0;
    for await (const chunk of stream) {
      if (++seen === 3) break;
      void chunk;
    }
    expect(stream.controller.signal.aborted).toBe(true);
    await expectRecordedOnce(h, { model: 'm1', status: 'cancelled', errorType: 'cancelled' });
    expect(h.summaries[0]).toMatchObject({ outcome: 'aborted', errorType: 'cancelled', contentChunks: 2 });
    const all = await h.metrics();
    expect(histogram(all, 'ryot_inference_inter_token_latency_seconds', { model: 'm1' })?.count).toBe(1);
  });

  test('stream.controller.abort() mid-stream → aborted', async () => {
    const { h, client } = setup();
    const stream = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: uniquePrompt(8) }], stream: true });
    let contents = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content && ++contents === 4) stream.controller.abort();
    }
    expect(contents).toBe(4);
    await expectRecordedOnce(h, { model: 'm1', status: 'cancelled', errorType: 'cancelled' });
    expect(h.summaries[0]).toMatchObject({ outcome: 'aborted', contentChunks: 4 });
  });

  test('controller.abort() while nobody iterates is recorded at the abort', async () => {
    const { h, client } = setup();
    const stream = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: uniquePrompt(8) }], stream: true });
    stream.controller.abort();
    await expectRecordedOnce(h, { model: 'm1', status: 'cancelled', errorType: 'cancelled' });
  });

  test('the AbortSignal request option aborting mid-stream → aborted', async () => {
    const { h, client } = setup();
    const abort = new AbortController();
    const stream = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: uniquePrompt(8) }], stream: true }, { signal: abort.signal });
    setTimeout(() => abort.abort(), 120);
    let contents = 0;
    try {
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) contents++;
    } catch {
      // Depending on timing the SDK may throw an abort error; either way the outcome is aborted.
    }
    expect(contents).toBeGreaterThan(0);
    expect(contents).toBeLessThan(OUTPUT_TOKENS);
    await expectRecordedOnce(h, { model: 'm1', status: 'cancelled', errorType: 'cancelled' });
    expect(h.summaries[0]!.outcome).toBe('aborted');
  });

  test('a server that drops the connection after two chunks → errored (connection)', async () => {
    const tiny = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sseChunk('one') + sseChunk('two'));
      setTimeout(() => res.socket?.destroy(), 30);
    });
    try {
      const { h, client } = setup(tiny.url);
      const stream = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], stream: true });
      const received: string[] = [];
      const error = await (async () => {
        try {
          for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(received).toEqual(['one', 'two']);
      expect(error).toBeDefined();
      await expectRecordedOnce(h, { model: 'tiny', status: 'error', errorType: 'connection' });
      expect(h.summaries[0]).toMatchObject({ outcome: 'errored', errorType: 'connection', contentChunks: 2 });
    } finally {
      await tiny.close();
    }
  });

  test('HTTP 429 → rate_limit (maxRetries 0)', async () => {
    const tiny = await tinyServer((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'slow down', type: 'rate_limit_error', code: 'rate_limit_exceeded' } }));
    });
    try {
      const { h, client } = setup(tiny.url, 0);
      await expect(client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], stream: true })).rejects.toMatchObject({ status: 429 });
      expect(tiny.requests).toHaveLength(1);
      await expectRecordedOnce(h, { model: 'tiny', status: 'error', errorType: 'rate_limit' });
      expect(h.summaries[0]).toMatchObject({ outcome: 'errored', errorType: 'rate_limit', retries: 0 });
    } finally {
      await tiny.close();
    }
  });

  test('retries the SDK made are counted (x-stainless-retry-count / attempts)', async () => {
    const tiny = await tinyServer((_req, res, index) => {
      if (index < 2) {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after-ms': '10' });
        res.end(JSON.stringify({ error: { message: 'busy' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(sseChunk(undefined) + sseChunk('ok') + 'data: [DONE]\n\n');
    });
    try {
      const { h, client } = setup(tiny.url, 3);
      const stream = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], stream: true });
      for await (const chunk of stream) void chunk;
      expect(tiny.requests.map((r) => r.headers['x-stainless-retry-count'])).toEqual(['0', '1', '2']);
      await expectRecordedOnce(h, { model: 'tiny', status: 'success' });
      expect(h.summaries[0]).toMatchObject({ outcome: 'completed', retries: 2 });
      const all = await h.metrics();
      expect(value(all, 'ryot_inference_retries', { model: 'tiny' })).toBe(2);
    } finally {
      await tiny.close();
    }
  });

  test('malformed SSE lines → errored, thrown to the consumer, never an unhandled rejection', async () => {
    const tiny = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sseChunk('fine'));
      setTimeout(() => res.end('data: {"choices": [{"delta": {"content": "broken"\n\ndata: [DONE]\n\n'), 10);
    });
    try {
      const { h, client } = setup(tiny.url);
      const stream = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], stream: true });
      const received: string[] = [];
      await expect(
        (async () => {
          for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
        })(),
      ).rejects.toBeInstanceOf(SyntaxError);
      expect(received).toEqual(['fine']);
      await expectRecordedOnce(h, { model: 'tiny', status: 'error', errorType: 'unknown' });
      expect(h.summaries[0]!.outcome).toBe('errored');
    } finally {
      await tiny.close();
    }
  });

  test('an unknown model is a 4xx before streaming → invalid_request', async () => {
    const { h, client } = setup();
    await expect(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'hi' }], stream: true })).rejects.toMatchObject({ status: expect.any(Number) });
    await expectRecordedOnce(h, { model: 'nope', status: 'error', errorType: 'invalid_request' });
  });
});
