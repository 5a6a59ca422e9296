/**
 * One error convention across the packages: every error class a package exports is a RyotError with a `code`, and
 * the root README's error table lists exactly those codes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as metrics from '@ryot/metrics';
import * as exporters from '@ryot/exporters';
import * as nvml from '@ryot/nvml';
import * as openai from '@ryot/openai';
import * as anthropic from '@ryot/anthropic';
import * as aiSdk from '@ryot/ai-sdk';
import * as langchain from '@ryot/langchain';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const documented = [...readme.matchAll(/^\| `([A-Z_*]+)` \| `(\w+)` \| `(@ryot\/\w+)` \|/gm)].map((m) => ({ code: m[1]!, name: m[2]!, pkg: m[3]! }));

type Constructor = new (...args: unknown[]) => Error;

function errorClasses(module: Record<string, unknown>): [string, Constructor][] {
  return Object.entries(module).filter(
    (entry): entry is [string, Constructor] => typeof entry[1] === 'function' && (entry[1] as { prototype?: unknown }).prototype instanceof Error,
  );
}

describe('the error convention', () => {
  const packages = {
    '@ryot/metrics': metrics,
    '@ryot/exporters': exporters,
    '@ryot/nvml': nvml,
    '@ryot/openai': openai,
    '@ryot/anthropic': anthropic,
    '@ryot/ai-sdk': aiSdk,
    '@ryot/langchain': langchain,
  };
  const found: { code: string; name: string; pkg: string }[] = [];
  for (const [pkg, module] of Object.entries(packages)) {
    for (const [name, cls] of errorClasses(module as Record<string, unknown>)) {
      if (name === 'RyotError' || name === 'RyotNvmlError') continue; // the abstract bases
      const instance = new cls(1, 'call', 'message');
      found.push({ code: name === 'NvmlError' ? 'NVML_ERROR_*' : String((instance as { code?: unknown }).code), name, pkg });
      it(`${pkg} ${name} is a RyotError with a code and its own name`, () => {
        expect(instance).toBeInstanceOf(metrics.RyotError);
        expect(instance.name).toBe(name);
        expect((instance as { code?: unknown }).code).toMatch(name === 'NvmlError' ? /^NVML_ERROR_/ : /^RYOT_[A-Z_]+$/);
      });
    }
  }

  it('the README table lists exactly the exported error classes and their codes', () => {
    const key = (e: { code: string; name: string; pkg: string }) => `${e.pkg} ${e.name} ${e.code}`;
    expect(documented.map(key).sort()).toEqual(found.map(key).sort());
    expect(found.length).toBeGreaterThanOrEqual(9);
  });
});
