/**
 * Scrape storm: N concurrent authorized scrapes of 100 models' series, fired from a
 * separate process, while this process (the server) measures its event-loop delay.
 * "plain" is the baseline, a full collect and serialization per scrape (OTel's own
 * getMetricsRequestHandler, as Ryot's handler did before single flight); "ryot" is
 * Ryot's handler with its defaults; "ryot, cap N" lifts the concurrency cap so that
 * single flight alone serves every scrape. Reports; asserts nothing about timings.
 *
 *   pnpm --filter @ryot/exporters exec tsx bench/scrape-storm.bench.ts
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { ryotViews } from '@ryot/metrics';
import { bearerTokenMatches, createPrometheusEndpoint } from '../src/index.js';
import { modelNames, recordEveryInstrument } from './ryot-series.js';
import { stormFromChild, type MeasuredStorm } from './storm.js';

const MODELS = 100;
const TOKEN = 'storm-token';

interface Variant {
  name: string;
  build(): { reader: IMetricReader; listener: RequestListener };
}

function plainVariant(): Variant {
  return {
    name: 'plain (collect per scrape)',
    build() {
      const reader = new PrometheusExporter({ preventServerStart: true });
      return {
        reader,
        listener: (req, res) => {
          if (!bearerTokenMatches(req.headers.authorization, TOKEN)) return void res.writeHead(401).end();
          reader.getMetricsRequestHandler(req, res);
        },
      };
    },
  };
}

function ryotVariant(name: string, maxConcurrentScrapes?: number): Variant {
  return {
    name,
    build() {
      const endpoint = createPrometheusEndpoint({ bearerToken: TOKEN, ...(maxConcurrentScrapes ? { maxConcurrentScrapes } : {}) });
      return { reader: endpoint.reader, listener: endpoint.handler };
    },
  };
}

async function measure(variant: Variant, scrapes: number): Promise<MeasuredStorm & { collects: number }> {
  const { reader, listener } = variant.build();
  const provider = new MeterProvider({ views: ryotViews(), readers: [reader] });
  recordEveryInstrument(provider, modelNames(MODELS));
  let collects = 0;
  provider.getMeter('storm-bench').createObservableGauge('storm_bench_collects').addCallback(() => void collects++);
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  try {
    return { ...(await stormFromChild(url, scrapes, TOKEN)), collects };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await provider.shutdown();
  }
}

const rows: Record<string, string | number>[] = [];
for (const scrapes of [100, 300]) {
  for (const variant of [plainVariant(), ryotVariant('ryot (defaults)'), ryotVariant(`ryot, cap ${scrapes}`, scrapes)]) {
    const r = await measure(variant, scrapes);
    rows.push({
      scrapes,
      handler: variant.name,
      'wall ms': Math.round(r.wallMs),
      'p50 ms': Math.round(r.p50Ms),
      'max ms': Math.round(r.maxMs),
      'server loop delay max ms': Math.round(r.loopDelayMaxMs),
      'loop p99 ms': Math.round(r.loopDelayP99Ms),
      collects: r.collects,
      'answered 200': r.statuses['200'] ?? 0,
      'answered 503': r.statuses['503'] ?? 0,
      other: r.count - (r.statuses['200'] ?? 0) - (r.statuses['503'] ?? 0),
      'MiB sent': (r.bytes / 2 ** 20).toFixed(1),
    });
  }
}
console.log(`Node ${process.version}; scrape storm on ${MODELS} models (every synchronous Ryot instrument), load from a separate process, Accept-Encoding: gzip.\n`);
console.table(rows);
console.log('Benchmarks report; they never assert timings.');
