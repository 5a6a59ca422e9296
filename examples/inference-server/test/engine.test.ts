import { afterEach, describe, expect, it } from 'vitest';
import { post, readSse, sampleValue, startTestServer, testModel } from './helpers.js';

let current: Awaited<ReturnType<typeof startTestServer>> | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

const chat = (model: string, content: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'system', content: 'shared system prompt' }, { role: 'user', content }], ...extra });

describe('simulated engine', () => {
  it('queues beyond max batch, batches continuously, and hits the prefix cache for a shared system prompt', async () => {
    current = await startTestServer({ models: [testModel('m', { maxBatch: 2, stepMs: 3 })] });
    const url = `${current.server.url}/v1/chat/completions`;
    const responses = await Promise.all(Array.from({ length: 6 }, (_, i) => post(url, chat('m', `question ${i}`, { max_tokens: 4, stream: true }))));
    await Promise.all(responses.map(readSse));
    const metrics = await current.metrics();
    expect(sampleValue(metrics, 'ryot_inference_requests_total', { model: 'm', status: 'success' })).toBe(6);
    // Six requests through a batch of two: four of them waited behind others.
    expect(sampleValue(metrics, 'ryot_inference_queue_wait_seconds_count', { model: 'm' })).toBe(6);
    expect(sampleValue(metrics, 'ryot_inference_queue_size', { model: 'm' })).toBe(0);
    expect(sampleValue(metrics, 'ryot_batch_size_bucket', { model: 'm', le: '1' })).toBeLessThan(sampleValue(metrics, 'ryot_batch_size_count', { model: 'm' })!);
    expect(sampleValue(metrics, 'ryot_batch_size_bucket', { model: 'm', le: '2' })).toBe(sampleValue(metrics, 'ryot_batch_size_count', { model: 'm' }));
    // Same system prompt: the first lookup misses, the other five hit.
    expect(sampleValue(metrics, 'ryot_cache_lookups_total', { model: 'm' })).toBe(6);
    expect(sampleValue(metrics, 'ryot_cache_hits_total', { model: 'm' })).toBe(5);
    // The test model loads in a 5 ms sleep (no jitter): the gauge holds that load, timers never fire early.
    expect(sampleValue(metrics, 'ryot_model_loading_duration_seconds', { model: 'm' })).toBeGreaterThanOrEqual(0.004);
    expect(sampleValue(metrics, 'ryot_model_info', { model: 'm', family: 'test' })).toBe(1);
    expect(sampleValue(metrics, 'ryot_gpu_memory_reserved_bytes', { model: 'm', gpu_id: '0' })).toBe(200 * 1024 * 1024);
  });

  it('turns injected faults into classified errors: OOM, CUDA, timeout, and retried transients', async () => {
    current = await startTestServer({
      models: [
        testModel('oom', { faults: { oom: 1, transient: 1 } }),
        testModel('cuda', { faults: { cuda: 1 } }),
        testModel('stall', { faults: { timeout: 1 } }),
      ],
      requestTimeoutMs: 150,
    });
    const url = `${current.server.url}/v1/chat/completions`;
    const oom = await post(url, chat('oom', 'x', { max_tokens: 3 }));
    expect(oom.status).toBe(503);
    expect(((await oom.json()) as { error: { code: string } }).error.code).toBe('oom');
    const cuda = await readSse(await post(url, chat('cuda', 'x', { max_tokens: 3, stream: true })));
    expect(cuda.some((event) => event.includes('"code":"cuda"'))).toBe(true);
    const stalled = await post(url, chat('stall', 'x', { max_tokens: 3 }));
    expect(stalled.status).toBe(504);
    const metrics = await current.metrics();
    expect(sampleValue(metrics, 'ryot_inference_errors_total', { model: 'oom', error_type: 'oom' })).toBe(1);
    expect(sampleValue(metrics, 'ryot_inference_errors_total', { model: 'cuda', error_type: 'cuda' })).toBe(1);
    expect(sampleValue(metrics, 'ryot_inference_errors_total', { model: 'stall', error_type: 'timeout' })).toBe(1);
    expect(sampleValue(metrics, 'ryot_inference_requests_total', { model: 'stall', status: 'timeout' })).toBe(1);
    // OOM strikes at admission, before the transient-retry draw: no retry is recorded for it.
    expect(sampleValue(metrics, 'ryot_inference_retries_total', { model: 'oom' })).toBeUndefined();
  });
});
