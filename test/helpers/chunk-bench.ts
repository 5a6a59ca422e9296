/**
 * What the client integrations' per-chunk benchmarks share: a reader-backed provider, and a comparison of
 * iterating a stream plain against iterating it instrumented, interleaved over rounds (median ns/chunk). Prints
 * numbers only: timings on shared machines are noisy, nothing is asserted.
 */
import { performance } from 'node:perf_hooks';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { createRyot, ryotViews, type RyotApi } from '@ryot/metrics';

class Reader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export function benchRyot(): { api: RyotApi; provider: MeterProvider } {
  const provider = new MeterProvider({ readers: [new Reader()], views: ryotViews() });
  return { api: createRyot({ meterProvider: provider }), provider };
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
 * The median milliseconds of each variant: three warm-up runs of each, then `rounds` rounds that run every variant
 * once, in the object's key order (interleaved so drift affects every variant alike).
 */
export async function medianMs<K extends string>(variants: Record<K, () => Promise<void>>, rounds: number): Promise<Record<K, number>> {
  const names = Object.keys(variants) as K[];
  for (let i = 0; i < 3; i++) for (const name of names) await variants[name]();
  const samples = new Map<K, number[]>(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) for (const name of names) samples.get(name)!.push(await time(variants[name]));
  return Object.fromEntries(names.map((name) => [name, median(samples.get(name)!)])) as Record<K, number>;
}

export async function compareChunks(name: string, chunks: number, variants: Variants, rounds = 15): Promise<void> {
  const ms = await medianMs({ plain: variants.plain, instrumented: variants.instrumented }, rounds);
  const ns = (value: number) => (value * 1e6) / chunks;
  const p = ns(ms.plain);
  const m = ns(ms.instrumented);
  console.log(`${name.padEnd(40)} plain ${p.toFixed(0).padStart(6)} ns/chunk | instrumented ${m.toFixed(0).padStart(6)} ns/chunk | overhead ${(m - p).toFixed(0).padStart(5)} ns/chunk (${(m / p).toFixed(2)}×)`);
}
