/**
 * The server side of bench/cluster-scrape.bench.ts: a node:cluster tree in cluster mode with WORKERS workers (0: one
 * process without cluster mode, the baseline), each recording every synchronous Ryot instrument for MODELS models.
 * Prints {"url":...} once every worker recorded; on each stdin line prints the primary's event-loop delay since the
 * previous line ({"loopMaxMs":...,"loopP99Ms":...}); exits when stdin closes.
 */
import cluster from 'node:cluster';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { metrics } from '@opentelemetry/api';
import { startTelemetry } from '../src/index.js';
import { modelNames, recordEveryInstrument } from './ryot-series.js';

const workers = Number(process.env['WORKERS'] ?? 0);
const models = modelNames(Number(process.env['MODELS'] ?? 10));
const telemetry = await startTelemetry({
  serviceName: 'cluster-bench',
  prometheus: { host: '127.0.0.1', port: 0, scrapeCacheMs: 0 },
  gpu: false,
  ...(workers > 0 ? { cluster: { workerTimeoutMs: 5000 } } : {}),
});

if (cluster.isWorker) {
  recordEveryInstrument(metrics.getMeterProvider(), models);
  process.send?.({ benchReady: true });
} else {
  if (workers === 0) recordEveryInstrument(metrics.getMeterProvider(), models);
  let ready = 0;
  await new Promise<void>((resolve) => {
    if (workers === 0) return resolve();
    cluster.on('message', (_worker, message: { benchReady?: boolean }) => {
      if (message?.benchReady && ++ready === workers) resolve();
    });
    for (let i = 0; i < workers; i++) cluster.fork();
  });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  process.stdout.write(`${JSON.stringify({ url: telemetry.prometheus?.url })}\n`);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', () => {
    process.stdout.write(`${JSON.stringify({ loopMaxMs: loop.max / 1e6, loopP99Ms: loop.percentile(99) / 1e6 })}\n`);
    loop.reset();
  });
  lines.on('close', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
    process.exit(0);
  });
}
