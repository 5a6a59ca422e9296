/**
 * Example-server throughput with instrumentation on (Ryot recording into a MeterProvider
 * with a Prometheus reader) and off (the same server with no Ryot calls at all), engine
 * step time 0, fixed concurrency, interleaved rounds. Prints the ratio; asserts nothing.
 */
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { createRyot, ryotViews } from '@ryot/metrics';
import { createInferenceServer, type InferenceServer } from '../src/index.js';

const CONCURRENCY = 16;
const ROUND_MS = 3000;
const ROUNDS = 6;
const zeroCostModel = {
  name: 'bench',
  family: 'bench',
  quantization: 'none',
  loadMs: 0,
  prefillMsPerToken: 0,
  stepMs: 0,
  stepMsPerSequence: 0,
  maxBatch: 64,
  weightsBytes: 1,
  kvBytesPerToken: 1,
  reservedBytes: 1 << 30,
  gpuId: 0,
};

async function measure(server: InferenceServer): Promise<number> {
  const body = JSON.stringify({ model: 'bench', stream: true, max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] });
  const deadline = performance.now() + ROUND_MS;
  let done = 0;
  const client = async () => {
    while (performance.now() < deadline) {
      const response = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await response.text();
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  return done / ((performance.now() - started) / 1000);
}

const exporter = new PrometheusExporter({ preventServerStart: true });
const provider = new MeterProvider({ readers: [exporter], views: ryotViews() });
const on = await createInferenceServer({ models: [zeroCostModel], jitter: 0, api: createRyot({ meterProvider: provider }) });
const off = await createInferenceServer({ models: [zeroCostModel], jitter: 0, api: null });
const results = { on: [] as number[], off: [] as number[] };
await measure(on);
await measure(off);
for (let round = 0; round < ROUNDS; round++) {
  results.off.push(await measure(off));
  results.on.push(await measure(on));
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(`example server throughput — ${CONCURRENCY} streaming clients, 16 tokens each, step time 0, ${ROUNDS} interleaved rounds of ${ROUND_MS / 1000}s`);
console.log(`  instrumentation off: ${median(results.off).toFixed(0)} req/s   (rounds: ${results.off.map((r) => r.toFixed(0)).join(', ')})`);
console.log(`  instrumentation on:  ${median(results.on).toFixed(0)} req/s   (rounds: ${results.on.map((r) => r.toFixed(0)).join(', ')})`);
console.log(`  ratio on/off (target >= 0.99): ${(median(results.on) / median(results.off)).toFixed(3)}`);
await on.close();
await off.close();
await provider.shutdown();
