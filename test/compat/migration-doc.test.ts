/**
 * MIGRATION.md's family table says, for each reference family, what Ryot's differs in. This test computes that
 * verdict from Ryot's catalog and the typed-in reference table, and fails when a row stops being true.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_METRICS, prometheusName, prometheusType } from '@ryot/metrics/instrumentation';
import { REFERENCE, type ReferenceFamily } from './reference-metrics.js';

const migration = readFileSync(new URL('../../packages/metrics/MIGRATION.md', import.meta.url), 'utf8');

function verdict(name: string, reference: ReferenceFamily): string {
  const definition = ALL_METRICS.find((d) => prometheusName(d) === name);
  if (!definition) return 'missing from Ryot';
  if (prometheusType(definition) !== reference.type) return `a ${prometheusType(definition)} in Ryot`;
  const parts: string[] = [];
  if (!reference.info) {
    const lacking = reference.labels.filter((label) => !definition.attributes.includes(label));
    if (lacking.length > 0) parts.push(`lacks ${lacking.join(', ')}`);
    const extra = definition.attributes.filter((label) => !reference.labels.includes(label));
    if (extra.length > 0) parts.push(`adds label ${extra.map((label) => `\`${label}\``).join(', ')}`);
  }
  if (reference.buckets) {
    const ours = definition.buckets ?? [];
    const lacking = reference.buckets.filter((bound) => !ours.includes(bound));
    if (lacking.length > 0) parts.push(`lacks buckets ${lacking.join(', ')}`);
    const extra = ours.filter((bound) => !reference.buckets!.includes(bound));
    if (extra.length > 0) parts.push(`adds buckets ${extra.join(', ')}`);
  }
  return parts.length > 0 ? parts.join('; ') : 'same';
}

/** The rows of the family table: | `name` | type | Ryot vs the reference | notes |. */
function documentedRows(): Map<string, { type: string; verdict: string }> {
  const rows = new Map<string, { type: string; verdict: string }>();
  for (const match of migration.matchAll(/^\| `(ryot_[a-z_]+)` \| (\w+) \| ([^|]+) \|/gm)) {
    rows.set(match[1]!, { type: match[2]!, verdict: match[3]!.trim() });
  }
  return rows;
}

describe('MIGRATION.md family table', () => {
  it('lists every reference family once, with its type', () => {
    const rows = documentedRows();
    expect([...rows.keys()].sort()).toEqual(Object.keys(REFERENCE).sort());
    for (const [name, reference] of Object.entries(REFERENCE)) expect(rows.get(name)?.type, name).toBe(reference.type);
  });

  it('says exactly how each Ryot family differs from the reference, as the catalog has it', () => {
    const rows = documentedRows();
    for (const [name, reference] of Object.entries(REFERENCE)) {
      expect(rows.get(name)?.verdict, name).toBe(verdict(name, reference));
    }
  });

  it('never claims a family is missing, retyped or narrower', () => {
    for (const [name, reference] of Object.entries(REFERENCE)) expect(verdict(name, reference), name).not.toMatch(/missing|lacks|in Ryot/);
  });
});
