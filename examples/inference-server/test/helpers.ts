import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { createRyot, ryotViews } from '@ryot/metrics';
import { parseExposition } from '@ryot/metrics/testing';
import { createInferenceServer, type InferenceServerOptions, type ModelSpec } from '../src/index.js';

const MiB = 1024 * 1024;

/** A fast, deterministic model for tests: no jitter, tiny load time. */
export function testModel(name: string, overrides: Partial<ModelSpec> = {}): ModelSpec {
  return {
    name,
    family: 'test',
    quantization: 'fp16',
    loadMs: 5,
    prefillMsPerToken: 0.1,
    stepMs: 4,
    stepMsPerSequence: 0.5,
    maxBatch: 4,
    weightsBytes: 100 * MiB,
    kvBytesPerToken: 1024,
    reservedBytes: 200 * MiB,
    gpuId: 0,
    ...overrides,
  };
}

/** The example server recording into its own MeterProvider, exposed at /metrics through OTel's Prometheus exporter. */
export async function startTestServer(options: InferenceServerOptions = {}) {
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, withoutTargetInfo: true });
  const provider = new MeterProvider({ readers: [exporter], views: ryotViews() });
  const api = createRyot({ meterProvider: provider });
  const server = await createInferenceServer({
    models: [testModel('fast'), testModel('slow', { stepMs: 8 })],
    jitter: 0,
    defaultMaxTokens: 8,
    ...options,
    api,
    metricsHandler: (req, res) => exporter.getMetricsRequestHandler(req, res),
  });
  return {
    server,
    api,
    async metrics(): Promise<string> {
      return (await fetch(`${server.url}/metrics`)).text();
    },
    async close() {
      await server.close();
      await provider.shutdown();
    },
  };
}

export function post(url: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body), ...init });
}

/** The value of the first sample `name{labels}`, matching labels as a subset. */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return parseExposition(text).value(name, labels);
}

export interface SseEvent {
  data: string;
}

export async function readSse(response: Response): Promise<string[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice(6));
}
