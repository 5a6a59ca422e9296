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

  /** Sum of the slots whose second lies within the `slots` seconds ending now (the current, partial second included). */
  sum(nowMs: number): number {
    const current = Math.floor(nowMs / SLOT_MS);
    return this.sumEpochs(current - this.slots, current);
  }

  /** Sum over the `seconds` complete seconds before the current one (at most `slots - 1`). */
  sumCompleted(nowMs: number, seconds: number): number {
    const current = Math.floor(nowMs / SLOT_MS);
    return this.sumEpochs(current - 1 - Math.min(seconds, this.slots - 1), current - 1);
  }

  /** Sum of the slots with after < epoch <= through. */
  private sumEpochs(after: number, through: number): number {
    let total = 0;
    for (let i = 0; i < this.slots; i++) {
      const epoch = this.epochs[i]!;
      if (epoch > after && epoch <= through) total += this.sums[i]!;
    }
    return total;
  }
}
