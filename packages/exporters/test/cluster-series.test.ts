/**
 * The series counts of the root README's "Running at scale" table, measured: every synchronous Ryot instrument
 * recorded for N models in each of M workers, their collections sent through JSON as the cluster IPC channel sends
 * them, merged and served through the Prometheus endpoint; against one process recording the same models.
 */
import { readFileSync } from 'node:fs';
import { MeterProvider, type ScopeMetrics } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { ryotViews } from '@ryot/metrics';
import { modelNames, recordEveryInstrument, workerCollection } from '../bench/ryot-series.js';
import { SnapshotDecoder, SnapshotEncoder, type WireSnapshot } from '../src/cluster/codec.js';
import { mergeSources } from '../src/cluster/merge.js';
import { WORKER_STATES } from '../src/cluster/primary.js';
import { createPrometheusEndpoint } from '../src/index.js';

const README = new URL('../../../README.md', import.meta.url);

/** A worker's collection as the primary gets it: through JSON, as the cluster IPC channel sends it. */
async function throughIpc(models: number): Promise<ScopeMetrics[]> {
  const collected = await workerCollection(models);
  return new SnapshotDecoder().decode(JSON.parse(JSON.stringify(new SnapshotEncoder().encode(collected))) as WireSnapshot);
}

/** Samples (lines that are not comments) in the /metrics of one replica: one process (workers 0) or a cluster primary. */
async function samplesPerReplica(models: number, workers: number): Promise<number> {
  const sources = await Promise.all(Array.from({ length: workers }, async (_, i) => ({ instanceId: `host-1-worker-${i + 1}`, scopeMetrics: await throughIpc(models) })));
  const endpoint = createPrometheusEndpoint(
    {},
    workers === 0
      ? {}
      : {
          collect: async (collectLocal) => {
            const local = await collectLocal();
            return { resourceMetrics: { ...local.resourceMetrics, scopeMetrics: mergeSources([{ instanceId: 'host-1', scopeMetrics: local.resourceMetrics.scopeMetrics }, ...sources]) }, errors: [] };
          },
        },
  );
  const provider = new MeterProvider({ views: ryotViews(), readers: [endpoint.reader] });
  if (workers === 0) recordEveryInstrument(provider, modelNames(models));
  const text = await endpoint.render();
  await provider.shutdown();
  const samples = text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
  // A cluster primary also serves ryot_cluster_workers, one sample per state.
  return workers === 0 ? samples : samples + WORKER_STATES.length;
}

/** The rows of the README table between the series-table markers: model count, then the numbers, commas removed. */
function readmeTable(): number[][] {
  const text = readFileSync(README, 'utf8');
  const table = /<!-- series-table -->([\s\S]*?)<!-- \/series-table -->/.exec(text)?.[1];
  if (!table) throw new Error('README.md has no <!-- series-table --> block');
  return table
    .split('\n')
    .filter((line) => /^\|\s*\d/.test(line))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => Number(cell.replace(/[,\s]/g, ''))),
    );
}

describe('series counts at scale (README "Running at scale")', () => {
  it('per replica for 1, 10 and 100 models, one process or 2 or 4 workers, and the totals for 3 and 10 replicas', async () => {
    const rows = readmeTable();
    expect(rows.map((row) => row[0])).toEqual([1, 10, 100]);
    for (const [models, one, two, four, three, ten] of rows as [number, number, number, number, number, number][]) {
      const measured = [await samplesPerReplica(models, 0), await samplesPerReplica(models, 2), await samplesPerReplica(models, 4)];
      expect([one, two, four], `${models} models`).toEqual(measured);
      // Replicas are alike: each adds its own copy of every series (they differ by their instance label).
      expect([three, ten]).toEqual([3 * measured[2]!, 10 * measured[2]!]);
    }
  }, 60_000);
});
