import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { createRyot, ryotViews } from '@ryot/metrics';
import { startLoadGenerator } from '../../../scripts/http-load.mjs';
import { createInferenceServer } from '../src/index.js';
const zeroCostModel = { name: 'bench', family: 'bench', quantization: 'none', loadMs: 0, prefillMsPerToken: 0, stepMs: 0, stepMsPerSequence: 0, maxBatch: 64, weightsBytes: 1, kvBytesPerToken: 1, reservedBytes: 1 << 30, gpuId: 0 };
const mode = process.env.MODE ?? 'on';
let api = null as any;
if (mode === 'on') {
  api = createRyot({});
  const exporter = new PrometheusExporter({ preventServerStart: true, metricProducers: [api.metricProducer()] });
  const provider = new MeterProvider({ readers: [exporter], views: ryotViews() });
  api.configure({ meterProvider: provider });
}
const server = await createInferenceServer({ models: [zeroCostModel], jitter: 0, api });
const load = startLoadGenerator();
const job = { url: `${server.url}/v1/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'bench', stream: true, max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] }), concurrency: 16, durationMs: Number(process.env.MS ?? 8000) };
await load.run({ ...job, durationMs: 1000 });
const before = process.cpuUsage();
const r = await load.run(job);
const cpu = process.cpuUsage(before);
console.log(mode, (r.requests / r.seconds).toFixed(0), 'req/s', ((cpu.user + cpu.system) / r.requests).toFixed(1), 'us/req');
await load.close(); await server.close(); process.exit(0);
