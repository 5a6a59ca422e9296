/**
 * Cluster mode against real node:cluster processes: a primary and its workers, each calling
 * startTelemetry({ cluster: true }), one /metrics served by the primary. Workers record on a scripted clock, so every
 * expected count and bucket below is worked out by hand from the commands sent.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExposition, type Exposition } from '@ryot/metrics/testing';
import { startClusterApp, type ClusterApp } from '../helpers/cluster-app.js';

const REQUESTS = 'ryot_inference_requests_total';
const DURATION = 'ryot_inference_request_duration_seconds';

async function scrape(app: ClusterApp): Promise<Exposition> {
  const response = await fetch(app.url);
  expect(response.status).toBe(200);
  const exposition = parseExposition(await response.text());
  expect(exposition.errors).toEqual([]);
  return exposition;
}

const success = (model: string) => ({ model, status: 'success' });

describe('cluster mode: two workers, one /metrics', () => {
  let app: ClusterApp;
  let w1: number;
  let w2: number;

  beforeAll(async () => {
    app = await startClusterApp({ WORKERS: '2', WORKER_TIMEOUT_MS: '500' });
    [w1, w2] = app.workers as [number, number];
    // Worker 1: 3 requests of model a at 20 ms. Worker 2: 2 requests of a at 200 ms, 1 of b at 20 ms.
    await app.command('record', { worker: w1, model: 'a', requests: 3, durationMs: 20 });
    await app.command('record', { worker: w2, model: 'a', requests: 2, durationMs: 200 });
    await app.command('record', { worker: w2, model: 'b', requests: 1, durationMs: 20 });
    await app.command('gauges', { worker: w1, model: 'a', queue: 3, gpuUsedBytes: 1000 });
    await app.command('gauges', { worker: w2, model: 'a', queue: 4, gpuUsedBytes: 5000 });
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('sums counters and histogram buckets per attribute set across the workers', async () => {
    const metrics = await scrape(app);
    expect(metrics.get(REQUESTS, success('a')).map((s) => s.value)).toEqual([5]);
    expect(metrics.get(REQUESTS, success('b')).map((s) => s.value)).toEqual([1]);
    // Merged series carry no worker label: one series per attribute set, as from a single process.
    expect(metrics.get(REQUESTS).every((s) => s.labels['service_instance_id'] === undefined)).toBe(true);
    // Model a: 3 × 0.02 s (le 0.025) and 2 × 0.2 s (le 0.25); sum 0.06 + 0.4.
    expect(metrics.value(`${DURATION}_bucket`, { model: 'a', le: '0.01' })).toBe(0);
    expect(metrics.value(`${DURATION}_bucket`, { model: 'a', le: '0.025' })).toBe(3);
    expect(metrics.value(`${DURATION}_bucket`, { model: 'a', le: '0.1' })).toBe(3);
    expect(metrics.value(`${DURATION}_bucket`, { model: 'a', le: '0.25' })).toBe(5);
    expect(metrics.value(`${DURATION}_bucket`, { model: 'a', le: '+Inf' })).toBe(5);
    expect(metrics.value(`${DURATION}_count`, { model: 'a' })).toBe(5);
    expect(metrics.value(`${DURATION}_sum`, { model: 'a' })).toBeCloseTo(0.46, 10);
    // TTFT is half of each duration: 3 × 0.01 s (le 0.01), 2 × 0.1 s (le 0.1).
    expect(metrics.value('ryot_inference_ttft_seconds_bucket', { model: 'a', le: '0.01' })).toBe(3);
    expect(metrics.value('ryot_inference_ttft_seconds_bucket', { model: 'a', le: '0.1' })).toBe(5);
    // Two tokens per request.
    expect(metrics.value('ryot_tokens_generated_total', { model: 'a' })).toBe(10);
    expect(metrics.value('ryot_cluster_workers', { state: 'answered' })).toBe(2);
    expect(metrics.value('ryot_cluster_workers', { state: 'timed_out' })).toBe(0);
  });

  it('serves the cluster series under @ryot/exporters’ scope, with its version, as the ryot_* series carry theirs', async () => {
    const metrics = await scrape(app);
    const versionOf = (name: string) => (JSON.parse(readFileSync(new URL(`../../packages/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
    const scopes = (family: string) => [...new Set(metrics.get(family).map((s) => `${s.labels['otel_scope_name']}@${s.labels['otel_scope_version']}`))];
    expect(scopes('ryot_cluster_workers')).toEqual([`@ryot/exporters@${versionOf('exporters')}`]);
    expect(scopes(REQUESTS)).toEqual([`@ryot/metrics@${versionOf('metrics')}`]);
  });

  it('combines gauges by the catalog rule: queue size summed, GPU memory per worker, info once', async () => {
    const metrics = await scrape(app);
    expect(metrics.get('ryot_inference_queue_size', { model: 'a' }).map((s) => s.value)).toEqual([7]);
    const gpu = metrics.get('ryot_gpu_memory_usage_bytes', { model: 'a' });
    expect(Object.fromEntries(gpu.map((s) => [s.labels['service_instance_id'], s.value]))).toEqual({
      [`${app.instanceId}-worker-${w1}`]: 1000,
      [`${app.instanceId}-worker-${w2}`]: 5000,
    });
    expect(metrics.get('ryot_system_info').map((s) => [s.labels['fixture'], s.value])).toEqual([['cluster-app', 1]]);
    // target_info is the primary's own resource.
    expect(metrics.value('target_info', { service_instance_id: app.instanceId })).toBe(1);
  });

  it('answers without waiting for a stalled worker, from its previous answer, and says so', async () => {
    let stallEnded = false;
    const ended = app.event('stall-ended').then(() => (stallEnded = true));
    await app.command('stall', { worker: w2, ms: 4000 });
    // The worker replied just before it blocked itself; give the block a moment to begin (it lasts 4 s).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const metrics = await scrape(app);
    // The scrape came back while worker 2 was still blocked: its stall has not ended.
    expect(stallEnded).toBe(false);
    expect(metrics.value('ryot_cluster_workers', { state: 'answered' })).toBe(1);
    expect(metrics.value('ryot_cluster_workers', { state: 'timed_out' })).toBe(1);
    // Worker 2's counts are still in the sum, so the counter does not drop.
    expect(metrics.value(REQUESTS, success('a'))).toBe(5);
    expect(metrics.value(REQUESTS, success('b'))).toBe(1);
    await ended;
    const after = await scrape(app);
    expect(after.value('ryot_cluster_workers', { state: 'answered' })).toBe(2);
  }, 30_000);
});

describe('cluster mode: workers that exit', () => {
  let app: ClusterApp;

  beforeAll(async () => {
    app = await startClusterApp({ WORKERS: '2', WORKER_TIMEOUT_MS: '2000' });
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('keeps a crashed worker’s last collected counts, so the merged counter never goes back', async () => {
    const [w1, w2] = app.workers as [number, number];
    await app.command('record', { worker: w1, model: 'a', requests: 2, durationMs: 20 });
    await app.command('record', { worker: w2, model: 'a', requests: 3, durationMs: 20 });
    await app.command('gauges', { worker: w2, model: 'a', queue: 4, gpuUsedBytes: 5000 });
    expect((await scrape(app)).value(REQUESTS, success('a'))).toBe(5);
    // Counted by worker 2 after the primary's last collection, then lost with it: the documented loss of a crash.
    await app.command('record', { worker: w2, model: 'a', requests: 100, durationMs: 20 });
    await app.command('kill', { worker: w2, signal: 'SIGKILL' });

    const afterCrash = await scrape(app);
    expect(afterCrash.value(REQUESTS, success('a'))).toBe(5);
    expect(afterCrash.value(`${DURATION}_count`, { model: 'a' })).toBe(5);
    expect(afterCrash.value('ryot_cluster_worker_exits_total')).toBe(1);
    expect(afterCrash.value('ryot_cluster_workers', { state: 'answered' })).toBe(1);
    // Its gauges left with it: the queue it reported is no longer summed, its GPU series is gone.
    expect(afterCrash.get('ryot_inference_queue_size', { model: 'a' })).toEqual([]);
    expect(afterCrash.get('ryot_gpu_memory_usage_bytes')).toEqual([]);

    // Its replacement starts from zero; the merged counter carries on from 5.
    const { worker: w3 } = (await app.command('fork')) as { worker: number };
    await app.command('record', { worker: w3, model: 'a', requests: 1, durationMs: 20 });
    const afterRestart = await scrape(app);
    expect(afterRestart.value(REQUESTS, success('a'))).toBe(6);
    expect(afterRestart.value(`${DURATION}_bucket`, { model: 'a', le: '0.025' })).toBe(6);
    expect(afterRestart.value('ryot_cluster_workers', { state: 'answered' })).toBe(2);
  }, 60_000);

  it('loses nothing when a worker shuts down gracefully: its final snapshot is sent before it exits', async () => {
    const before = (await scrape(app)).value(REQUESTS, success('a'))!;
    const [w1] = app.workers as [number];
    // Recorded after the last scrape; only the final snapshot can carry them.
    await app.command('record', { worker: w1, model: 'a', requests: 7, durationMs: 20 });
    await app.command('stop', { worker: w1 });
    const after = await scrape(app);
    expect(after.value(REQUESTS, success('a'))).toBe(before + 7);
    expect(after.value('ryot_cluster_worker_exits_total')).toBe(2);
  }, 60_000);
});

describe('cluster mode: a primary whose telemetry starts after its workers’', () => {
  let app: ClusterApp;

  afterAll(async () => {
    await app?.stop();
  });

  it('still finds every worker: it asks the workers that said hello to nobody to say it again', async () => {
    app = await startClusterApp({ WORKERS: '2', LATE_PRIMARY: '1' });
    const [w1, w2] = app.workers as [number, number];
    await app.command('record', { worker: w1, model: 'a', requests: 1, durationMs: 20 });
    await app.command('record', { worker: w2, model: 'a', requests: 2, durationMs: 20 });
    const metrics = await scrape(app);
    expect(metrics.value('ryot_cluster_workers', { state: 'answered' })).toBe(2);
    expect(metrics.value('ryot_cluster_workers', { state: 'starting' })).toBe(0);
    expect(metrics.value(REQUESTS, success('a'))).toBe(3);
  }, 90_000);
});
