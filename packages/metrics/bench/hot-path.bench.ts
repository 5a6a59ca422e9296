/**
 * The hot path against what a Node SRE would use instead, in one process, interleaved rounds:
 *
 *   per token (net of bare iteration): Ryot (its own aggregation, and the OTel-instruments fallback), the raw OTel
 *     record per gap, prom-client's histogram.observe per gap, and the floor (now() + a typed-array bucket++);
 *   per request (a no-op async function; in flight +1/−1, a counter, a histogram): the same four, and Ryot with
 *     everything issue 16 adds per request switched on (finish reason, prompt-token histogram, goodput against
 *     two targets, a bill of two token types, a tenant label);
 *   per request, the calls a serving loop makes (16 requests batched, 16 tokens each: start with an AbortSignal, a
 *     queue ticket, a cache lookup, a batch size and a KV-cache reading per step, engine phase timings, a finish
 *     reason, end), against prom-client recording the same series; net of creating the AbortController;
 *   memory per model after the first collection, with every per-request series recorded.
 *
 * Prints medians and spread; asserts nothing (timings on shared machines are noisy).
 */
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Counter, Gauge, Histogram as PromHistogram, Registry } from 'prom-client';
import { createRyot, ryotViews, type RyotApi, type RyotOptions } from '../src/index.js';
import { METRICS, createInstrument } from '../src/instrumentation.js';
import { TestReader } from '../src/testing.js';

const ROUNDS = 11;
const TOKENS = 200_000;
const REQUESTS = 20_000;

/** SLO targets, prices and tenants: every per-request record of issue 16 on. */
const FULL: RyotOptions = {
  slo: { default: { ttftSeconds: 1, e2eSeconds: 10 } },
  prices: { default: { inputPerMillion: 3, outputPerMillion: 15 } },
  tenants: { allow: ['acme'] },
};

function ryotInstance(owned: boolean, options: RyotOptions = {}): { api: RyotApi; reader: TestReader } {
  const api = createRyot(options);
  const reader = new TestReader(owned ? { metricProducers: [api.metricProducer()] } : {});
  api.configure({ meterProvider: new MeterProvider({ readers: [reader], views: ryotViews() }) });
  return { api, reader };
}

const owned = ryotInstance(true);
const instruments = ryotInstance(false);
const ownedFull = ryotInstance(true, FULL);
const instrumentsFull = ryotInstance(false, FULL);

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
const fullOptions = { model: 'bench', tenant: 'acme', usage: () => ({ promptTokens: 120, completionTokens: 40, finishReason: 'stop' }) };
const ownedFullRequest = ownedFull.api.trackInferenceRequest(fullOptions)(work);
const instrumentFullRequest = instrumentsFull.api.trackInferenceRequest(fullOptions)(work);

const perRequest: Record<string, () => Promise<void>> = {
  'Ryot (own aggregation)': async () => {
    for (let i = 0; i < REQUESTS; i++) await ownedRequest();
  },
  'Ryot (OTel instruments path)': async () => {
    for (let i = 0; i < REQUESTS; i++) await instrumentRequest();
  },
  'Ryot (own aggregation), + issue 16': async () => {
    for (let i = 0; i < REQUESTS; i++) await ownedFullRequest();
  },
  'Ryot (instruments path), + issue 16': async () => {
    for (let i = 0; i < REQUESTS; i++) await instrumentFullRequest();
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

const SERVING_BATCH = 16;
const SERVING_TOKENS = 16;
const SERVING_REQUESTS = 8_000;

/** The Ryot calls of the example server's engine loop, per batch of requests; `signal` false leaves the option out. */
function servingLoop(api: RyotApi, signal: boolean): () => Promise<void> {
  return async () => {
    for (let b = 0; b < SERVING_REQUESTS / SERVING_BATCH; b++) {
      const batch = [];
      for (let i = 0; i < SERVING_BATCH; i++) {
        const controller = new AbortController();
        const abortSignal = controller.signal; // created either way: the baseline subtracted includes it
        const ctx = api.startInference({ model: 'bench', promptTokens: 12, ...(signal ? { signal: abortSignal } : {}) });
        batch.push({ ctx, ticket: api.enqueue('bench'), controller });
      }
      for (const { ticket } of batch) {
        ticket.dequeue();
        api.recordCacheLookup({ model: 'bench', hit: false });
      }
      for (let t = 0; t < SERVING_TOKENS; t++) {
        api.recordBatch({ model: 'bench', size: SERVING_BATCH });
        for (const { ctx } of batch) ctx.recordToken();
        api.setKvCacheUsage({ model: 'bench', ratio: 0.01 });
      }
      for (const { ctx, ticket } of batch) {
        ticket.abandon();
        ctx.setEngineTimings({ prefillSeconds: 0.001, decodeSeconds: 0.015 });
        ctx.setFinishReason('length');
        ctx.end();
      }
    }
  };
}

const promServing = {
  queueWait: new PromHistogram({ name: 'ryot_inference_queue_wait_seconds', help: 'h', labelNames: ['model'], buckets: [...METRICS.queueWait.buckets], registers: [registry] }),
  ttft: new PromHistogram({ name: 'ryot_inference_ttft_seconds', help: 'h', labelNames: ['model'], buckets: [...METRICS.timeToFirstToken.buckets], registers: [registry] }),
  tokens: new Counter({ name: 'ryot_tokens_generated_total', help: 'h', labelNames: ['model'], registers: [registry] }),
  tokensPerRequest: new PromHistogram({ name: 'ryot_tokens_per_request', help: 'h', labelNames: ['model'], buckets: [...METRICS.tokensPerRequest.buckets], registers: [registry] }),
  prefill: new PromHistogram({ name: 'ryot_inference_prefill_seconds', help: 'h', labelNames: ['model'], buckets: [...METRICS.prefillDuration.buckets], registers: [registry] }),
  decode: new PromHistogram({ name: 'ryot_inference_decode_seconds', help: 'h', labelNames: ['model'], buckets: [...METRICS.decodeDuration.buckets], registers: [registry] }),
  finished: new Counter({ name: 'ryot_inference_finished_total', help: 'h', labelNames: ['model', 'finish_reason'], registers: [registry] }),
  cacheLookups: new Counter({ name: 'ryot_cache_lookups_total', help: 'h', labelNames: ['model'], registers: [registry] }),
  batch: new PromHistogram({ name: 'ryot_batch_size', help: 'h', labelNames: ['model'], buckets: [...METRICS.batchSize.buckets], registers: [registry] }),
  kvCache: new Gauge({ name: 'ryot_kv_cache_usage_ratio', help: 'h', labelNames: ['model'], registers: [registry] }),
};
const promLength = { model: 'bench', finish_reason: 'length' };

/** The same series recorded with prom-client by hand: what a Node SRE writes instead. */
async function promServingLoop(): Promise<void> {
  for (let b = 0; b < SERVING_REQUESTS / SERVING_BATCH; b++) {
    const batch = [];
    for (let i = 0; i < SERVING_BATCH; i++) {
      const controller = new AbortController();
      const request = { start: performance.now(), last: 0, tokens: 0, controller, onAbort: () => {} };
      controller.signal.addEventListener('abort', request.onAbort, { once: true });
      prom.inFlight.inc(promModel);
      batch.push(request);
    }
    for (const request of batch) {
      promServing.queueWait.observe(promModel, (performance.now() - request.start) / 1000);
      promServing.cacheLookups.inc(promModel);
    }
    for (let t = 0; t < SERVING_TOKENS; t++) {
      promServing.batch.observe(promModel, SERVING_BATCH);
      for (const request of batch) {
        const now = performance.now();
        if (request.tokens === 0) promServing.ttft.observe(promModel, (now - request.start) / 1000);
        else prom.itl.observe(promModel, (now - request.last) / 1000);
        request.last = now;
        request.tokens++;
      }
      promServing.kvCache.set(promModel, 0.01);
    }
    for (const request of batch) {
      request.controller.signal.removeEventListener('abort', request.onAbort);
      prom.inFlight.dec(promModel);
      prom.requests.inc(promSuccess);
      promServing.finished.inc(promLength);
      prom.duration.observe(promModel, (performance.now() - request.start) / 1000);
      promServing.tokens.inc(promModel, request.tokens);
      promServing.tokensPerRequest.observe(promModel, request.tokens);
      promServing.prefill.observe(promModel, 0.001);
      promServing.decode.observe(promModel, 0.015);
    }
  }
}

const perServedRequest: Record<string, () => Promise<void>> = {
  'AbortController + signal alone': async () => {
    for (let i = 0; i < SERVING_REQUESTS; i++) void new AbortController().signal;
  },
  'Ryot (own aggregation)': servingLoop(owned.api, true),
  'Ryot (own aggregation), no signal option': servingLoop(owned.api, false),
  'Ryot (OTel instruments path)': servingLoop(instruments.api, true),
  'prom-client: the same series by hand': promServingLoop,
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
  const servedSamples = await measure(perServedRequest, SERVING_REQUESTS);
  const signalAlone = stats(servedSamples.get('AbortController + signal alone')!).median;
  const promServed = stats(servedSamples.get('prom-client: the same series by hand')!).median - signalAlone;
  console.log(`per request, a serving loop's calls (${SERVING_BATCH} batched, ${SERVING_TOKENS} tokens; ns, net of the AbortController)`);
  for (const [name, values] of servedSamples) {
    if (name === 'AbortController + signal alone') continue;
    const s = stats(values.map((v) => v - signalAlone));
    console.log(`  ${name.padEnd(40)} ${s.median.toFixed(0).padStart(6)}   [${s.low.toFixed(0)}..${s.high.toFixed(0)}]`.padEnd(70) + (s.median / promServed).toFixed(2));
  }
  console.log(`  (AbortController + signal: ${signalAlone.toFixed(0)} ns; the difference between the first two rows is the abort listener)\n`);
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
