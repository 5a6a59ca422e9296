/**
 * What the example server adds for issue 16: the engine's phases and preemptions, goodput against the declared
 * targets, the bill of what it reports to clients, and tenants from API keys.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parseExposition } from '@ryot/metrics/testing';
import { post, sampleValue, startTestServer, testModel } from './helpers.js';

let current: Awaited<ReturnType<typeof startTestServer>> | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

const MiB = 1024 * 1024;
const chat = (model: string, content: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content }], ...extra });

describe('the example server accounts for its work', () => {
  it('bills exactly the usage it reports to the client, by token type', async () => {
    const prices = { inputPerMillion: 3, outputPerMillion: 15, cacheReadPerMillion: 0.3, cacheWritePerMillion: 3.75, reasoningPerMillion: 20 };
    current = await startTestServer({ models: [testModel('fast')] }, { prices: { models: { fast: prices } } });
    // 40 characters of system prompt → 10 tokens, cached on the first request and read on the second; 'hello there'
    // → 3 uncached tokens; 5 output tokens of which 2 thinking (reasoning).
    const body = {
      model: 'fast',
      max_tokens: 5,
      thinking: { type: 'enabled', budget_tokens: 2 },
      system: [{ type: 'text', text: 'You are a terse assistant for tests. OK?', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'hello there' }],
    };
    type Usage = { input_tokens: number; output_tokens: number; cache_creation_input_tokens: number; cache_read_input_tokens: number };
    const usages: Usage[] = [];
    for (let i = 0; i < 2; i++) usages.push(((await (await post(`${current.server.url}/v1/messages`, body)).json()) as { usage: Usage }).usage);
    expect(usages).toEqual([
      { input_tokens: 3, output_tokens: 5, cache_creation_input_tokens: 10, cache_read_input_tokens: 0 },
      { input_tokens: 3, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 10 },
    ]);
    const cost = async (type: string) => sampleValue(await current!.metrics(), 'ryot_cost_usd_total', { model: 'fast', token_type: type });
    // input 2 × 3 × 3 / 1e6; cache_write 10 × 3.75 / 1e6; cache_read 10 × 0.3 / 1e6; output 2 × 3 × 15 / 1e6;
    // reasoning 2 × 2 × 20 / 1e6.
    expect(await cost('input')).toBeCloseTo(0.000018, 12);
    expect(await cost('cache_write')).toBeCloseTo(0.0000375, 12);
    expect(await cost('cache_read')).toBeCloseTo(0.000003, 12);
    expect(await cost('output')).toBeCloseTo(0.00009, 12);
    expect(await cost('reasoning')).toBeCloseTo(0.00008, 12);
    const metrics = await current.metrics();
    expect(sampleValue(metrics, 'ryot_inference_finished_total', { model: 'fast', finish_reason: 'length' })).toBe(2);
  });

  it('labels tenants from the API key (Bearer or x-api-key), hashed, with every unknown key as other', async () => {
    current = await startTestServer({ models: [testModel('fast')] }, { tenants: { allow: ['sk-acme-0001'], hash: true } });
    const url = `${current.server.url}/v1/chat/completions`;
    const send = (headers: Record<string, string>) => post(url, chat('fast', 'hi', { max_tokens: 2 }), { headers: { 'content-type': 'application/json', ...headers } }).then((r) => r.json());
    await send({ authorization: 'Bearer sk-acme-0001' });
    await send({ 'x-api-key': 'sk-acme-0001' });
    await send({ authorization: 'Bearer sk-stranger-9999' });
    await send({});
    const text = await current.metrics();
    const digest = createHash('sha256').update('').update('\0').update('sk-acme-0001').digest('hex').slice(0, 16);
    const byTenant = Object.fromEntries(parseExposition(text).get('ryot_inference_requests_total', { model: 'fast' }).map((s) => [s.labels['tenant'] ?? '', s.value]));
    expect(byTenant).toEqual({ [digest]: 2, other: 1, '': 1 });
    expect(text).not.toContain('sk-');
  });

  it('preempts under KV-cache pressure, reports its phases, and still finishes every request with all its tokens', async () => {
    // 32 tokens of KV cache: three 3-token prompts fit, but three sequences growing to 15 tokens each do not.
    current = await startTestServer({ models: [testModel('tight', { reservedBytes: 100 * MiB + 32 * 1024, maxBatch: 3 })] });
    const url = `${current.server.url}/v1/chat/completions`;
    const bodies = await Promise.all([0, 1, 2].map(async (i) => (await post(url, chat('tight', `hi ${i}`, { max_tokens: 12 }))).json()));
    for (const body of bodies) expect(body).toMatchObject({ usage: { completion_tokens: 12 } });
    const metrics = await current.metrics();
    expect(sampleValue(metrics, 'ryot_preemptions_total', { model: 'tight' })).toBeGreaterThanOrEqual(1);
    // Idle again: nothing holds the cache.
    expect(sampleValue(metrics, 'ryot_kv_cache_usage_ratio', { model: 'tight' })).toBe(0);
    // The engine reported prefill and decode for each of the three (successful) requests.
    for (const phase of ['prefill', 'decode']) expect(sampleValue(metrics, `ryot_inference_${phase}_seconds_count`, { model: 'tight' })).toBe(3);
    // A preempted sequence waited with its first tokens out: its decode (first to last token, preemption included)
    // is longer than 11 steps of 4 ms.
    expect(sampleValue(metrics, 'ryot_inference_decode_seconds_sum', { model: 'tight' })).toBeGreaterThan(3 * 11 * 0.004);
  });

  it('judges goodput from what the engine delivered: a fast model meets its TPOT target, a slow one never does', async () => {
    // TPOT ≥ the decode step: 40 ms steps cannot meet 20 ms; 4 ms steps (+0.5 ms per sequence) meet 50 ms easily.
    current = await startTestServer(
      { models: [testModel('fast'), testModel('slow', { stepMs: 40 })] },
      { slo: { models: { fast: { tpotSeconds: 0.05 }, slow: { tpotSeconds: 0.02 } } } },
    );
    const url = `${current.server.url}/v1/chat/completions`;
    await Promise.all(['fast', 'slow'].flatMap((model) => [0, 1, 2].map(async (i) => (await post(url, chat(model, `q${i}`, { max_tokens: 4 }))).json())));
    const metrics = await current.metrics();
    expect(sampleValue(metrics, 'ryot_goodput_requests_total', { model: 'fast', slo: 'tpot', met: 'true' })).toBe(3);
    expect(sampleValue(metrics, 'ryot_goodput_requests_total', { model: 'fast', slo: 'all', met: 'true' })).toBe(3);
    expect(sampleValue(metrics, 'ryot_goodput_requests_total', { model: 'slow', slo: 'tpot', met: 'false' })).toBe(3);
    expect(sampleValue(metrics, 'ryot_goodput_requests_total', { model: 'slow', slo: 'all', met: 'false' })).toBe(3);
    expect(sampleValue(metrics, 'ryot_goodput_requests_total', { model: 'slow', slo: 'all', met: 'true' })).toBeUndefined();
  });
});
