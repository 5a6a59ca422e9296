import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { metrics } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueue, recordBatch, recordCacheLookup, trackTokenGeneration, updateGpuMetrics } from '@ryot/metrics';
import { startTelemetry, type TelemetryHandle } from '@ryot/exporters';
import { AGGREGATION_PATHS, aggregationOption } from '../helpers/telemetry.js';
import { PROMETHEUS_BIN, failIfMissing, promqlBlocks, requireBinary, startPrometheus, valueOf, type RunningPrometheus } from '../helpers/prometheus.js';

const gate = requireBinary(PROMETHEUS_BIN);
const cookbookPath = fileURLToPath(new URL('../../packages/exporters/docs/promql-cookbook.md', import.meta.url));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One streamed completion: `delayMs` before the first token, then `tokens` tokens 3 ms apart. */
async function* completion(tokens: number, delayMs: number, fail: boolean): AsyncGenerator<string> {
  await sleep(delayMs);
  if (fail) throw new Error('engine failed');
  for (let i = 0; i < tokens; i++) {
    if (i > 0) await sleep(3);
    yield `t${i}`;
  }
}

const generate = {
  llama: trackTokenGeneration({ model: 'llama', promptTokens: 7 })(completion),
  mistral: trackTokenGeneration({ model: 'mistral', promptTokens: 7 })(completion),
};

/** The instrumented app: /generate streams a tracked completion, /metrics is Ryot's handler. */
function appServer(telemetry: TelemetryHandle): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://app');
    if (url.pathname === '/metrics') return telemetry.prometheus!.handler(req, res);
    if (url.pathname !== '/generate') return void res.writeHead(404).end();
    const model = url.searchParams.get('model') === 'mistral' ? 'mistral' : 'llama';
    const fail = url.searchParams.get('fail') === '1';
    void (async () => {
      const ticket = enqueue(model);
      await sleep(2);
      ticket.dequeue();
      let text = '';
      try {
        for await (const token of generate[model](5, 60, fail)) text += token;
        res.writeHead(200).end(text);
      } catch {
        res.writeHead(500).end('failed');
      }
    })();
  });
}

// Per round: llama 12 ok + 3 failed, mistral 6 ok; 5 tokens per successful request.
async function round(base: string): Promise<void> {
  const calls: Promise<Response>[] = [];
  for (let i = 0; i < 12; i++) calls.push(fetch(`${base}/generate?model=llama`));
  for (let i = 0; i < 3; i++) calls.push(fetch(`${base}/generate?model=llama&fail=1`));
  for (let i = 0; i < 6; i++) calls.push(fetch(`${base}/generate?model=mistral`));
  const statuses = (await Promise.all(calls)).map((r) => r.status);
  expect(statuses.filter((s) => s === 500)).toHaveLength(3);
  for (const model of ['llama', 'mistral']) {
    recordCacheLookup({ model, hits: 3, lookups: 4 });
    recordBatch({ model, size: 8 });
    updateGpuMetrics({ model, gpuId: 0, usedBytes: 6e9, reservedBytes: 8e9, utilization: 70 });
  }
}

describe.skipIf(!gate.run).each(AGGREGATION_PATHS)('Ryot exposition scraped by a real Prometheus, per-request series through %s', (path) => {
  let telemetry: TelemetryHandle;
  let app: Server;
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    failIfMissing(gate);
    telemetry = await startTelemetry({ prometheus: { server: false }, gpu: false, serviceName: 'prometheus-it', ...aggregationOption(path) });
    app = appServer(telemetry);
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    prometheus = await startPrometheus({ scrape: base.replace('http://', '') });
    await prometheus.waitFor('up{job="ryot"}', (r) => valueOf(r) === 1);

    await round(base);
    await prometheus.waitFor('sum(ryot_inference_requests_total)', (r) => valueOf(r) === 21);
    await round(base);
    await prometheus.waitFor('sum(ryot_inference_requests_total)', (r) => valueOf(r) === 42);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    if (app) await new Promise((resolve) => app.close(resolve));
    if (telemetry) await telemetry.shutdown();
    metrics.disable();
  });

  it('counts requests by status exactly', async () => {
    const llama = await prometheus.vector('sum by (status) (ryot_inference_requests_total{model="llama"})');
    expect(valueOf(llama, { status: 'success' })).toBe(24);
    expect(valueOf(llama, { status: 'error' })).toBe(6);
    const mistral = await prometheus.vector('sum by (status) (ryot_inference_requests_total{model="mistral"})');
    expect(valueOf(mistral, { status: 'success' })).toBe(12);
    expect(valueOf(mistral, { status: 'error' })).toBeUndefined();
    const errors = await prometheus.vector('sum by (model, error_type) (ryot_inference_errors_total)');
    expect(errors.reduce((total, s) => total + Number(s.value[1]), 0)).toBe(6);
  });

  it('computes latency quantiles from the Ryot buckets', async () => {
    const count = await prometheus.vector('sum by (model) (ryot_inference_request_duration_seconds_count)');
    expect(valueOf(count, { model: 'llama' })).toBe(30);
    // Each request waits 60 ms, then streams 5 tokens 3 ms apart: ~75 ms, above the 0.05 bucket.
    const p50 = await prometheus.vector(
      'histogram_quantile(0.5, sum by (le, model) (rate(ryot_inference_request_duration_seconds_bucket[1m])))',
    );
    const llamaP50 = valueOf(p50, { model: 'llama' })!;
    expect(llamaP50).toBeGreaterThan(0.05);
    expect(llamaP50).toBeLessThanOrEqual(0.25);
    const ttft = await prometheus.vector('histogram_quantile(0.9, sum by (le) (rate(ryot_inference_ttft_seconds_bucket[1m])))');
    expect(valueOf(ttft)).toBeGreaterThan(0.05);
    expect(valueOf(ttft)).toBeLessThanOrEqual(0.25);
    // le labels are the catalog's boundaries.
    const les = await prometheus.vector('count by (le) (ryot_inference_request_duration_seconds_bucket{model="llama"})');
    expect(les.map((s) => s.metric['le']).sort()).toEqual(['+Inf', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '10', '2.5', '30', '5'].sort());
  });

  it('reports token totals and a positive token rate', async () => {
    const totals = await prometheus.vector('sum by (model) (ryot_tokens_generated_total)');
    expect(valueOf(totals, { model: 'llama' })).toBe(24 * 5);
    expect(valueOf(totals, { model: 'mistral' })).toBe(12 * 5);
    const rate = await prometheus.vector('sum by (model) (rate(ryot_tokens_generated_total[1m]))');
    expect(valueOf(rate, { model: 'llama' })).toBeGreaterThan(0);
    expect(valueOf(rate, { model: 'mistral' })).toBeGreaterThan(0);
  });

  const cookbook = promqlBlocks(readFileSync(cookbookPath, 'utf8'));
  it('extracts the cookbook queries', () => {
    expect(cookbook.length).toBeGreaterThanOrEqual(20);
  });
  it.each(cookbook)('cookbook query runs: $query', async ({ query, mayBeEmpty }) => {
    const result = await prometheus.vector(query);
    if (!mayBeEmpty) {
      expect(result.length, `no data for:\n${query}`).toBeGreaterThan(0);
      for (const sample of result) expect(Number.isNaN(Number(sample.value[1])), `NaN in ${JSON.stringify(sample)}`).toBe(false);
    }
  });
});
