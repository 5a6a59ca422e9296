import { afterEach, describe, expect, it } from 'vitest';
import { ALL_METRICS, prometheusName } from '@ryot/metrics/instrumentation';
import { post, readSse, startTestServer, testModel } from './helpers.js';

let current: Awaited<ReturnType<typeof startTestServer>> | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

describe('the example server exercises every metric it can', () => {
  it('exposes a sample for every ryot_* metric in the catalog after mixed traffic', async () => {
    const MiB = 1024 * 1024;
    current = await startTestServer(
      {
        models: [
          testModel('steady', { faults: { transient: 1 } }),
          testModel('flaky', { faults: { oom: 1 } }),
          // A KV cache of 24 tokens (1 KiB per token): two 3-token prompts growing to 15 tokens each cannot both fit.
          testModel('tight', { reservedBytes: 100 * MiB + 24 * 1024 }),
        ],
        requestTimeoutMs: 2_000,
      },
      { slo: { default: { ttftSeconds: 1 } }, prices: { default: { inputPerMillion: 1, outputPerMillion: 2 } }, tenants: { allow: ['key-a'] } },
    );
    const url = `${current.server.url}/v1/chat/completions`;
    const chat = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content: 'hi there' }], ...extra });
    await readSse(await post(url, chat('steady', { stream: true, max_tokens: 4 }), { headers: { 'content-type': 'application/json', authorization: 'Bearer key-a' } }));
    await (await post(url, chat('steady', { max_tokens: 2 }))).json();
    await (await post(url, chat('flaky', { max_tokens: 2 }))).text();
    await Promise.all([0, 1].map(async () => (await post(url, chat('tight', { max_tokens: 12 }))).json()));
    // Anthropic Messages: a cache_control system prompt written, then read, with a thinking budget (reasoning tokens).
    const messages = { model: 'steady', max_tokens: 4, thinking: { type: 'enabled', budget_tokens: 2 }, system: [{ type: 'text', text: 'You are a terse assistant.', cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: 'hi' }] };
    for (let i = 0; i < 2; i++) await (await post(`${current.server.url}/v1/messages`, messages)).json();
    await (await post(url, '{nope')).text();
    const metrics = await current.metrics();
    const seedNames = ALL_METRICS.filter((d) => !['genai_server', 'genai_client', 'genai_client_usage', 'hardware', 'cluster'].includes(d.group)).map(prometheusName);
    const missing = seedNames.filter((name) => !new RegExp(`^${name}(_bucket|_count|_sum)?\\{`, 'm').test(metrics));
    expect(missing).toEqual([]);
  });
});
