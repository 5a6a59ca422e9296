import { describe, expect, test } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { instrumentAnthropic } from '../src/index.js';
import { STEP_MS, TTFT_EARLY_MS, TTFT_LATE_MS, clientHarness, expectRecordedOnce, expectWithin, tinyServer, uniquePrompt, useInferenceServer, value, writeSse, type ClientHarness } from '../../../test/helpers/clients.js';

const MAX_TOKENS = 12;
const server = useInferenceServer(MAX_TOKENS);

function setup(baseURL = server().url, maxRetries = 0): { h: ClientHarness; client: Anthropic } {
  const h = clientHarness();
  const client = new Anthropic({ apiKey: 'test-key', baseURL, maxRetries, timeout: 10_000 });
  instrumentAnthropic(client, { ryot: h.api, meterProvider: h.provider, genAiSemconv: true, onRequestEnd: h.onRequestEnd });
  return { h, client };
}

/** The tiny server's URL without /v1: the Anthropic SDK adds /v1/messages itself. */
const root = (url: string) => url.replace(/\/v1$/, '');

function event(name: string, data: Record<string, unknown>): string {
  return `event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`;
}

const START = event('message_start', { message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'tiny', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 7, output_tokens: 1 } } });
const BLOCK = event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
const delta = (text: string) => event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });

describe('outcomes, each recorded once', () => {
  test('break after three events → aborted (cancelled), the SDK aborts the request', async () => {
    const { h, client } = setup();
    const stream = await client.messages.create({ model: 'm1', max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: uniquePrompt(8) }], stream: true });
    let deltas = 0;
    for await (const e of stream) if (e.type === 'content_block_delta' && ++deltas === 3) break;
    expect(stream.controller.signal.aborted).toBe(true);
    await expectRecordedOnce(h, { model: 'm1', status: 'cancelled', errorType: 'cancelled' });
    expect(h.summaries[0]).toMatchObject({ outcome: 'aborted', contentChunks: 3, gaps: 2 });
  });

  test('MessageStream.abort() mid-stream → aborted', async () => {
    const { h, client } = setup();
    const messageStream = client.messages.stream({ model: 'm1', max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: uniquePrompt(8) }] });
    let texts = 0;
    messageStream.on('text', () => {
      if (++texts === 4) messageStream.abort();
    });
    await expect(messageStream.finalMessage()).rejects.toThrow();
    expect(texts).toBe(4);
    await expectRecordedOnce(h, { model: 'm1', status: 'cancelled', errorType: 'cancelled' });
    expect(h.summaries[0]).toMatchObject({ outcome: 'aborted', contentChunks: 4 });
  });

  test('a server that drops the connection mid-stream → errored (connection)', async () => {
    const tiny = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(START + BLOCK + delta('one') + delta('two'));
      setTimeout(() => res.socket?.destroy(), 30);
    });
    try {
      const { h, client } = setup(root(tiny.url));
      const stream = await client.messages.create({ model: 'tiny', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }], stream: true });
      const texts: string[] = [];
      await expect(
        (async () => {
          for await (const e of stream) if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') texts.push(e.delta.text);
        })(),
      ).rejects.toBeDefined();
      expect(texts).toEqual(['one', 'two']);
      await expectRecordedOnce(h, { model: 'tiny', status: 'error', errorType: 'connection' });
      expect(h.summaries[0]).toMatchObject({ outcome: 'errored', contentChunks: 2, promptTokens: 7 });
    } finally {
      await tiny.close();
    }
  });

  test('a mid-stream error event (overloaded_error) → errored, rate_limit; thrown to the consumer', async () => {
    const tiny = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(START + BLOCK + delta('one'));
      setTimeout(() => res.end(event('error', { error: { type: 'overloaded_error', message: 'Overloaded' } })), 20);
    });
    try {
      const { h, client } = setup(root(tiny.url));
      const stream = await client.messages.create({ model: 'tiny', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }], stream: true });
      await expect(
        (async () => {
          for await (const e of stream) void e;
        })(),
      ).rejects.toMatchObject({ type: 'overloaded_error' });
      await expectRecordedOnce(h, { model: 'tiny', status: 'error', errorType: 'rate_limit' });
      expect(h.summaries[0]).toMatchObject({ outcome: 'errored', errorType: 'rate_limit', contentChunks: 1 });
    } finally {
      await tiny.close();
    }
  });

  test('HTTP 429 → rate_limit (maxRetries 0)', async () => {
    const tiny = await tinyServer((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }));
    });
    try {
      const { h, client } = setup(root(tiny.url));
      await expect(client.messages.create({ model: 'tiny', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }], stream: true })).rejects.toMatchObject({ status: 429 });
      expect(tiny.requests).toHaveLength(1);
      await expectRecordedOnce(h, { model: 'tiny', status: 'error', errorType: 'rate_limit' });
    } finally {
      await tiny.close();
    }
  });

  test('two 529 (overloaded) answers retried by the SDK, then success: retries 2, outcome completed', async () => {
    const tiny = await tinyServer((_req, res, index) => {
      if (index < 2) {
        res.writeHead(529, { 'content-type': 'application/json', 'retry-after-ms': '10' });
        res.end(JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(START + BLOCK + delta('ok') + event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 1 } }) + event('message_stop', {}));
    });
    try {
      const { h, client } = setup(root(tiny.url), 3);
      const stream = await client.messages.create({ model: 'tiny', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }], stream: true });
      for await (const e of stream) void e;
      expect(tiny.requests.map((r) => r.headers['x-stainless-retry-count'])).toEqual(['0', '1', '2']);
      await expectRecordedOnce(h, { model: 'tiny', status: 'success' });
      expect(h.summaries[0]).toMatchObject({ outcome: 'completed', retries: 2, finishReason: 'end_turn', promptTokens: 7, completionTokens: 1 });
      expect(value(await h.metrics(), 'ryot_inference_retries', { model: 'tiny' })).toBe(2);
    } finally {
      await tiny.close();
    }
  });

  test('529 with retries exhausted → rate_limit', async () => {
    const tiny = await tinyServer((_req, res) => {
      res.writeHead(529, { 'content-type': 'application/json', 'retry-after-ms': '5' });
      res.end(JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
    });
    try {
      const { h, client } = setup(root(tiny.url), 1);
      await expect(client.messages.create({ model: 'tiny', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 529 });
      await expectRecordedOnce(h, { model: 'tiny', status: 'error', errorType: 'rate_limit' });
      expect(h.summaries[0]).toMatchObject({ retries: 1 });
    } finally {
      await tiny.close();
    }
  });

  test('an unknown model is a 4xx before streaming → invalid_request', async () => {
    const { h, client } = setup();
    await expect(client.messages.create({ model: 'nope', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }], stream: true })).rejects.toMatchObject({ status: 404 });
    await expectRecordedOnce(h, { model: 'nope', status: 'error', errorType: 'invalid_request' });
  });
});

describe('tool-use input is output', () => {
  test('input_json_delta: each non-empty piece is an output chunk; the block start and the empty first piece are not', async () => {
    const json = (partial: string) => event('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: partial } });
    const events = [
      START,
      event('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} } }),
      json(''),
      json('{"city":'),
      json('"Paris"}'),
      event('content_block_stop', { index: 0 }),
      event('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 9 } }),
      event('message_stop', {}),
    ];
    // One event every STEP_MS, the first STEP_MS in: the first non-empty piece (the 4th event) comes 4 × STEP_MS in.
    const tiny = await tinyServer((_req, res) => writeSse(res, events, STEP_MS));
    try {
      const { h, client } = setup(root(tiny.url));
      const tools = [{ name: 'get_weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } }];
      const message = await client.messages.stream({ model: 'tiny', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }], tools }).finalMessage();
      expect(message.content[0]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
      await expectRecordedOnce(h, { model: 'tiny', status: 'success' });
      expect(h.summaries[0]).toMatchObject({ outcome: 'completed', contentChunks: 2, gaps: 1, promptTokens: 7, completionTokens: 9, finishReason: 'tool_use' });
      expectWithin(h.summaries[0]!.timeToFirstChunk, (4 * STEP_MS) / 1000, TTFT_EARLY_MS, TTFT_LATE_MS);
    } finally {
      await tiny.close();
    }
  });
});
