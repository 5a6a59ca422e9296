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

export async function compareChunks(name: string, chunks: number, variants: Variants, rounds = 15): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await variants.plain();
    await variants.instrumented();
  }
  const plain: number[] = [];
  const instrumented: number[] = [];
  for (let round = 0; round < rounds; round++) {
    plain.push(await time(variants.plain));
    instrumented.push(await time(variants.instrumented));
  }
  const ns = (ms: number) => (ms * 1e6) / chunks;
  const p = ns(median(plain));
  const m = ns(median(instrumented));
  console.log(`${name.padEnd(40)} plain ${p.toFixed(0).padStart(6)} ns/chunk | instrumented ${m.toFixed(0).padStart(6)} ns/chunk | overhead ${(m - p).toFixed(0).padStart(5)} ns/chunk (${(m / p).toFixed(2)}×)`);
}
