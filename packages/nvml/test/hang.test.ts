/**
 * A hung NVML call (the fake sleeps inside nvmlDeviceGetPowerUsage) must not
 * hang a scrape or the event loop. This file's only timing assertions are the
 * 100 ms bounds below: collecting reads an in-memory snapshot (about 1 ms), so
 * 100 ms leaves ~100x headroom for a loaded CI machine, while a scrape that
 * waited on NVML would take the full 3 s hang.
 */
import { METRICS, prometheusName } from '@ryot/metrics/instrumentation';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerGpuMetrics, type GpuMetricsHandle } from '../src/gpu-metrics.js';
import { buildFakeLibrary, ensureAddon } from './helpers/build.js';
import { FakeControl } from './helpers/config.js';
import { captureDiagWarnings, prometheusProvider, single, waitFor } from './helpers/otel.js';

const HANG_MS = 3000;
const DEV0 = { hw_id: 'GPU-11111111-2222-3333-4444-555555555555' };
let fake: FakeControl;
let libraryPath: string;
const handles: GpuMetricsHandle[] = [];

beforeAll(() => {
  ensureAddon();
  libraryPath = buildFakeLibrary();
  fake = new FakeControl();
  fake.install();
});

afterAll(async () => {
  await Promise.all(handles.map((handle) => handle.shutdown()));
});

/** Waits until the sampler is inside the hung call (the fake logs a call before sleeping). */
async function waitUntilHung(): Promise<void> {
  fake.clearCalls();
  fake.set({ 'dev.0.hang.power': HANG_MS });
  await waitFor(() => {
    const calls = fake.calls();
    const count = calls.lastIndexOf('nvmlDeviceGetCount_v2');
    return count >= 0 && calls.at(-1) === 'nvmlDeviceGetPowerUsage';
  });
}

function eventLoopDelay(): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => setTimeout(() => resolve(performance.now() - started), 0));
}

it('a scrape returns within 100 ms, with the previous sample, while an NVML call hangs', async () => {
  const { provider, scrape } = prometheusProvider();
  const handle = registerGpuMetrics({ meterProvider: provider, libraryPath, intervalMs: 50, maxSampleAgeMs: 60_000 });
  handles.push(handle);
  await handle.ready;
  await waitUntilHung();
  const before = handle.latest()?.timestamp;

  const started = performance.now();
  const text = await scrape();
  const elapsed = performance.now() - started;
  expect(elapsed).toBeLessThan(100);
  expect(single(text, prometheusName(METRICS.hwPower), DEV0)).toBe(312.456);
  expect(await eventLoopDelay()).toBeLessThan(100);
  // Still inside the hung call: no sample completed while we scraped.
  expect(fake.calls().at(-1)).toBe('nvmlDeviceGetPowerUsage');
  expect(handle.latest()?.timestamp).toBe(before);

  // shutdown() does not wait for the hung call; NVML is shut down once it returns.
  fake.unset('dev.0.hang.power');
  await handle.shutdown();
  expect(handle.state).toBe('stopped');
  await waitFor(() => fake.calls().includes('nvmlShutdown'), HANG_MS + 5000);
});

it('a sample older than maxSampleAgeMs is withheld, with one diag.warn', async () => {
  const capture = captureDiagWarnings();
  try {
    const { provider, delta } = prometheusProvider();
    const handle = registerGpuMetrics({ meterProvider: provider, libraryPath, intervalMs: 50, maxSampleAgeMs: 300 });
    handles.push(handle);
    await handle.ready;
    expect(await delta.points(METRICS.hwPower.name)).toHaveLength(2);
    await waitUntilHung();
    const hungAt = handle.latest()?.timestamp ?? 0;
    await waitFor(() => Date.now() - hungAt > 400);
    expect(await delta.points(METRICS.hwPower.name)).toEqual([]);
    expect(await delta.points(METRICS.hwTemperature.name)).toEqual([]);
    const ours = capture.warnings.filter((w) => w.startsWith('@ryot/nvml'));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toContain('older than 300 ms');
    fake.unset('dev.0.hang.power');
    await handle.shutdown();
  } finally {
    capture.restore();
  }
});
