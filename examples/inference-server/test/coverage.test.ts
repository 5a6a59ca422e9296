import { afterEach, describe, expect, it } from 'vitest';
import { ALL_METRICS, prometheusName } from '@ryot/metrics/instrumentation';
import { post, readSse, startTestServer, testModel } from './helpers.js';

let current: Awaited<ReturnType<typeof startTestServer>> | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

describe('the example server exercises every seed metric', () => {
  it('exposes a sample for every ryot_* metric in the catalog after mixed traffic', async () => {
    current = await startTestServer({
      models: [testModel('steady', { faults: { transient: 1 } }), testModel('flaky', { faults: { oom: 1 } })],
      requestTimeoutMs: 2_000,
    });
    const url = `${current.server.url}/v1/chat/completions`;
    const chat = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content: 'hi there' }], ...extra });
    await readSse(await post(url, chat('steady', { stream: true, max_tokens: 4 })));
    await (await post(url, chat('steady', { max_tokens: 2 }))).json();
    await (await post(url, chat('flaky', { max_tokens: 2 }))).text();
    await (await post(url, '{nope')).text();
    const metrics = await current.metrics();
    // The cache-read/write and reasoning token counters hold what a provider API reports to a client: the client
    // integrations record them (their own tests check each), a server that measures its engine does not.
    const reportedToClients = new Set(['ryot_cache_read_tokens', 'ryot_cache_write_tokens', 'ryot_reasoning_tokens']);
    const seedNames = ALL_METRICS.filter((d) => !['genai_server', 'genai_client', 'genai_client_usage', 'hardware', 'cluster'].includes(d.group) && !reportedToClients.has(d.name)).map(prometheusName);
    const missing = seedNames.filter((name) => !new RegExp(`^${name}(_bucket|_count|_sum)?\\{`, 'm').test(metrics));
    expect(missing).toEqual([]);
  });
});
