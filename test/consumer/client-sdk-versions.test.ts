/**
 * The root README's client-integrations table, row "SDK versions (tested)", against what the packages' tests run:
 * each SDK it names at the major (and, where it gives one, major.minor) version installed for that package's tests,
 * and the peer ranges it mentions. (The `ai` 7 on Node 24 leg is checked by packed.test.ts itself.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './release.js';

interface Sdk {
  name: string;
  /** Whether the cell gives the minor version too (`7.59`), or the major only. */
  minor: boolean;
}

const COLUMNS: Record<string, { dir: string; sdks: Sdk[] }> = {
  '@ryot/openai': { dir: 'openai', sdks: [{ name: 'openai', minor: true }] },
  '@ryot/anthropic': { dir: 'anthropic', sdks: [{ name: '@anthropic-ai/sdk', minor: true }] },
  '@ryot/ai-sdk': { dir: 'ai-sdk', sdks: [{ name: 'ai', minor: true }, { name: '@ai-sdk/openai-compatible', minor: false }, { name: '@ai-sdk/anthropic', minor: false }] },
  '@ryot/langchain': { dir: 'langchain', sdks: [{ name: '@langchain/core', minor: true }, { name: '@langchain/openai', minor: true }, { name: '@langchain/anthropic', minor: true }] },
};

const cellsOf = (line: string): string[] => line.split('|').slice(1, -1).map((cell) => cell.trim());

function tableRow(label: string): Record<string, string> {
  const lines = readFileSync(join(REPO, 'README.md'), 'utf8').split('\n');
  const header = lines.find((line) => Object.keys(COLUMNS).every((column) => line.includes(`\`${column}\``)) && line.startsWith('|'));
  const row = lines.find((line) => line.startsWith(`| ${label} |`));
  if (header === undefined || row === undefined) throw new Error(`README has no client-integrations table with a "${label}" row`);
  const names = cellsOf(header).map((name) => name.replaceAll('`', ''));
  const cells = cellsOf(row);
  return Object.fromEntries(names.map((name, i) => [name, cells[i] ?? '']));
}

const manifest = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as { version: string; peerDependencies?: Record<string, string> };
const installed = (dir: string, name: string): string => manifest(join(REPO, 'packages', dir, 'node_modules', name, 'package.json')).version;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('README: client integrations, "SDK versions (tested)"', () => {
  const row = tableRow('SDK versions (tested)');

  for (const [column, { dir, sdks }] of Object.entries(COLUMNS)) {
    it(`${column}: names the versions its tests install`, () => {
      for (const { name, minor } of sdks) {
        const [major, minorVersion] = installed(dir, name).split('.');
        const at = `\`${escape(name)}\` ${major}`;
        // "`openai` 7 (7.59", "`ai` 6 on Node 20 (6.0", "`@langchain/openai` 1.6", "`@ai-sdk/anthropic` 3"
        const pattern = minor ? new RegExp(`${at}(\\.${minorVersion}\\b|[^()\`;]*\\(${major}\\.${minorVersion}\\b)`) : new RegExp(`${at}\\b`);
        expect(row[column], `${name} ${installed(dir, name)}`).toMatch(pattern);
      }
    });
  }

  it('@ryot/openai: the peer range admits openai 6 as well as 7', () => {
    expect(row['@ryot/openai']).toContain('the peer range also admits 6');
    const range = manifest(join(REPO, 'packages', 'openai', 'package.json')).peerDependencies?.['openai'];
    const [, low, high] = /^>=(\d+)\.0\.0 <(\d+)\.0\.0$/.exec(range ?? '') ?? [];
    expect([Number(low) <= 6, 7 < Number(high)]).toEqual([true, true]);
  });
});
