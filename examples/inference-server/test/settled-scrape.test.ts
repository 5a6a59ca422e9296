import { parseExposition } from '@ryot/metrics/testing';
import { describe, expect, it } from 'vitest';
import { scrapeWhenSettled } from '../src/demo/settled-scrape.js';
import { post, startTestServer } from './helpers.js';

describe('the demo scrapes /metrics once the server has finished every request (scrapeWhenSettled)', () => {
  it('counts a stream the client aborted just before, with its status and cost', async () => {
    const test = await startTestServer({ defaultMaxTokens: 200 }, { prices: { default: { inputPerMillion: 1, outputPerMillion: 1 } } });
    try {
      // A kept-alive connection for the scrape to reuse, as the demo's finished requests leave many: its request goes
      // out at once, with no connect for the server's close handling to run during.
      await test.metrics();
      const controller = new AbortController();
      const response = await post(`${test.server.url}/v1/chat/completions`, { model: 'fast', stream: true, messages: [{ role: 'user', content: 'hi' }] }, { signal: controller.signal });
      const reader = response.body!.getReader();
      await reader.read();
      // Aborted after its first chunk, ~200 decode steps before its end: the server learns of it from the closed
      // connection, which it may see after a scrape sent at once (the demo's last request can be such a stream).
      controller.abort();
      const exposition = parseExposition(await scrapeWhenSettled(`${test.server.url}/metrics`));
      expect(exposition.sum('ryot_inference_requests_in_flight')).toBe(0);
      expect(exposition.sum('ryot_inference_requests_total', { model: 'fast', status: 'cancelled' })).toBe(1);
      expect(exposition.sum('ryot_inference_requests_total', { model: 'fast', status: 'success' }) ?? 0).toBe(0);
      expect(exposition.sum('ryot_cost_usd_total', { model: 'fast' })).toBeGreaterThan(0);
    } finally {
      await test.close();
    }
  });
});
