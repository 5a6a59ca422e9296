/**
 * The hot path against what a Node SRE would use instead, in one process, interleaved rounds:
 *
 *   per token (net of bare iteration): Ryot (its own aggregation, and the OTel-instruments fallback), the raw OTel
 *     record per gap, prom-client's histogram.observe per gap, and the floor (now() + a typed-array bucket++);
 *   per request (a no-op async function; in flight +1/−1, a counter, a histogram): the same four;
 *   memory per model after the first collection, with every per-request series recorded.
 *
 * Prints medians and spread; asserts nothing (timings on shared machines are noisy).
 */
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Counter, Gauge, Histogram as PromHistogram, Registry } from 'prom-client';
import { createRyot, ryotViews, type RyotApi } from '../src/index.js';
import { METRICS, createInstrument } from '../src/instrumentation.js';
import { TestReader } from '../src/testing.js';

const ROUNDS = 11;
const TOKENS = 200_000;
const REQUESTS = 20_000;

function ryotInstance(owned: boolean): { api: RyotApi; reader: TestReader } {
  const api = createRyot({});
  const reader = new TestReader(owned ? { metricProducers: [api.metricProducer()] } : {});
  api.configure({ meterProvider: new MeterProvider({ readers: [reader], views: ryotViews() }) });
  return { api, reader };
}

const owned = ryotInstance(true);
const instruments = ryotInstance(false);

const rawProvider = new MeterProvider({ readers: [new TestReader()], views: ryotViews() });
const rawMeter = rawProvider.getMeter('@ryot/metrics');
const raw = {
  requests: createInstrument(rawMeter, METRICS.requests),
  duration: createInstrument(rawMeter, METRICS.requestDuration),
  inFlight: createInstrument(rawMeter, METRICS.requestsInFlight),
  itl: createInstrument(rawMeter, METRICS.interTokenLatency),
};
const modelAttributes = Object.freeze({ model: 'bench' });
const successAttributes = Object.freeze({ model: 'bench', status: 'success' });

const registry = new Registry();
const prom = {
  requests: new Counter({ name: 'ryot_inference_requests_total', help: 'h', labelNames: ['model', 'status'], registers: [registry] }),
  duration: new PromHistogram({ name: 'ryot_inference_request_duration_seconds', help: 'h', labelNames: ['model'], buckets: [...METRICS.requestDuration.buckets], registers: [registry] }),
  inFlight: new Gauge({ name: 'ryot_inference_requests_in_flight', help: 'h', labelNames: ['model'], registers: [registry] }),
  itl: new PromHistogram({ name: 'ryot_inference_inter_token_latency_seconds', help: 'h', labelNames: ['model'], buckets: [...METRICS.interTokenLatency.buckets], registers: [registry] }),
};
const promModel = { model: 'bench' };
const promSuccess = { model: 'bench', status: 'success' };

async function* tokens(count: number): AsyncGenerator<number> {
  for (let i = 0; i < count; i++) yield i;
}

const ownedTokens = owned.api.trackTokenGeneration({ model: 'bench' })(tokens);
const instrumentTokens = instruments.api.trackTokenGeneration({ model: 'bench' })(tokens);
const itlBounds = new Float64Array(METRICS.interTokenLatency.buckets);
const floorCounts = new Float64Array(itlBounds.length + 1);

const perToken: Record<string, () => Promise<void>> = {
  'bare iteration': async () => {
    for await (const token of tokens(TOKENS)) void token;
  },
  'Ryot (own aggregation)': async () => {
    for await (const token of ownedTokens(TOKENS)) void token;
  },
  'Ryot (OTel instruments path)': async () => {
    for await (const token of instrumentTokens(TOKENS)) void token;
  },
  'raw OTel: now() + histogram.record': async () => {
    let last = performance.now();
    for await (const token of tokens(TOKENS)) {
      const now = performance.now();
      raw.itl.record((now - last) / 1000, modelAttributes);
      last = now;
      void token;
    }
  },
  'prom-client: now() + histogram.observe': async () => {
    let last = performance.now();
    for await (const token of tokens(TOKENS)) {
      const now = performance.now();
      prom.itl.observe(promModel, (now - last) / 1000);
      last = now;
      void token;
    }
  },
  'floor: now() + typed-array bucket++': async () => {
    let last = performance.now();
    for await (const token of tokens(TOKENS)) {
      const now = performance.now();
      const gap = (now - last) / 1000;
      let i = 0;
      while (i < itlBounds.length && itlBounds[i]! < gap) i++;
      floorCounts[i]!++;
      last = now;
      void token;
    }
  },
};

async function work(): Promise<number> {
  return 1;
}
const ownedRequest = owned.api.trackInferenceRequest({ model: 'bench' })(work);
const instrumentRequest = instruments.api.trackInferenceRequest({ model: 'bench' })(work);

const perRequest: Record<string, () => Promise<void>> = {
  'Ryot (own aggregation)': async () => {
    for (let i = 0; i < REQUESTS; i++) await ownedRequest();
  },
  'Ryot (OTel instruments path)': async () => {
    for (let i = 0; i < REQUESTS; i++) await instrumentRequest();
  },
  'raw OTel: the four records': async () => {
    for (let i = 0; i < REQUESTS; i++) {
      const start = performance.now();
      raw.inFlight.add(1, modelAttributes);
      await work();
      raw.inFlight.add(-1, modelAttributes);
      raw.requests.add(1, successAttributes);
      raw.duration.record((performance.now() - start) / 1000, modelAttributes);
    }
  },
  'prom-client: the four records': async () => {
    for (let i = 0; i < REQUESTS; i++) {
      const start = performance.now();
      prom.inFlight.inc(promModel);
      await work();
      prom.inFlight.dec(promModel);
      prom.requests.inc(promSuccess);
      prom.duration.observe(promModel, (performance.now() - start) / 1000);
    }
  },
};

async function timeNs(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start);
}

function stats(values: number[]): { median: number; low: number; high: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, low: sorted[0]!, high: sorted[sorted.length - 1]! };
}

async function measure(cases: Record<string, () => Promise<void>>, per: number): Promise<Map<string, number[]>> {
  const samples = new Map<string, number[]>(Object.keys(cases).map((name) => [name, []]));
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [name, fn] of Object.entries(cases)) {
      const ns = await timeNs(fn);
      if (round > 0) samples.get(name)!.push(ns / per);
    }
  }
  return samples;
}

/** Heap per model after the first collection: `models` models with the full set recorded (every record call). */
async function memoryPerModel(ownAggregation: boolean, models: number): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return Number.NaN;
  gc();
  const before = process.memoryUsage().heapUsed;
  const { api, reader } = ryotInstance(ownAggregation);
  for (let m = 0; m < models; m++) {
    const model = `model-${m}`;
    for (const status of ['success', 'error', 'timeout', 'cancelled'] as const) {
      const ctx = api.startInference({ model, promptTokens: 10 });
      ctx.recordToken();
      ctx.recordToken();
      ctx.setCompletionTokens(2);
      if (status === 'success') ctx.end();
      else if (status === 'error') ctx.fail(new Error('x'));
      else ctx.end(status);
    }
    // And every other record call: the full set a busy service exposes per model.
    api.recordCacheLookup({ model, hits: 3, lookups: 4 });
    api.recordBatch({ model, size: 8 });
    api.recordRetry({ model });
    api.updateGpuMetrics({ model, gpuId: 0, usedBytes: 1e9, reservedBytes: 2e9, utilization: 50 });
    api.enqueue(model).dequeue();
    api.recordModelLoad(model, 3);
    api.modelInfo.info({ model, family: 'llama', quantization: 'fp16' });
  }
  await reader.collect();
  gc();
  const after = process.memoryUsage().heapUsed;
  void api;
  return (after - before) / models;
}

async function main(): Promise<void> {
  const tokenSamples = await measure(perToken, TOKENS);
  const requestSamples = await measure(perRequest, REQUESTS);
  const bare = stats(tokenSamples.get('bare iteration')!).median;
  const promToken = stats(tokenSamples.get('prom-client: now() + histogram.observe')!).median - bare;
  console.log(`@ryot/metrics hot path — Node ${process.version}, ${ROUNDS} interleaved rounds, median [min..max]\n`);
  console.log('per token, net of bare iteration (ns)        median   [spread]          ÷ prom-client');
  for (const [name, values] of tokenSamples) {
    if (name === 'bare iteration') continue;
    const s = stats(values.map((v) => v - bare));
    console.log(`  ${name.padEnd(40)} ${s.median.toFixed(0).padStart(6)}   [${s.low.toFixed(0)}..${s.high.toFixed(0)}]`.padEnd(70) + (s.median / promToken).toFixed(2));
  }
  console.log(`  (bare iteration: ${bare.toFixed(0)} ns/token; target for Ryot: <= 0.5 x prom-client)\n`);
  const promRequest = stats(requestSamples.get('prom-client: the four records')!).median;
  console.log('per request, no-op function (ns)             median   [spread]          ÷ prom-client');
  for (const [name, values] of requestSamples) {
    const s = stats(values);
    console.log(`  ${name.padEnd(40)} ${s.median.toFixed(0).padStart(6)}   [${s.low.toFixed(0)}..${s.high.toFixed(0)}]`.padEnd(70) + (s.median / promRequest).toFixed(2));
  }
  console.log('  (target for Ryot: <= 1.0 x prom-client)\n');
  const ownedMemory = await memoryPerModel(true, 200);
  const instrumentMemory = await memoryPerModel(false, 200);
  if (Number.isNaN(ownedMemory)) {
    console.log('memory per model: run with node --expose-gc to measure');
  } else {
    console.log(`memory per model after the first collection (200 models, the full set):`);
    console.log(`  Ryot (own aggregation)        ${(ownedMemory / 1024).toFixed(1)} KiB`);
    console.log(`  Ryot (OTel instruments path)  ${(instrumentMemory / 1024).toFixed(1)} KiB   (target for Ryot: <= 36 KiB)`);
  }
}

void main();
