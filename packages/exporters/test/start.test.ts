import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metrics, type MeterProvider as ApiMeterProvider } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { trackInferenceRequest } from '@ryot/metrics';
import { PROMETHEUS_CONTENT_TYPE, TelemetryConfigError, startTelemetry, type TelemetryHandle } from '../src/index.js';
import { sampleValue } from './helpers.js';

const handles: TelemetryHandle[] = [];
afterEach(async () => {
  for (const handle of handles.splice(0)) await handle.shutdown();
  vi.unstubAllEnvs();
  metrics.disable();
});

async function start(...args: Parameters<typeof startTelemetry>): Promise<TelemetryHandle> {
  const handle = await startTelemetry(...args);
  handles.push(handle);
  return handle;
}

describe('startTelemetry with the Prometheus preset', () => {
  it('binds port 0, reports the bound port and serves tracking-API traffic from the global provider', async () => {
    const handle = await start({ prometheus: { port: 0, host: '127.0.0.1' }, gpu: false, serviceName: 'chat-api' });
    expect(handle.exporters).toEqual(['prometheus']);
    expect(handle.prometheus?.port).toBeGreaterThan(0);
    expect(handle.prometheus?.url).toBe(`http://127.0.0.1:${handle.prometheus?.port}/metrics`);
    expect(metrics.getMeterProvider()).toBe(handle.meterProvider);

    const generate = trackInferenceRequest({ model: 'llama-3-8b' })(async (fail: boolean) => {
      if (fail) throw new Error('boom');
      return 'ok';
    });
    await generate(false);
    await generate(false);
    await expect(generate(true)).rejects.toThrow('boom');

    const response = await fetch(handle.prometheus!.url!);
    expect(response.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    const body = await response.text();
    expect(sampleValue(body, 'ryot_inference_requests_total{model="llama-3-8b",status="success"')).toBe(2);
    expect(sampleValue(body, 'ryot_inference_requests_total{model="llama-3-8b",status="error"')).toBe(1);
    expect(sampleValue(body, 'ryot_inference_request_duration_seconds_count{model="llama-3-8b"')).toBe(3);
    // Ryot's view boundaries, not the SDK's ms-oriented defaults.
    expect(body).toContain('ryot_inference_request_duration_seconds_bucket{model="llama-3-8b",otel_scope_name="@ryot/metrics"');
    expect(body).toMatch(/le="0\.01"/);
    expect(body).not.toMatch(/le="7500"/);
    expect(body).toMatch(/target_info\{[^}]*service_name="chat-api"/);
    expect((await fetch(handle.prometheus!.url!.replace('/metrics', '/other'))).status).toBe(404);
  });

  it('registers its provider before it first yields: records made before the promise resolves are kept', async () => {
    const call = trackInferenceRequest({ model: 'early' })(async () => 'ok');
    // Not awaited: binding the server takes at least one turn of the event loop.
    const pending = startTelemetry({ prometheus: { port: 0, host: '127.0.0.1' }, gpu: false });
    expect(metrics.getMeterProvider()).toBeInstanceOf(MeterProvider);
    const early = call();
    const handle = await pending;
    handles.push(handle);
    await early;
    await call();
    const body = await (await fetch(handle.prometheus!.url!)).text();
    expect(sampleValue(body, 'ryot_inference_requests_total{model="early",status="success"')).toBe(2);
  });

  it('a failed listen unregisters the provider it had registered', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      await expect(startTelemetry({ prometheus: { port, host: '127.0.0.1' }, gpu: false })).rejects.toThrow(/EADDRINUSE/);
      expect(metrics.getMeterProvider()).not.toBeInstanceOf(MeterProvider);
      // Nothing is left registered: a new start succeeds.
      const handle = await start({ prometheus: { port: 0, host: '127.0.0.1' }, gpu: false });
      expect(metrics.getMeterProvider()).toBe(handle.meterProvider);
    } finally {
      blocker.close();
    }
  });

  it('takes service.name and resource attributes from OTel env vars, code options winning', async () => {
    vi.stubEnv('OTEL_SERVICE_NAME', 'from-env');
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'deployment.environment=staging,team=ml');
    const fromEnv = await start({ prometheus: { port: 0, host: '127.0.0.1' }, gpu: false });
    expect(fromEnv.resource.attributes).toMatchObject({ 'service.name': 'from-env', 'deployment.environment': 'staging', team: 'ml' });
    expect(await fromEnv.prometheus!.render()).toMatch(/target_info\{[^}]*deployment_environment="staging"/);
    await fromEnv.shutdown();
    const fromCode = await start({ prometheus: { port: 0, host: '127.0.0.1' }, gpu: false, serviceName: 'from-code', serviceVersion: '1.2.3' });
    expect(fromCode.resource.attributes).toMatchObject({ 'service.name': 'from-code', 'service.version': '1.2.3', team: 'ml' });
  });

  it('refuses an OTEL_RESOURCE_ATTRIBUTES that OTel would drop whole', async () => {
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'deployment.environment=staging,team');
    await expect(startTelemetry({ prometheus: { server: false }, gpu: false })).rejects.toThrow(/^OTEL_RESOURCE_ATTRIBUTES: /);
    expect(metrics.getMeterProvider()).not.toBeInstanceOf(MeterProvider);
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'deployment.environment=staging,team=ml%20infra');
    const handle = await start({ prometheus: { server: false }, gpu: false });
    expect(handle.resource.attributes).toMatchObject({ 'deployment.environment': 'staging', team: 'ml infra' });
  });

  it('is configured from env alone: OTEL_METRICS_EXPORTER=prometheus with host and port', async () => {
    const handle = await start({
      gpu: false,
      env: { OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1', OTEL_EXPORTER_PROMETHEUS_PORT: '0' },
    });
    expect(handle.exporters).toEqual(['prometheus']);
    expect(handle.prometheus?.host).toBe('127.0.0.1');
    expect((await fetch(handle.prometheus!.url!)).status).toBe(200);
  });

  it('fails at startup on a bad env value, naming the variable, and registers nothing', async () => {
    await expect(startTelemetry({ env: { OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_PORT: 'abc' } })).rejects.toThrow(
      /OTEL_EXPORTER_PROMETHEUS_PORT/,
    );
    await expect(startTelemetry({ env: { OTEL_METRICS_EXPORTER: 'statsd' } })).rejects.toBeInstanceOf(TelemetryConfigError);
    await expect(startTelemetry({ env: { OTEL_EXPORTER_OTLP_TIMEOUT: 'abc' } })).rejects.toThrow(/^OTEL_EXPORTER_OTLP_TIMEOUT: expected an integer/);
    await expect(startTelemetry({ otlp: { url: 'http://collector:4318' }, gpu: false })).rejects.toThrow(
      /^otlp\.url: .*no path.*"http:\/\/collector:4318\/v1\/metrics"/,
    );
    expect(metrics.getMeterProvider()).not.toBeInstanceOf(MeterProvider);
  });

  it('reports a busy port clearly', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      await expect(startTelemetry({ prometheus: { port, host: '127.0.0.1' }, gpu: false })).rejects.toThrow(/could not listen on 127\.0\.0\.1:\d+.*EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });

  it('refuses to replace a MeterProvider someone else registered, and leaves it in place', async () => {
    const theirs = new MeterProvider();
    metrics.setGlobalMeterProvider(theirs);
    await expect(startTelemetry({ prometheus: { port: 0, host: '127.0.0.1' }, gpu: false })).rejects.toThrow(/already registered/);
    expect(metrics.getMeterProvider()).toBe(theirs);
  });

  it('mounts instead of listening with server: false', async () => {
    const handle = await start({ prometheus: { server: false }, gpu: false });
    expect(handle.prometheus?.port).toBeUndefined();
    expect(handle.prometheus?.handler).toBeTypeOf('function');
    expect(await handle.prometheus!.render()).toContain('target_info');
  });

  it('shutdown is idempotent, closes the server and unregisters the global provider', async () => {
    const handle = await start({ prometheus: { port: 0, host: '127.0.0.1' }, gpu: false });
    const url = handle.prometheus!.url!;
    await Promise.all([handle.shutdown(), handle.shutdown()]);
    expect(metrics.getMeterProvider()).not.toBe(handle.meterProvider);
    await expect(fetch(url)).rejects.toThrow();
    // A new start after shutdown works (the tracking API rebinds to it).
    const again = await start({ prometheus: { port: 0, host: '127.0.0.1' }, gpu: false });
    expect(metrics.getMeterProvider()).toBe(again.meterProvider);
  });
});

describe('startTelemetry and @ryot/nvml', () => {
  it('calls registerGpuMetrics with its provider and stops the handle on shutdown', async () => {
    const calls: { meterProvider?: ApiMeterProvider; intervalMs?: number }[] = [];
    let stopped = 0;
    const handle = await startTelemetry(
      { prometheus: { server: false }, gpu: { intervalMs: 250 } },
      {
        loadGpuModule: async () => ({
          registerGpuMetrics: (options: { meterProvider?: ApiMeterProvider; intervalMs?: number }) => {
            calls.push(options);
            return { shutdown: async () => void stopped++ };
          },
        }),
      },
    );
    expect(handle.gpu).toBe(true);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.meterProvider).toBe(handle.meterProvider);
    expect(calls[0]?.intervalMs).toBe(250);
    await handle.shutdown();
    expect(stopped).toBe(1);
  });

  it('accepts a stop() handle too', async () => {
    let stopped = false;
    const handle = await startTelemetry(
      { prometheus: { server: false } },
      { loadGpuModule: async () => ({ registerGpuMetrics: () => ({ stop: () => void (stopped = true) }) }) },
    );
    await handle.shutdown();
    expect(stopped).toBe(true);
  });

  it.each([
    ['a missing package', async () => Promise.reject(new Error("Cannot find package '@ryot/nvml'"))],
    ['a module without registerGpuMetrics', async () => ({})],
    ['a throwing registerGpuMetrics (no driver)', async () => ({ registerGpuMetrics: () => { throw new Error('NVML_ERROR_LIBRARY_NOT_FOUND'); } })],
    ['a rejecting registerGpuMetrics', async () => ({ registerGpuMetrics: async () => Promise.reject(new Error('no GPU')) })],
  ])('never breaks startTelemetry: %s', async (_name, loadGpuModule) => {
    const handle = await startTelemetry({ prometheus: { server: false } }, { loadGpuModule });
    handles.push(handle);
    expect(handle.gpu).toBe(false);
    expect(await handle.prometheus!.render()).toContain('target_info');
  });

  it('does not load @ryot/nvml at all with gpu: false', async () => {
    let loaded = false;
    const handle = await start({ prometheus: { server: false }, gpu: false }, { loadGpuModule: async () => { loaded = true; return {}; } });
    expect(loaded).toBe(false);
    expect(handle.gpu).toBe(false);
  });

  it('the real loader works whether or not @ryot/nvml is built here', async () => {
    const handle = await start({ prometheus: { server: false } });
    expect(await handle.prometheus!.render()).toContain('target_info');
  });

  it('drops the GPU handle when NVML answers unavailable (no driver here), so callers can fall back', async () => {
    let stopped = 0;
    const handle = await start(
      { prometheus: { server: false } },
      {
        loadGpuModule: async () => ({
          registerGpuMetrics: () => ({
            ready: Promise.resolve({ available: false, reason: 'library-not-found', message: 'libnvidia-ml.so.1 not found' }),
            shutdown: async () => void stopped++,
          }),
        }),
      },
    );
    expect(handle.gpu).toBe(false);
    expect(stopped).toBe(1);
  });

  it('keeps the GPU handle when NVML is available, and when it has not answered within the wait (hung init)', async () => {
    const available = await start(
      { prometheus: { server: false } },
      { loadGpuModule: async () => ({ registerGpuMetrics: () => ({ ready: Promise.resolve({ available: true }), shutdown: async () => {} }) }) },
    );
    expect(available.gpu).toBe(true);
    await available.shutdown();
    const startedAt = Date.now();
    const hung = await start(
      { prometheus: { server: false } },
      { loadGpuModule: async () => ({ registerGpuMetrics: () => ({ ready: new Promise(() => {}), shutdown: async () => {} }) }) },
    );
    expect(hung.gpu).toBe(true);
    // Bounded by the 2 s wait, not by the hung promise.
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  });
});
