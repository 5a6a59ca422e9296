/**
 * Scrape cost of the Ryot Prometheus endpoint beside OTel's own PrometheusExporter
 * serialization and prom-client, for the same series: every synchronous Ryot instrument
 * recorded for 1, 10 and 100 models. The HTTP columns are scrapes from another process
 * (scripts/http-load.mjs, one at a time), so the client's work is not timed as the server's.
 * Prints a table; asserts nothing about timings.
 *
 *   pnpm --filter @ryot/exporters bench
 */
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { ryotViews } from '@ryot/metrics';
import { prometheusName } from '@ryot/metrics/instrumentation';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { startLoadGenerator } from '../../../scripts/http-load.mjs';
import { createPrometheusEndpoint } from '../src/index.js';
import { SYNC_METRICS as SYNC, labelsFor, modelNames, recordEveryInstrument as recordOtel } from './ryot-series.js';

/** The same series in prom-client (names as the OTel exporter writes them, dots sanitized in labels). */
function promClientRegistry(models: string[]): Registry {
  const registry = new Registry();
  for (const definition of SYNC) {
    const name = prometheusName(definition);
    const labelNames = definition.attributes.map((k) => k.replace(/[^a-zA-Z0-9_]/g, '_'));
    const help = definition.description;
    const type = definition.kind === 'counter' ? 'counter' : definition.kind === 'histogram' ? 'histogram' : 'gauge';
    const metric =
      type === 'counter'
        ? new Counter({ name, help, labelNames, registers: [registry] })
        : type === 'histogram'
          ? new Histogram({ name, help, labelNames, buckets: [...(definition.buckets ?? [])], registers: [registry] })
          : new Gauge({ name, help, labelNames, registers: [registry] });
    for (const model of models) {
      const labels = Object.fromEntries(Object.entries(labelsFor(definition, model)).map(([k, v]) => [k.replace(/[^a-zA-Z0-9_]/g, '_'), v]));
      for (let i = 0; i < 5; i++) {
        if (metric instanceof Counter) metric.inc(labels, 1 + i);
        else if (metric instanceof Histogram) metric.observe(labels, 0.05 * (i + 1));
        else metric.set(labels, 0.05 * (i + 1));
      }
    }
  }
  return registry;
}

async function time(iterations: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.max(5, iterations / 10); i++) await fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await fn();
  return Number(process.hrtime.bigint() - start) / 1e6 / iterations;
}

/** The longest the event loop was held while `fn` ran `iterations` times (resolution 1 ms). */
async function longestBlock(iterations: number, fn: () => Promise<unknown>): Promise<number> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  for (let i = 0; i < iterations; i++) {
    await fn();
    // A path that never leaves the microtask queue would otherwise starve the monitor's timer.
    await new Promise((resolve) => setImmediate(resolve));
  }
  loop.disable();
  return loop.max / 1e6;
}

const scraper = startLoadGenerator();

/** Mean time of `iterations` sequential scrapes from the load-generator process, ms (after a warm-up tenth). */
async function timeScrapes(iterations: number, port: number): Promise<number> {
  const url = `http://127.0.0.1:${port}/metrics`;
  await scraper.run({ url, concurrency: 1, requests: Math.max(5, iterations / 10) });
  const result = await scraper.run({ url, concurrency: 1, requests: iterations });
  if (result.errors > 0) throw new Error(`${result.errors} scrapes of ${url} failed`);
  return result.latencyMs.mean;
}

interface Row {
  models: number;
  series: number;
  ryotMs: number;
  ryotCleanMs: number;
  otelMs: number;
  promMs: number;
  ryotHttpMs: number;
  otelHttpMs: number;
  ryotBlockMs: number;
  otelBlockMs: number;
  ryotBytes: number;
  ryotCleanBytes: number;
  otelBytes: number;
  promBytes: number;
}

async function run(modelCount: number): Promise<Row> {
  const models = modelNames(modelCount);
  const iterations = modelCount >= 100 ? 40 : 200;

  // No reuse window: every scrape here is a full collect-and-serialize (see scrape-storm.bench.ts for sharing).
  const ryot = createPrometheusEndpoint({ scrapeCacheMs: 0 });
  const ryotProvider = new MeterProvider({ views: ryotViews(), readers: [ryot.reader] });
  recordOtel(ryotProvider, models);

  const clean = createPrometheusEndpoint({ withoutScopeInfo: true, withoutTargetInfo: true, scrapeCacheMs: 0 });
  const cleanProvider = new MeterProvider({ views: ryotViews(), readers: [clean.reader] });
  recordOtel(cleanProvider, models);

  // OTel's own path: what getMetricsRequestHandler does (collect, then its serializer).
  const otel = new PrometheusExporter({ preventServerStart: true });
  const otelProvider = new MeterProvider({ views: ryotViews(), readers: [otel] });
  recordOtel(otelProvider, models);
  const otelSerializer = new PrometheusSerializer();
  const otelRender = async () => otelSerializer.serialize((await otel.collect()).resourceMetrics);

  const registry = promClientRegistry(models);

  const ryotText = await ryot.render();
  const row: Row = {
    models: modelCount,
    series: ryotText.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length,
    ryotMs: await time(iterations, () => ryot.render()),
    ryotCleanMs: await time(iterations, () => clean.render()),
    otelMs: await time(iterations, otelRender),
    promMs: await time(iterations, () => registry.metrics()),
    ryotHttpMs: 0,
    otelHttpMs: 0,
    ryotBlockMs: await longestBlock(Math.ceil(iterations / 4), () => ryot.render()),
    otelBlockMs: await longestBlock(Math.ceil(iterations / 4), otelRender),
    ryotBytes: Buffer.byteLength(ryotText),
    ryotCleanBytes: Buffer.byteLength(await clean.render()),
    otelBytes: Buffer.byteLength(await otelRender()),
    promBytes: Buffer.byteLength(await registry.metrics()),
  };

  // End to end over loopback HTTP: Ryot's handler vs OTel's getMetricsRequestHandler.
  const ryotServer = createServer(ryot.handler);
  const otelServer = createServer((req, res) => otel.getMetricsRequestHandler(req, res));
  for (const server of [ryotServer, otelServer]) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const ryotPort = (ryotServer.address() as AddressInfo).port;
  const otelPort = (otelServer.address() as AddressInfo).port;
  row.ryotHttpMs = await timeScrapes(iterations, ryotPort);
  row.otelHttpMs = await timeScrapes(iterations, otelPort);
  for (const server of [ryotServer, otelServer]) await new Promise((resolve) => server.close(resolve));

  await Promise.all([ryotProvider.shutdown(), cleanProvider.shutdown(), otelProvider.shutdown()]);
  return row;
}

const rows: Row[] = [];
await run(10); // warm the JIT for every path before measuring, so the first row is not penalized
for (const models of [1, 10, 100]) rows.push(await run(models));
await scraper.close();

const ms = (v: number) => v.toFixed(3);
const kb = (v: number) => (v / 1024).toFixed(1);
const ratio = (a: number, b: number) => (a / b).toFixed(2);
console.log(`Node ${process.version}; ${SYNC.length} synchronous Ryot instruments recorded per model; mean per scrape.\n`);
console.table(
  rows.map((r) => ({
    models: r.models,
    samples: r.series,
    'ryot ms': ms(r.ryotMs),
    'ryot clean ms': ms(r.ryotCleanMs),
    'otel ms': ms(r.otelMs),
    'prom-client ms': ms(r.promMs),
    'ryot/otel': ratio(r.ryotMs, r.otelMs),
    'ryot/prom-client': ratio(r.ryotMs, r.promMs),
    'http ryot ms': ms(r.ryotHttpMs),
    'http otel ms': ms(r.otelHttpMs),
    'ryot longest loop block ms': r.ryotBlockMs.toFixed(1),
    'otel longest loop block ms': r.otelBlockMs.toFixed(1),
  })),
);
console.table(
  rows.map((r) => ({
    models: r.models,
    'ryot KiB': kb(r.ryotBytes),
    'ryot clean KiB': kb(r.ryotCleanBytes),
    'otel KiB': kb(r.otelBytes),
    'prom-client KiB': kb(r.promBytes),
    'clean/prom-client': ratio(r.ryotCleanBytes, r.promBytes),
  })),
);
console.log('"clean" = withoutScopeInfo + withoutTargetInfo. Ryot serializes one metric family per event-loop turn, so its mean');
console.log('time per scrape includes those turns; its longest loop block is what other requests wait. Benchmarks report; they never assert timings.');
