import { createHash } from 'node:crypto';
import { describeValue, type Diagnostics } from './diagnostics.js';
import { RyotConfigError } from './errors.js';
import { rejectUnknownKeys } from './per-model.js';
import { MAX_LABEL_LENGTH } from './series.js';
import { isRecord } from './values.js';

/**
 * Per-tenant counters with a hard bound. A tenant (an API key, a customer) gets its own `tenant` label value only
 * when admitted: named in `allow`, or among the busiest tenants while one of the `topK` slots is free. Every other
 * tenant is counted as `other`. Slots are never given back (a cumulative counter cannot drop a series), so the bound
 * holds for the life of the process whatever the keys.
 */
export interface TenantOptions {
  /** The tenants that get their own label; every other tenant is counted as `other`. */
  allow?: readonly string[];
  /** Or: admit up to this many tenants, the busiest first, as traffic shows them. */
  topK?: number;
  /** topK: requests a tenant must have made before it can be admitted (one-off keys never get a label). Default 10. */
  minRequests?: number;
  /**
   * topK: how often, in seconds, the busiest candidates are admitted into the free slots. Default 60. 0 admits a
   * tenant as soon as it reaches minRequests (first come, first served).
   */
  admitEverySeconds?: number;
  /**
   * Label each tenant with the first 16 hex digits of a SHA-256 of its key (after `salt`), so raw keys never reach
   * a label. Default false: the key itself is the label (fine for aliases, not for API keys).
   */
  hash?: boolean | { salt: string };
}

/** The label of every tenant that was not admitted. */
export const OTHER_TENANT = 'other';
/** The most tenants one recorder admits, whatever the options. */
export const MAX_TENANTS = 1000;
const TENANT_KEYS = ['allow', 'topK', 'minRequests', 'admitEverySeconds', 'hash'] as const;

/**
 * Keys the top-K sketch tracks: a tenant with more than 1/capacity of all requests is always among them, so at
 * least 1 024 (a tenant with 0.1 % of the traffic is found among any number of one-off keys), 16 per slot beyond
 * that, at most 8 192 (about 1 MB with 64-character keys).
 */
export function candidateCapacity(topK: number): number {
  return Math.min(8192, Math.max(1024, 16 * topK));
}

/** One admitted tenant label (or `other`); `index` (from 1) is its slot in the per-model counter arrays. */
export class TenantLabel {
  constructor(
    readonly index: number,
    readonly label: string,
  ) {}
}

interface ResolvedTenantOptions {
  readonly allow: readonly string[] | undefined;
  readonly topK: number;
  readonly minRequests: number;
  readonly admitEveryMs: number;
  readonly salt: string | undefined;
}

function integerIn(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RyotConfigError(`Expected an integer in ${min}..${max} for ${path} but received ${String(value)}`);
  }
  return value;
}

export function validateTenants(value: unknown): ResolvedTenantOptions | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) throw new RyotConfigError('Expected { allow } or { topK } for tenants');
  rejectUnknownKeys(value, TENANT_KEYS, 'tenants');
  const { allow, topK, minRequests, admitEverySeconds, hash } = value;
  if ((allow === undefined) === (topK === undefined)) throw new RyotConfigError('tenants needs exactly one of allow (a list) or topK (a number)');
  let salt: string | undefined;
  if (hash === true) salt = '';
  else if (isRecord(hash) && typeof hash['salt'] === 'string') salt = hash['salt'];
  else if (hash !== undefined && hash !== false) throw new RyotConfigError('Expected a boolean or { salt: string } for tenants.hash');
  if (allow !== undefined) {
    if (!Array.isArray(allow) || allow.length === 0 || allow.length > MAX_TENANTS) {
      throw new RyotConfigError(`Expected a list of 1..${MAX_TENANTS} tenant names for tenants.allow`);
    }
    for (const name of allow) {
      if (typeof name !== 'string' || name.length === 0 || (salt === undefined && name.length > MAX_LABEL_LENGTH)) {
        throw new RyotConfigError(`tenants.allow holds ${describeValue(name)}: tenants are strings of 1..${MAX_LABEL_LENGTH} characters`);
      }
      if (salt === undefined && name === OTHER_TENANT) throw new RyotConfigError(`tenants.allow cannot name "${OTHER_TENANT}": it is the label of every tenant not admitted`);
    }
    if (minRequests !== undefined || admitEverySeconds !== undefined) throw new RyotConfigError('tenants.minRequests and tenants.admitEverySeconds go with topK, not allow');
  }
  return {
    allow: allow === undefined ? undefined : [...new Set(allow as string[])],
    topK: topK === undefined ? 0 : integerIn(topK, 'tenants.topK', 1, MAX_TENANTS),
    minRequests: minRequests === undefined ? 10 : integerIn(minRequests, 'tenants.minRequests', 1, Number.MAX_SAFE_INTEGER),
    admitEveryMs: admitEverySeconds === undefined ? 60_000 : integerIn(admitEverySeconds, 'tenants.admitEverySeconds', 0, 86_400) * 1000,
    salt,
  };
}

interface Candidate {
  key: string;
  count: number;
  /** The count the key inherited when it replaced another: its true count is at least count - error. */
  error: number;
  slot: number;
}

/**
 * The Space-Saving heavy-hitter sketch (Metwally et al., 2005) over a binary min-heap: at most `capacity` keys,
 * O(log capacity) per request. A key whose true count exceeds total/capacity is always present, and count - error
 * never exceeds its true count, so one-off keys cannot reach minRequests by inheriting an evicted key's count.
 */
class SpaceSaving {
  private readonly heap: Candidate[] = [];
  private readonly byKey = new Map<string, Candidate>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.heap.length;
  }

  /** Counts one request of `key`; returns the count it is guaranteed to have. */
  add(key: string): number {
    const { heap } = this;
    let entry = this.byKey.get(key);
    if (entry !== undefined) {
      entry.count++;
      this.siftDown(entry.slot);
    } else if (heap.length < this.capacity) {
      entry = { key, count: 1, error: 0, slot: heap.length };
      heap.push(entry);
      this.byKey.set(key, entry);
      this.siftUp(entry.slot);
    } else {
      entry = heap[0]!;
      this.byKey.delete(entry.key);
      entry.key = key;
      entry.error = entry.count;
      entry.count++;
      this.byKey.set(key, entry);
      this.siftDown(0);
    }
    return entry.count - entry.error;
  }

  /** The keys with a guaranteed count of at least `min`, busiest first. */
  busiest(min: number): string[] {
    return this.heap
      .filter((e) => e.count - e.error >= min)
      .sort((a, b) => b.count - b.error - (a.count - a.error))
      .map((e) => e.key);
  }

  private siftUp(slot: number): void {
    const { heap } = this;
    while (slot > 0) {
      const parent = (slot - 1) >> 1;
      if (heap[parent]!.count <= heap[slot]!.count) break;
      this.swap(slot, parent);
      slot = parent;
    }
  }

  private siftDown(slot: number): void {
    const { heap } = this;
    for (;;) {
      const left = 2 * slot + 1;
      if (left >= heap.length) return;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.count < heap[left]!.count ? right : left;
      if (heap[slot]!.count <= heap[child]!.count) return;
      this.swap(slot, child);
      slot = child;
    }
  }

  private swap(a: number, b: number): void {
    const { heap } = this;
    const first = heap[a]!;
    const second = heap[b]!;
    heap[a] = second;
    heap[b] = first;
    second.slot = a;
    first.slot = b;
  }
}

/**
 * Resolves a request's tenant key to its label: an admitted tenant's own, else `other`. Keys stay in this process
 * (the admitted ones, and the candidates of the top-K sketch); with `hash` only digests become labels.
 */
export class TenantGuard {
  private readonly admitted = new Map<string, TenantLabel>();
  private readonly other: TenantLabel;
  private candidates: SpaceSaving | undefined;
  private nextAdmission: number | undefined;

  constructor(
    private readonly options: ResolvedTenantOptions,
    private readonly labelFor: (label: string) => TenantLabel,
    private readonly diagnostics: Diagnostics,
    private readonly now: () => number,
  ) {
    this.other = labelFor(OTHER_TENANT);
    // validateTenants checked that each allowed name can be a label.
    for (const name of options.allow ?? []) this.admitted.set(name, labelFor(this.labelOf(name)!));
    if (options.topK > 0) this.candidates = new SpaceSaving(candidateCapacity(options.topK));
  }

  /** Tenants with their own label so far. */
  get admittedCount(): number {
    return this.admitted.size;
  }

  /** Keys the top-K sketch holds now (bounded by its capacity; 0 once every slot is taken). */
  get candidateCount(): number {
    return this.candidates?.size ?? 0;
  }

  resolve(key: unknown): TenantLabel | undefined {
    if (typeof key !== 'string' || key.length === 0) {
      this.diagnostics.warnOnce('tenant-key', () => `a tenant must be a non-empty string; got ${describeValue(key)}, recorded without a tenant.`);
      return undefined;
    }
    const admitted = this.admitted.get(key);
    if (admitted !== undefined) return admitted;
    const candidates = this.candidates;
    if (candidates === undefined) return this.other;
    const guaranteed = candidates.add(key);
    const { admitEveryMs, minRequests } = this.options;
    if (admitEveryMs === 0) {
      if (guaranteed >= minRequests) this.admit(key);
    } else {
      const now = this.now();
      this.nextAdmission ??= now + admitEveryMs;
      if (now >= this.nextAdmission) {
        this.nextAdmission = now + admitEveryMs;
        for (const busy of candidates.busiest(minRequests)) if (!this.admitted.has(busy) && !this.admit(busy)) break;
      }
    }
    return this.admitted.get(key) ?? this.other;
  }

  /** Gives `key` a slot; false when none is left. */
  private admit(key: string): boolean {
    if (this.admitted.size >= this.options.topK) return false;
    const label = this.labelOf(key);
    if (label === undefined) return true;
    this.admitted.set(key, this.labelFor(label));
    if (this.admitted.size >= this.options.topK) {
      // Every slot is taken for good: the sketch has nothing left to decide.
      this.candidates = undefined;
      this.diagnostics.warnOnce('tenants-full', `all ${this.options.topK} tenant slots are taken; further tenants are counted as "${OTHER_TENANT}".`);
    }
    return true;
  }

  /** The label of an admitted key: its digest, or the key itself (undefined when it cannot be one). */
  private labelOf(key: string): string | undefined {
    const { salt } = this.options;
    if (salt !== undefined) return createHash('sha256').update(salt).update('\0').update(key).digest('hex').slice(0, 16);
    if (key.length > MAX_LABEL_LENGTH || key === OTHER_TENANT) {
      this.diagnostics.warnOnce('tenant-label', `a tenant longer than ${MAX_LABEL_LENGTH} characters (or named "${OTHER_TENANT}") is counted as "${OTHER_TENANT}".`);
      return undefined;
    }
    return key;
  }
}
