/** An LRU set of prompt prefixes: a hit means the prefix's KV blocks are still resident. */
export class PrefixCache {
  private readonly entries = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** Looks the key up and makes it most recently used; returns whether it was resident. */
  lookup(key: string): boolean {
    const hit = this.entries.delete(key);
    this.entries.add(key);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.values().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return hit;
  }
}
