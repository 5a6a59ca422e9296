/**
 * registerGpuMetrics() through a real MeterProvider and the Prometheus exporter's
 * serializer, fed by the real addon and the fake libnvidia-ml.so.1.
 */
import { metrics } from '@opentelemetry/api';
import { createRyot } from '@ryot/metrics';
import { METRICS, prometheusName } from '@ryot/metrics/instrumentation';
import { NVML_METER_NAME, NVML_VERSION } from '../src/version.js';
import packageJson from '../package.json' with { type: 'json' };
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NvmlConfigError } from '../src/errors.js';
import { registerGpuMetrics, type GpuMetricsHandle } from '../src/gpu-metrics.js';
import { buildFakeLibrary, ensureAddon } from './helpers/build.js';
import { BASE_CONFIG, FakeControl } from './helpers/config.js';
import { captureDiagWarnings, prometheusProvider, series, single, waitFor } from './helpers/otel.js';

const UUID0 = 'GPU-11111111-2222-3333-4444-555555555555';
const UUID1 = 'GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const DEV0 = { hw_id: UUID0, hw_name: 'NVIDIA H200', hw_vendor: 'nvidia', hw_type: 'gpu' };
const DEV1 = { hw_id: UUID1, hw_name: 'NVIDIA H200', hw_vendor: 'nvidia', hw_type: 'gpu' };
const name = (key: keyof typeof METRICS): string => prometheusName(METRICS[key]);

let fake: FakeControl;
let libraryPath: string;
const handles: GpuMetricsHandle[] = [];

beforeAll(() => {
  ensureAddon();
  libraryPath = buildFakeLibrary();
  fake = new FakeControl();
  fake.install();
});

afterEach(async () => {
  await Promise.all(handles.splice(0).map((handle) => handle.shutdown()));
  fake.reset();
});

function register(options: Parameters<typeof registerGpuMetrics>[0]): GpuMetricsHandle {
  const handle = registerGpuMetrics({ libraryPath, intervalMs: 50, ...options });
  handles.push(handle);
  return handle;
}

describe('gauges in Prometheus text', () => {
  it('exports every hardware metric with the units converted and hw.* attributes', async () => {
    const { provider, scrape } = prometheusProvider();
    const handle = register({ meterProvider: provider });
    const status = await handle.ready;
    expect(status.available).toBe(true);
    expect(handle.state).toBe('running');
    const text = await scrape();

    expect(single(text, name('hwGpuMemoryUsage'), DEV0)).toBe(70000000000);
    expect(single(text, name('hwGpuMemoryLimit'), DEV0)).toBe(150754820096);
    expect(single(text, name('hwGpuMemoryUtilization'), DEV0)).toBeCloseTo(70000000000 / 150754820096, 12);
    expect(single(text, name('hwGpuUtilization'), { ...DEV0, hw_gpu_task: 'general' })).toBe(0.87);
    expect(single(text, name('hwPower'), DEV0)).toBe(312.456);
    expect(single(text, name('hwEnergy'), DEV0)).toBe(123456.789);
    expect(single(text, name('hwTemperature'), DEV0)).toBe(54);
    expect(single(text, name('gpuPowerLimit'), DEV0)).toBe(700);
    expect(single(text, name('gpuDeviceMemoryReserved'), DEV0)).toBe(598736896);
    expect(single(text, name('gpuClockSm'), DEV0)).toBe(1980);
    expect(single(text, name('gpuClockMemory'), DEV0)).toBe(3201);
    expect(single(text, name('gpuProcessMemoryUsage'), DEV0)).toBe(68719476736);

    expect(single(text, name('hwPower'), DEV1)).toBe(75.25);
    expect(single(text, name('hwGpuUtilization'), DEV1)).toBe(0);
    expect(single(text, name('gpuProcessMemoryUsage'), DEV1)).toBe(0);
    expect(single(text, name('hwEnergy'), DEV1)).toBe(5);

    // Types come from the catalog; the scope is this package's own, with its version.
    expect(text).toContain(`# TYPE ${name('hwEnergy')} counter`);
    expect(text).toContain(`# TYPE ${name('hwTemperature')} gauge`);
    expect(text).toContain(`otel_scope_name="@ryot/nvml",otel_scope_version="${packageJson.version}"`);
    expect([NVML_METER_NAME, NVML_VERSION]).toEqual(['@ryot/nvml', packageJson.version]);
  });

  it('a NOT_SUPPORTED field drops only that series for that device', async () => {
    fake.set({ 'dev.0.fail.temp': 3 });
    const { provider, scrape } = prometheusProvider();
    await register({ meterProvider: provider }).ready;
    const text = await scrape();
    expect(series(text, name('hwTemperature'), DEV0)).toEqual([]);
    expect(single(text, name('hwTemperature'), DEV1)).toBe(31);
    expect(single(text, name('hwPower'), DEV0)).toBe(312.456);
  });

  it('a GPU lost mid-run is no longer observed; the other device keeps updating', async () => {
    const { provider, scrape, delta } = prometheusProvider();
    const handle = register({ meterProvider: provider });
    await handle.ready;
    expect((await delta.points(METRICS.hwPower.name)).map((p) => p.attributes['hw.id']).sort()).toEqual([UUID0, UUID1]);
    const before = handle.latest()?.timestamp ?? 0;
    fake.set({ 'dev.1.lost': 1, 'dev.0.power_mw': 400000 });
    await waitFor(() => (handle.latest()?.timestamp ?? 0) > before && handle.latest()?.devices[1]?.powerWatts === null);
    const observed = await delta.points(METRICS.hwPower.name);
    expect(observed).toEqual([{ attributes: { 'hw.id': UUID0, 'hw.name': 'NVIDIA H200', 'hw.vendor': 'nvidia', 'hw.type': 'gpu' }, value: 400 }]);
    expect(await delta.points(METRICS.hwGpuMemoryUsage.name)).toHaveLength(1);
    // Prometheus (cumulative): device 0 moved on. Device 1 keeps its last value there because the
    // OTel JS SDK re-exports unobserved cumulative series (see README, "Lost GPUs").
    const text = await scrape();
    expect(single(text, name('hwPower'), DEV0)).toBe(400);
  });

  it('uses the global MeterProvider when none is given', async () => {
    const { provider, scrape } = prometheusProvider();
    metrics.setGlobalMeterProvider(provider);
    try {
      await register({}).ready;
      expect(single(await scrape(), name('hwTemperature'), DEV0)).toBe(54);
    } finally {
      metrics.disable();
    }
  });

  it('shutdown() removes the callback, releases NVML once and is idempotent', async () => {
    const { provider, scrape, delta } = prometheusProvider();
    const handle = register({ meterProvider: provider });
    await handle.ready;
    expect(series(await scrape(), name('hwPower'))).toHaveLength(2);
    expect(await delta.points(METRICS.hwPower.name)).toHaveLength(2);
    fake.clearCalls();
    await Promise.all([handle.shutdown(), handle.stop(), handle.shutdown()]);
    expect(handle.state).toBe('stopped');
    expect(await delta.points(METRICS.hwPower.name)).toEqual([]);
    expect(fake.calls().filter((c) => c === 'nvmlShutdown')).toHaveLength(1);
  });
});

describe('model gauges (model, gpu_id)', () => {
  it('used = this process on the device, reserved = device total, only where the process runs', async () => {
    const { provider, scrape } = prometheusProvider();
    const ryot = createRyot({ meterProvider: provider });
    await register({ meterProvider: provider, model: 'llama-3-8b', modelGauges: ryot }).ready;
    const text = await scrape();
    const labels = { model: 'llama-3-8b', gpu_id: '0' };
    expect(single(text, name('gpuMemoryUsage'), labels)).toBe(68719476736);
    expect(single(text, name('gpuMemoryReserved'), labels)).toBe(150754820096);
    expect(single(text, name('memoryEfficiency'), labels)).toBeCloseTo(68719476736 / 150754820096, 12);
    expect(single(text, name('gpuUtilization'), labels)).toBe(87);
    // Device 1 has no context of this process: no model series for it.
    expect(series(text, name('gpuMemoryUsage'), { gpu_id: '1' })).toEqual([]);
  });

  it('no model series without a model', async () => {
    const { provider, scrape } = prometheusProvider();
    await register({ meterProvider: provider }).ready;
    expect(series(await scrape(), name('gpuMemoryUsage'))).toEqual([]);
  });
});

describe('without NVML', () => {
  it('registers nothing, warns once through diag, throws nothing, and the handle says why', async () => {
    const capture = captureDiagWarnings();
    try {
      const { provider, scrape } = prometheusProvider();
      const handle = register({ meterProvider: provider, libraryPath: '/nonexistent/libnvidia-ml.so.1' });
      const status = await handle.ready;
      expect(status).toMatchObject({ available: false, reason: 'library-not-found' });
      expect(handle.state).toBe('unavailable');
      expect(handle.status).toBe(status);
      const text = await scrape();
      expect(text).not.toMatch(/^hw_/m);
      expect(text).not.toMatch(/^ryot_gpu/m);
      const ours = capture.warnings.filter((w) => w.startsWith('@ryot/nvml'));
      expect(ours).toHaveLength(1);
      expect(ours[0]).toContain('GPU metrics disabled');
      expect(ours[0]).toContain('/nonexistent/libnvidia-ml.so.1');
      await handle.shutdown();
      expect(handle.latest()).toBeUndefined();
    } finally {
      capture.restore();
    }
  });
});

describe('options', () => {
  it.each([
    [{ intervalMs: 0 }, /intervalMs/],
    [{ intervalMs: Number.NaN }, /intervalMs/],
    [{ modelGauges: true }, /model/],
    [{ model: '' }, /model/],
    [{ libraryPath: '' }, /libraryPath/],
  ])('rejects %o synchronously with RYOT_NVML_CONFIG_INVALID', (options, message) => {
    expect(() => registerGpuMetrics(options)).toThrow(NvmlConfigError);
    expect(() => registerGpuMetrics(options)).toThrow(message);
  });
});

it('keeps the fake config it was given', () => {
  expect(BASE_CONFIG['dev.0.power_mw']).toBe(312456);
});
