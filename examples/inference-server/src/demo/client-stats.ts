/** What the load generator's own stopwatches saw, per model: exact samples, not buckets. */
export class ClientStats {
  readonly ttft: number[] = [];
  readonly itl: number[] = [];
  readonly latency: number[] = [];
  readonly outcomes = new Map<string, number>();
  tokens = 0;
  /** Streamed requests judged against the model's SLO targets by the client's own stopwatch, and those that met all. */
  judged = 0;
  met = 0;

  count(outcome: string): void {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }
}

/** The q-quantile of samples by the nearest-rank method. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}
