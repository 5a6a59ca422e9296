const SLOT_MS = 1000;

/**
 * Sum over the last `slots` seconds, kept in one-second slots: O(1) add, O(slots) sum,
 * fixed memory. A slot is reused once it is older than the window.
 */
export class SlidingWindowSum {
  private readonly sums: Float64Array;
  private readonly epochs: Float64Array;

  constructor(private readonly slots = 60) {
    this.sums = new Float64Array(slots);
    this.epochs = new Float64Array(slots).fill(-1);
  }

  add(amount: number, nowMs: number): void {
    const epoch = Math.floor(nowMs / SLOT_MS);
    const index = epoch % this.slots;
    if (this.epochs[index] !== epoch) {
      this.epochs[index] = epoch;
      this.sums[index] = 0;
    }
    this.sums[index]! += amount;
  }

  /** Sum of the slots whose second lies within the `slots` seconds ending now. */
  sum(nowMs: number): number {
    const current = Math.floor(nowMs / SLOT_MS);
    let total = 0;
    for (let i = 0; i < this.slots; i++) {
      const epoch = this.epochs[i]!;
      if (epoch > current - this.slots && epoch <= current) total += this.sums[i]!;
    }
    return total;
  }
}
