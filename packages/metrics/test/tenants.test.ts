/**
 * The tenant label: on the counters only, admitted by allowlist or by traffic (top K), everything else `other`, a
 * hard bound whatever the keys (100 000 distinct ones here), and hashed labels that never show a raw key.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recorderOf } from '../src/recorder.js';
import { candidateCapacity } from '../src/tenants.js';
import { AGGREGATION_PATHS, createTestRyot, type TestRyot, type TestRyotOptions, captureDiagWarnings } from '../src/testing.js';

let warnings: string[] = [];
let restoreDiag: () => void = () => {};
beforeEach(() => {
  ({ warnings, restore: restoreDiag } = captureDiagWarnings());
});
afterEach(() => restoreDiag());

function request(h: TestRyot, tenant: string | undefined, model = 'm'): void {
  const ctx = h.api.startInference({ model, promptTokens: 10, tenant });
  ctx.recordToken();
  ctx.end();
}

/** The tenant label values of a family in the exposition ('' for series without one). */
async function tenantsOf(h: TestRyot, family: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const sample of (await h.exposition()).get(family)) {
    const tenant = sample.labels['tenant'] ?? '';
    out.set(tenant, (out.get(tenant) ?? 0) + sample.value);
  }
  return out;
}

describe.each(AGGREGATION_PATHS)('tenants through %s', (aggregation) => {
  const testRyot = (options: TestRyotOptions = {}) => createTestRyot({ ...options, aggregation });

  it('labels the allowed tenants, counts every other one as other, and leaves untenanted requests as they were', async () => {
    const h = testRyot({ tenants: { allow: ['acme', 'globex'] }, slo: { default: { e2eSeconds: 1 } }, prices: { default: { inputPerMillion: 1, outputPerMillion: 1 } } });
    for (const tenant of ['acme', 'acme', 'globex', 'initech', 'hooli', undefined]) request(h, tenant);
    expect(Object.fromEntries(await tenantsOf(h, 'ryot_inference_requests_total'))).toEqual({ acme: 2, globex: 1, other: 2, '': 1 });
    expect(Object.fromEntries(await tenantsOf(h, 'ryot_tokens_generated_total'))).toEqual({ acme: 2, globex: 1, other: 2, '': 1 });
    expect(Object.fromEntries(await tenantsOf(h, 'ryot_prompt_tokens_total'))).toEqual({ acme: 20, globex: 10, other: 20, '': 10 });
    // Goodput: slo=all and slo=e2e, one each per request.
    expect(Object.fromEntries(await tenantsOf(h, 'ryot_goodput_requests_total'))).toEqual({ acme: 4, globex: 2, other: 4, '': 2 });
    expect([...(await tenantsOf(h, 'ryot_cost_usd_total')).keys()].sort()).toEqual(['', 'acme', 'globex', 'other']);
    // Never on histograms, gauges or the other counters.
    const text = await h.prometheusText();
    for (const line of text.split('\n').filter((l) => l.includes('tenant='))) {
      expect(line).toMatch(/^ryot_(inference_requests|tokens_generated|prompt_tokens|goodput_requests|cost_usd)_total\{/);
    }
  });

  it('admits the busiest tenants at each admission round (top K), the rest stay other', async () => {
    const h = testRyot({ tenants: { topK: 2, minRequests: 5, admitEverySeconds: 60 } });
    // The first minute: a 50 requests, b 30, c 40, d 2 (interleaved); before any round everything is other.
    const plan: [string, number][] = [['a', 50], ['b', 30], ['c', 40], ['d', 2]];
    for (let i = 0; i < 50; i++) for (const [tenant, n] of plan) if (i < n) request(h, tenant);
    expect([...(await tenantsOf(h, 'ryot_inference_requests_total')).keys()]).toEqual(['other']);
    // A minute later the next request triggers the round: a (50) and c (40) are the busiest, so they take the slots.
    h.clock.advance(60_000);
    for (const tenant of ['b', 'a', 'c', 'd']) request(h, tenant);
    const counts = await tenantsOf(h, 'ryot_inference_requests_total');
    // 122 before the round, then b (no slot left), d: other; a and c: their own.
    expect(Object.fromEntries(counts)).toEqual({ other: 124, a: 1, c: 1 });
    expect(recorderOf(h.api).tenants!.admittedCount).toBe(2);
  });

  it('with admitEverySeconds 0, admits a tenant as soon as it reaches minRequests, first come first served', async () => {
    const h = testRyot({ tenants: { topK: 2, minRequests: 3, admitEverySeconds: 0 } });
    for (const tenant of ['x', 'y', 'x', 'y', 'x', 'z', 'z', 'z', 'y', 'y']) request(h, tenant);
    // x is admitted at its 3rd request, z at its 3rd (before y's 3rd): the 9th and 10th (y) stay other.
    expect(Object.fromEntries(await tenantsOf(h, 'ryot_inference_requests_total'))).toEqual({ other: 8, x: 1, z: 1 });
  });

  it('stays at its bound with 100 000 distinct keys, and still finds the heavy tenants among them', async () => {
    const h = testRyot({ tenants: { topK: 10, minRequests: 50, admitEverySeconds: 0, hash: true } });
    const heavy = ['key-alpha', 'key-beta', 'key-gamma', 'key-delta', 'key-epsilon'];
    // 100 000 one-off keys, a heavy key's request after every 100 of them (1 000 requests per heavy key).
    for (let i = 0; i < 100_000; i++) {
      request(h, `one-off-${i}`);
      if (i % 100 === 99) request(h, heavy[(i / 100) % heavy.length | 0]!);
    }
    const guard = recorderOf(h.api).tenants!;
    // Each heavy key has 1 000 of 105 000 requests (0.95 %), more than 1/1 024 of the traffic, so the sketch of 1 024
    // keys keeps it and it reaches 50 guaranteed requests; a one-off key that replaces an evicted one inherits that
    // count as error, so it never looks busy. The sketch never holds more than its capacity.
    expect(candidateCapacity(10)).toBe(1024);
    expect(guard.admittedCount).toBe(5);
    expect(guard.candidateCount).toBe(1024);
    const labels = [...(await tenantsOf(h, 'ryot_inference_requests_total')).keys()].sort();
    const digest = (key: string) => createHash('sha256').update('').update('\0').update(key).digest('hex').slice(0, 16);
    expect(labels).toEqual(['other', ...heavy.map(digest)].sort());
    // Now 100 000 more distinct keys, each busy enough: the five free slots fill and the bound holds.
    for (let i = 0; i < 100_000; i++) for (let r = 0; r < (i < 20 ? 50 : 1); r++) request(h, `busy-${i}`);
    expect(guard.admittedCount).toBe(10);
    expect(guard.candidateCount).toBe(0);
    expect((await tenantsOf(h, 'ryot_inference_requests_total')).size).toBe(11);
    expect(warnings.filter((w) => w.includes('tenant slots are taken'))).toHaveLength(1);
  });

  it('with hash, puts only digests in labels: a salt changes them, the raw keys never appear', async () => {
    const key = 'sk-live-1234567890abcdef';
    const texts: string[] = [];
    for (const hash of [true, { salt: 'pepper' }] as const) {
      const h = testRyot({ tenants: { allow: [key], hash } });
      request(h, key);
      request(h, 'sk-live-someone-else');
      texts.push(await h.prometheusText());
    }
    const [plain, salted] = texts;
    const unsalted = createHash('sha256').update('').update('\0').update(key).digest('hex').slice(0, 16);
    expect(plain).toContain(`tenant="${unsalted}"`);
    expect(salted).not.toContain(unsalted);
    expect(salted).toMatch(/tenant="[0-9a-f]{16}"/);
    for (const text of texts) {
      expect(text).not.toContain('sk-live');
      expect(text).toContain('tenant="other"');
    }
  });

  it('drops a bad tenant with one diagnostic, and ignores tenants (saying so once) when they are not enabled', async () => {
    const h = testRyot({ tenants: { allow: ['acme'] } });
    request(h, 42 as unknown as string);
    request(h, '');
    const off = testRyot();
    request(off, 'acme');
    request(off, 'globex');
    expect(Object.fromEntries(await tenantsOf(h, 'ryot_inference_requests_total'))).toEqual({ '': 2 });
    expect(Object.fromEntries(await tenantsOf(off, 'ryot_inference_requests_total'))).toEqual({ '': 2 });
    expect(warnings.filter((w) => w.includes('tenant'))).toHaveLength(2);
  });

  it('keeps a tenant label (and its series) across a reconfiguration', async () => {
    const h = testRyot({ tenants: { allow: ['acme'] } });
    request(h, 'acme');
    h.api.configure({ tenants: { allow: ['globex', 'acme'] } });
    request(h, 'acme');
    request(h, 'globex');
    expect(Object.fromEntries(await tenantsOf(h, 'ryot_inference_requests_total'))).toEqual({ acme: 2, globex: 1 });
  });
});
