import { afterEach, describe, expect, it } from 'vitest';
import { post, readSse, sampleValue, startTestServer } from './helpers.js';

let current: Awaited<ReturnType<typeof startTestServer>> | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

const chat = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content: 'hello there' }], ...extra });

describe('example inference server: OpenAI-compatible API', () => {
  it('streams chat chunks, a final usage chunk and [DONE], and records the request', async () => {
    current = await startTestServer();
    const response = await post(`${current.server.url}/v1/chat/completions`, chat('fast', { stream: true, max_tokens: 5, stream_options: { include_usage: true } }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readSse(response);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { object: string; choices: Array<{ delta: { content?: string; role?: string }; finish_reason: string | null }>; usage?: { completion_tokens: number; prompt_tokens: number } });
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const content = chunks.filter((c) => c.choices[0]?.delta.content);
    expect(content).toHaveLength(5);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe('length');
    const usage = chunks.at(-1)!.usage!;
    // 'hello there' is 11 characters → ceil(11/4) = 3 prompt tokens.
    expect(usage).toEqual({ prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 });
    const metrics = await current.metrics();
    expect(sampleValue(metrics, 'ryot_inference_requests_total', { model: 'fast', status: 'success' })).toBe(1);
    expect(sampleValue(metrics, 'ryot_tokens_generated_total', { model: 'fast' })).toBe(5);
    expect(sampleValue(metrics, 'ryot_prompt_tokens_total', { model: 'fast' })).toBe(3);
    expect(sampleValue(metrics, 'ryot_inference_inter_token_latency_seconds_count', { model: 'fast' })).toBe(4);
    expect(sampleValue(metrics, 'ryot_inference_ttft_seconds_count', { model: 'fast' })).toBe(1);
  });

  it('answers non-streaming completions and chat with usage', async () => {
    current = await startTestServer();
    const completion = await (await post(`${current.server.url}/v1/completions`, { model: 'slow', prompt: 'abcdefgh', max_tokens: 3 })).json();
    expect(completion).toMatchObject({ object: 'text_completion', model: 'slow', usage: { prompt_tokens: 2, completion_tokens: 3 } });
    const chatCompletion = await (await post(`${current.server.url}/v1/chat/completions`, chat('slow', { max_tokens: 2 }))).json();
    expect(chatCompletion).toMatchObject({ object: 'chat.completion', choices: [{ message: { role: 'assistant' }, finish_reason: 'length' }] });
    const models = (await (await fetch(`${current.server.url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    expect(models.data.map((m) => m.id)).toEqual(['fast', 'slow']);
    expect((await fetch(`${current.server.url}/healthz`)).status).toBe(200);
  });

  it('rejects bad requests with 4xx JSON errors, counts them, and keeps serving', async () => {
    current = await startTestServer({ maxBodyBytes: 2048 });
    const url = `${current.server.url}/v1/chat/completions`;
    const cases: Array<[unknown, number, string]> = [
      ['{"model": "fast", "messages": [', 400, 'invalid_json'],
      [chat('gpt-imaginary'), 404, 'model_not_found'],
      [chat('fast', { max_tokens: -1 }), 400, 'invalid_value'],
      [chat('fast', { max_tokens: 2.5 }), 400, 'invalid_value'],
      [{ model: 'fast', messages: 'hi' }, 400, 'invalid_value'],
      [chat('fast', { padding: 'x'.repeat(4096) }), 413, 'body_too_large'],
    ];
    for (const [body, status, code] of cases) {
      const response = await post(url, body);
      expect(response.status, code).toBe(status);
      const json = (await response.json()) as { error: { code: string; type: string } };
      expect(json.error.code).toBe(code);
      expect(json.error.type).toBe('invalid_request_error');
    }
    expect((await fetch(url)).status).toBe(405);
    expect((await post(url, chat('fast', { max_tokens: 2 }))).status).toBe(200);
    const metrics = await current.metrics();
    expect(sampleValue(metrics, 'ryot_inference_errors_total', { model: 'unknown', error_type: 'invalid_request' })).toBe(cases.length);
    expect(sampleValue(metrics, 'ryot_inference_requests_total', { model: 'fast', status: 'success' })).toBe(1);
    // The unknown model name never became a label value.
    expect(metrics).not.toContain('gpt-imaginary');
  });

  it('records a client that disconnects mid-stream as cancelled and frees its batch slot', async () => {
    current = await startTestServer();
    const controller = new AbortController();
    const response = await post(`${current.server.url}/v1/chat/completions`, chat('slow', { stream: true, max_tokens: 500 }), { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    await reader.read();
    controller.abort();
    await expect(reader.read()).rejects.toThrow();
    let metrics = '';
    for (let i = 0; i < 50; i++) {
      metrics = await current.metrics();
      if (sampleValue(metrics, 'ryot_inference_requests_total', { model: 'slow', status: 'cancelled' }) === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(sampleValue(metrics, 'ryot_inference_requests_total', { model: 'slow', status: 'cancelled' })).toBe(1);
    expect(sampleValue(metrics, 'ryot_inference_requests_in_flight', { model: 'slow' })).toBe(0);
    expect(current.server.engines.get('slow')!.batchSize).toBe(0);
  });
});
