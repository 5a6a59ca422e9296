/**
 * The root README's "Releasing" section against the workspace: the package count it states, the publish order it
 * lists (every released package once, each after the @ryot packages it depends on) and the shared version.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGES, REPO } from './release.js';

const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no "## ${heading}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const manifest = (dir: string): Manifest => JSON.parse(readFileSync(join(REPO, 'packages', dir, 'package.json'), 'utf8')) as Manifest;
const releasing = section(readFileSync(join(REPO, 'README.md'), 'utf8'), 'Releasing');

describe('README: Releasing', () => {
  it('PACKAGES (what the release tests pack) is every package directory under packages/', () => {
    const dirs = readdirSync(join(REPO, 'packages'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !manifest(entry.name).private)
      .map((entry) => entry.name);
    expect([...dirs].sort()).toEqual([...PACKAGES].sort());
  });

  it('states the number of packages released together, and their shared version', () => {
    const stated = /All (\w+) packages are versioned together \(([^)]+)\)/.exec(releasing);
    expect(stated, 'the "All N packages are versioned together (x.y.z)" sentence').not.toBeNull();
    expect(stated![1]).toBe(NUMBER_WORDS[PACKAGES.length]);
    for (const p of PACKAGES) expect(manifest(p).version, p).toBe(stated![2]);
  });

  it('lists every package once in the publish order, each after the @ryot packages it depends on', () => {
    const step = releasing.slice(releasing.indexOf('Publish in dependency order'));
    const order = [...step.slice(0, step.indexOf('\n6.')).matchAll(/`(@ryot\/[a-z-]+)`/g)].map((m) => m[1]!);
    expect([...order].sort()).toEqual(PACKAGES.map((p) => manifest(p).name).sort());
    for (const p of PACKAGES) {
      const { name, dependencies = {}, peerDependencies = {} } = manifest(p);
      for (const dependency of Object.keys({ ...dependencies, ...peerDependencies }).filter((d) => d.startsWith('@ryot/'))) {
        expect(order.indexOf(dependency), `${name} is published after ${dependency}`).toBeLessThan(order.indexOf(name));
      }
    }
  });
});
