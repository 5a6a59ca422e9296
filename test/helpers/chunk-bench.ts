/**
 * What the client integrations' per-chunk benchmarks share: a Ryot instance read the way a deployment reads it,
 * and a comparison of iterating a stream plain against iterating it instrumented, interleaved over rounds
 * (median ns/chunk, and the per-round overhead's median [min..max]). Prints numbers only: timings on shared
 * machines are noisy, nothing is asserted.
 */
import { performance } from 'node:perf_hooks';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { RyotApi } from '@ryot/metrics';
import { AGGREGATION_PATHS, createTestRyot, type AggregationPath } from '@ryot/metrics/testing';

/**
 * The two paths a bench runs: 'ryot' is the default (the reader carries `api.metricProducer()`, as
 * startTelemetry() sets up), 'instruments' the fallback (a reader built without the producer).
 */
export const BENCH_PATHS: readonly AggregationPath[] = AGGREGATION_PATHS;

export function benchRyot(aggregation: AggregationPath = 'ryot'): { api: RyotApi; provider: MeterProvider } {
  const { api, provider } = createTestRyot({ clock: () => performance.now(), aggregation });
  return { api, provider };
}

export interface Variants {
  plain: () => Promise<void>;
  instrumented: () => Promise<void>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function time(run: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

/**
 * Each variant's milliseconds per round: three warm-up runs of each, then `rounds` rounds that run every variant
 * once, in the object's key order (interleaved so drift affects every variant alike).
 */
export async function samplesMs<K extends string>(variants: Record<K, () => Promise<void>>, rounds: number): Promise<Record<K, number[]>> {
  const names = Object.keys(variants) as K[];
  for (let i = 0; i < 3; i++) for (const name of names) await variants[name]();
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < rounds; round++) for (const name of names) samples[name].push(await time(variants[name]));
  return samples;
}

/** The median of each variant's samples. */
export function medians<K extends string>(samples: Record<K, number[]>): Record<K, number> {
  return Object.fromEntries(Object.entries<number[]>(samples).map(([name, values]) => [name, median(values)])) as Record<K, number>;
}

/** Round-by-round `a − b` in ns per chunk, as `median [min..max]`. */
export function spreadNs(a: number[], b: number[], chunks: number): string {
  const differences = a.map((value, i) => ((value - b[i]!) * 1e6) / chunks).sort((x, y) => x - y);
  return `${median(differences).toFixed(0)} [${differences[0]!.toFixed(0)}..${differences[differences.length - 1]!.toFixed(0)}]`;
}

export async function compareChunks(name: string, chunks: number, variants: Variants, rounds = 15): Promise<void> {
  const samples = await samplesMs({ plain: variants.plain, instrumented: variants.instrumented }, rounds);
  const ms = medians(samples);
  const ns = (value: number) => (value * 1e6) / chunks;
  const p = ns(ms.plain);
  const m = ns(ms.instrumented);
  console.log(
    `${name.padEnd(50)} plain ${p.toFixed(0).padStart(6)} ns/chunk | instrumented ${m.toFixed(0).padStart(6)} ns/chunk | overhead ${spreadNs(samples.instrumented, samples.plain, chunks).padStart(16)} ns/chunk (${(m / p).toFixed(2)}×)`,
  );
}
