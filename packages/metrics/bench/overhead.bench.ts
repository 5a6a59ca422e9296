/**
 * Overhead of the tracking wrappers against the raw OTel calls they replace, measured in
 * one process with interleaved rounds. Prints ratios; asserts nothing (timings are noisy).
 */
import { metrics } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { createRyot, ryotViews } from '../src/index.js';
import { METRICS, createInstrument } from '../src/instrumentation.js';

const exporter = new PrometheusExporter({ preventServerStart: true });
const provider = new MeterProvider({ readers: [exporter], views: ryotViews() });
metrics.setGlobalMeterProvider(provider);
const api = createRyot({ meterProvider: provider });
const meter = provider.getMeter('bench-baseline');
const raw = {
  requests: createInstrument(meter, METRICS.requests),
  duration: createInstrument(meter, METRICS.requestDuration),
  inFlight: createInstrument(meter, METRICS.requestsInFlight),
  itl: createInstrument(meter, METRICS.interTokenLatency),
};
const modelAttrs = { model: 'bench' };
const successAttrs = { model: 'bench', status: 'success' };

const ROUNDS = 9;
const REQUESTS = 20_000;
const TOKENS = 200_000;

async function work(): Promise<number> {
  return 1;
}

async function rawRequest(): Promise<number> {
  const start = performance.now();
  raw.inFlight.add(1, modelAttrs);
  try {
    return await work();
  } finally {
    raw.inFlight.add(-1, modelAttrs);
    raw.requests.add(1, successAttrs);
    raw.duration.record((performance.now() - start) / 1000, modelAttrs);
  }
}
const trackedRequest = api.trackInferenceRequest({ model: 'bench' })(work);

async function* tokens(count: number): AsyncGenerator<number> {
  for (let i = 0; i < count; i++) yield i;
}
const trackedTokens = api.trackTokenGeneration({ model: 'bench' })(tokens);

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const requestRaw: number[] = [];
  const requestTracked: number[] = [];
  const iteratePlain: number[] = [];
  const iterateTracked: number[] = [];
  const recordOnly: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const a = await timeIt(async () => {
      for (let i = 0; i < REQUESTS; i++) await rawRequest();
    });
    const b = await timeIt(async () => {
      for (let i = 0; i < REQUESTS; i++) await trackedRequest();
    });
    const c = await timeIt(async () => {
      for await (const token of tokens(TOKENS)) void token;
    });
    const d = await timeIt(async () => {
      for await (const token of trackedTokens(TOKENS)) void token;
    });
    const e = await timeIt(async () => {
      // The same per-token work written by hand: a timestamp and one raw histogram.record per gap.
      let last = performance.now();
      for await (const token of tokens(TOKENS)) {
        const now = performance.now();
        raw.itl.record((now - last) / 1000, modelAttrs);
        last = now;
        void token;
      }
    });
    if (round === 0) continue; // warm-up
    requestRaw.push(a / REQUESTS);
    requestTracked.push(b / REQUESTS);
    iteratePlain.push(c / TOKENS);
    iterateTracked.push(d / TOKENS);
    recordOnly.push(e / TOKENS);
  }
  const rawReq = median(requestRaw);
  const trackedReq = median(requestTracked);
  const perTokenOverhead = median(iterateTracked) - median(iteratePlain);
  const record = median(recordOnly) - median(iteratePlain);
  const rows = [
    ['request: raw OTel calls (ns/request)', rawReq.toFixed(0)],
    ['request: trackInferenceRequest (ns/request)', trackedReq.toFixed(0)],
    ['request ratio (target <= 1.15)', (trackedReq / rawReq).toFixed(3)],
    ['stream: plain iteration (ns/token)', median(iteratePlain).toFixed(0)],
    ['stream: trackTokenGeneration iteration (ns/token)', median(iterateTracked).toFixed(0)],
    ['stream: wrapper overhead (ns/token)', perTokenOverhead.toFixed(0)],
    ['stream: hand-written timestamp + raw record (ns/token)', record.toFixed(0)],
    ['per-token ratio wrapper/raw record (target <= 1.15)', (perTokenOverhead / record).toFixed(3)],
  ];
  const width = Math.max(...rows.map(([label]) => label!.length));
  console.log(`@ryot/metrics overhead — Node ${process.version}, median of ${ROUNDS} interleaved rounds`);
  for (const [label, value] of rows) console.log(`  ${label!.padEnd(width)}  ${value}`);
  await provider.shutdown();
}

void main();
