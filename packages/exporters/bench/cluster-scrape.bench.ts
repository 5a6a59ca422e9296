/**
 * Cluster-mode scrape cost: a primary and 2 or 4 workers (node:cluster, startTelemetry({ cluster: true })), each
 * worker recording every synchronous Ryot instrument for 10 or 100 models, against one process recording the same
 * models without cluster mode. Scrapes come one after another from a separate process (as one Prometheus would),
 * with Accept-Encoding: gzip; the primary reports its own event-loop delay. Then, in this process, what one worker
 * sends per scrape over the IPC channel and what the primary spends decoding and merging it. Reports; asserts nothing.
 *
 *   pnpm --filter @ryot/exporters exec tsx bench/cluster-scrape.bench.ts
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SnapshotDecoder, SnapshotEncoder, type WireSnapshot } from '../src/cluster/codec.js';
import { mergeSources } from '../src/cluster/merge.js';
import { workerCollection } from './ryot-series.js';
import { stormFromChild } from './storm.js';

const app = fileURLToPath(new URL('./cluster-app.ts', import.meta.url));
const SCRAPES = 20;

async function measureTree(models: number, workers: number): Promise<Record<string, string | number>> {
  const child = spawn(process.execPath, ['--import', 'tsx', app], {
    env: { ...process.env, MODELS: String(models), WORKERS: String(workers) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(String((await lines.next()).value)) as Record<string, number | string>;
  try {
    const { url } = (await next()) as { url: string };
    const text = await (await fetch(url)).text();
    const samples = text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
    for (let i = 0; i < 3; i++) await (await fetch(url)).arrayBuffer();
    child.stdin!.write('reset\n');
    await next();
    const storm = await stormFromChild(url, SCRAPES, undefined, { sequential: true });
    child.stdin!.write('report\n');
    const loop = await next();
    return {
      models,
      processes: workers === 0 ? 'one process' : `primary + ${workers} workers`,
      samples,
      'scrape p50 ms': Math.round(storm.p50Ms),
      'scrape max ms': Math.round(storm.maxMs),
      'gzip KiB': Math.round(storm.bytes / SCRAPES / 1024),
      'primary loop max ms': Math.round(Number(loop['loopMaxMs'])),
    };
  } finally {
    child.stdin!.end();
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

function msPer(iterations: number, fn: () => unknown): number {
  fn();
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return (performance.now() - start) / iterations;
}

const rows: Record<string, string | number>[] = [];
for (const models of [10, 100]) for (const workers of [0, 2, 4]) rows.push(await measureTree(models, workers));
console.log(`Node ${process.version}; every synchronous Ryot instrument recorded per model in each worker; ${SCRAPES} consecutive gzip scrapes from a separate process.\n`);
console.table(rows);

const ipc: Record<string, string | number>[] = [];
for (const models of [10, 100]) {
  const collected = await workerCollection(models);
  const encoder = new SnapshotEncoder();
  const first = JSON.stringify(encoder.encode(collected));
  const steady = JSON.stringify(encoder.encode(collected));
  // The primary keeps one decoder per worker: from the second snapshot on, attribute sets are known objects.
  const decoders = [1, 2, 3, 4].map(() => new SnapshotDecoder());
  for (const decoder of decoders) decoder.decode(JSON.parse(first) as WireSnapshot);
  const decodeAll = () => decoders.map((decoder, i) => ({ instanceId: `w${i}`, scopeMetrics: decoder.decode(JSON.parse(steady) as WireSnapshot) }));
  ipc.push({
    models,
    'first snapshot KiB': Math.round(Buffer.byteLength(first) / 1024),
    'later snapshots KiB': Math.round(Buffer.byteLength(steady) / 1024),
    'encode + JSON ms (worker)': msPer(20, () => JSON.stringify(encoder.encode(collected))).toFixed(2),
    'JSON + decode ms (primary, per worker)': msPer(20, () => decoders[0]!.decode(JSON.parse(steady) as WireSnapshot)).toFixed(2),
    'merge 4 workers ms (primary)': msPer(20, () => mergeSources(decodeAll())).toFixed(2),
  });
}
console.log('\nWhat one worker hands the primary at each scrape (Node default `json` IPC serialization), measured in this process:\n');
console.table(ipc);
console.log('Benchmarks report; they never assert timings.');
