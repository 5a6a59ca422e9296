/**
 * MIGRATION.md's family table says, for each reference family, what Ryot's differs in. This test computes that
 * verdict from Ryot's catalog and the typed-in reference table, and fails when a row stops being true. The
 * error-type tables of MIGRATION.md and the metrics README are held to `REFERENCE_ERROR_TYPES` and `ERROR_TYPES`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REFERENCE_ERROR_TYPES } from '@ryot/metrics/compat';
import { ALL_METRICS, ERROR_TYPES, prometheusName, prometheusType } from '@ryot/metrics/instrumentation';
import { REFERENCE, type ReferenceFamily } from './reference-metrics.js';

const migration = readFileSync(new URL('../../packages/metrics/MIGRATION.md', import.meta.url), 'utf8');
const metricsReadme = readFileSync(new URL('../../packages/metrics/README.md', import.meta.url), 'utf8');

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

/** The two-column table whose header row is `header`, as [first cell, second cell] pairs with backticks removed. */
function errorTypeTable(markdown: string, header: string): [string, string][] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(header);
  if (start < 0) throw new Error(`no table headed ${header}`);
  const rows: [string, string][] = [];
  for (const line of lines.slice(start + 2)) {
    const match = /^\| `([^`]+)` \| `([^`]+)` \|$/.exec(line);
    if (!match) {
      if (line.startsWith('|')) throw new Error(`unexpected row in ${header}: ${line}`);
      break;
    }
    rows.push([match[1]!, match[2]!]);
  }
  return rows;
}

describe('the error_type tables', () => {
  const code = [...REFERENCE_ERROR_TYPES.entries()];

  it.each([
    ['MIGRATION.md', migration, '| reference `error_type` | Ryot `error_type` |'],
    ['README.md', metricsReadme, '| reference | Ryot `error_type` |'],
  ])('%s maps every reference spelling as REFERENCE_ERROR_TYPES does, and nothing else', (_doc, markdown, header) => {
    const rows = errorTypeTable(markdown, header);
    expect(rows).toEqual(code);
    for (const [, ryot] of rows) expect(ERROR_TYPES).toContain(ryot);
  });

  it('MIGRATION.md lists exactly Ryot\'s own error_type values', () => {
    const sentence = /Ryot's own values \(([^)]+)\)/.exec(migration.replace(/\s+/g, ' '));
    const listed = [...(sentence?.[1] ?? '').matchAll(/`([^`]+)`/g)].map((match) => match[1]);
    expect(listed.sort()).toEqual([...ERROR_TYPES].sort());
  });
});
