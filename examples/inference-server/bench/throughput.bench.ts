/**
 * Example-server throughput with instrumentation on (Ryot recording into a MeterProvider
 * with a Prometheus reader carrying its producer; and, for comparison, without the producer,
 * through the OTel instruments) and off (the same server with no Ryot calls at all), engine
 * step time 0, fixed concurrency, interleaved rounds. The load comes from another process
 * (scripts/http-load.mjs), so this process's CPU time is the server's alone: it is reported
 * per request, on and off, and their difference is what Ryot costs a request. Prints; asserts nothing.
 */
import { cpus } from 'node:os';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { createRyot, ryotViews } from '@ryot/metrics';
import { startLoadGenerator, type LoadJob } from '../../../scripts/http-load.mjs';
import { createInferenceServer, type InferenceServer } from '../src/index.js';

const CONCURRENCY = 16;
const TOKENS = 16;
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

interface Round {
  requestsPerSecond: number;
  /** Server-process CPU (user + system) per completed request, µs. */
  cpuMicrosPerRequest: number;
  /** The load generator's CPU per request, µs. */
  clientMicrosPerRequest: number;
  errors: number;
}

const load = startLoadGenerator();

async function measure(server: InferenceServer, durationMs = ROUND_MS): Promise<Round> {
  const job: LoadJob = {
    url: `${server.url}/v1/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'bench', stream: true, max_tokens: TOKENS, messages: [{ role: 'user', content: 'hello' }] }),
    concurrency: CONCURRENCY,
    durationMs,
  };
  const before = process.cpuUsage();
  const result = await load.run(job);
  const cpu = process.cpuUsage(before);
  return {
    requestsPerSecond: result.requests / result.seconds,
    cpuMicrosPerRequest: (cpu.user + cpu.system) / Math.max(1, result.requests),
    clientMicrosPerRequest: result.cpuMicrosPerRequest,
    errors: result.errors,
  };
}

/** A server recording into its own instance: Ryot's aggregation through the producer, or the OTel instruments path. */
async function instrumented(ownAggregation: boolean): Promise<{ server: InferenceServer; provider: MeterProvider }> {
  const api = createRyot({});
  const exporter = new PrometheusExporter({ preventServerStart: true, ...(ownAggregation ? { metricProducers: [api.metricProducer()] } : {}) });
  const provider = new MeterProvider({ readers: [exporter], views: ryotViews() });
  api.configure({ meterProvider: provider });
  return { server: await createInferenceServer({ models: [zeroCostModel], jitter: 0, api }), provider };
}

const owned = await instrumented(true);
const instruments = await instrumented(false);
const off = await createInferenceServer({ models: [zeroCostModel], jitter: 0, api: null });
const on = owned.server;
const results = { on: [] as Round[], instruments: [] as Round[], off: [] as Round[] };
await measure(on, 1000); // warm every server's JIT
await measure(instruments.server, 1000);
await measure(off, 1000);
for (let round = 0; round < ROUNDS; round++) {
  results.off.push(await measure(off));
  results.on.push(await measure(on));
  results.instruments.push(await measure(instruments.server));
}
await load.close();

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rps = (rounds: Round[]) => median(rounds.map((r) => r.requestsPerSecond));
const cpuPerRequest = (rounds: Round[]) => median(rounds.map((r) => r.cpuMicrosPerRequest));
const list = (rounds: Round[], pick: (r: Round) => number) => rounds.map((r) => pick(r).toFixed(0)).join(', ');
const errors = [...results.on, ...results.instruments, ...results.off].reduce((sum, r) => sum + r.errors, 0);
const ryotMicros = cpuPerRequest(results.on) - cpuPerRequest(results.off);

console.log(
  `example server throughput: load from a separate process (${CONCURRENCY} keep-alive streaming clients, ${TOKENS} tokens each), ` +
    `step time 0, ${ROUNDS} interleaved rounds of ${ROUND_MS / 1000}s; Node ${process.version}, ${cpus().length} CPUs`,
);
console.log(`  instrumentation off: ${rps(results.off).toFixed(0)} req/s, server CPU ${cpuPerRequest(results.off).toFixed(0)} µs/request   (rounds: ${list(results.off, (r) => r.requestsPerSecond)} req/s)`);
console.log(`  instrumentation on:  ${rps(results.on).toFixed(0)} req/s, server CPU ${cpuPerRequest(results.on).toFixed(0)} µs/request   (rounds: ${list(results.on, (r) => r.requestsPerSecond)} req/s)`);
console.log(`  on, OTel instruments path (no producer): ${rps(results.instruments).toFixed(0)} req/s, server CPU ${cpuPerRequest(results.instruments).toFixed(0)} µs/request`);
console.log(`  throughput on/off: ${(rps(results.on) / rps(results.off)).toFixed(3)} (instruments path: ${(rps(results.instruments) / rps(results.off)).toFixed(3)})`);
console.log(`  server CPU on/off: ${(cpuPerRequest(results.on) / cpuPerRequest(results.off)).toFixed(3)}; Ryot's share: ${ryotMicros.toFixed(0)} µs per request, ${(ryotMicros / TOKENS).toFixed(2)} µs per token`);
console.log(`  load generator CPU: ${median([...results.on, ...results.off].map((r) => r.clientMicrosPerRequest)).toFixed(0)} µs/request (when near the server's, the client, not the server, limits throughput)`);
if (errors > 0) console.log(`  (${errors} requests failed)`);
await on.close();
await instruments.server.close();
await off.close();
await owned.provider.shutdown();
await instruments.provider.shutdown();
