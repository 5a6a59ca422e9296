/** The provider-side prompt cache the API formats report on: cached prompt prefixes, least recently used evicted first. */
export class PromptCache {
  private readonly entries = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** True when `prefix` was cached (and refreshes it); else caches it and returns false. */
  hit(prefix: string): boolean {
    const hit = this.entries.delete(prefix);
    this.entries.add(prefix);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.values().next().value!);
    return hit;
  }
}
