/**
 * scripts/install.mjs, run as the package manager runs it, in a temp copy of the package, with a stand-in
 * toolchain (python3, make, g++ that only need to exist on PATH) and a stand-in node-gyp (PREBUILD_NODE_GYP) that
 * records each call and prints a numbered log, then succeeds or fails as told. The real source build and the
 * missing-toolchain path run in test/install/no-compiler.test.ts; here: npm_config_build_from_source forces a build
 * past a loadable addon, and a failed build prints the last 15 lines of its log and the command to retry.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_DIR } from './helpers/build.js';

const TARGET = `${process.platform}-${process.arch}`;
const LOG_LINES = 40;

let root = '';
let copy = '';
let tools = '';
let calls = '';

/** The addon this checkout loads (a prebuild or a source build), copied into the temp package as its build. */
function copyLoadableAddon(into: string): void {
  const nodeGypBuild = createRequire(join(PACKAGE_DIR, 'package.json'))('node-gyp-build') as { path(dir: string): string };
  const addon = nodeGypBuild.path(PACKAGE_DIR);
  mkdirSync(join(into, 'build', 'Release'), { recursive: true });
  copyFileSync(addon, join(into, 'build', 'Release', 'ryot_nvml.node'));
}

function executable(file: string, body: string): void {
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ryot-nvml-install-'));
  copy = join(root, 'nvml');
  mkdirSync(copy);
  for (const entry of ['package.json', 'scripts']) cpSync(join(PACKAGE_DIR, entry), join(copy, entry), { recursive: true });
  symlinkSync(join(PACKAGE_DIR, 'node_modules'), join(copy, 'node_modules'));
  tools = join(root, 'bin');
  mkdirSync(tools);
  for (const tool of ['python3', 'make', 'g++']) executable(join(tools, tool), 'exit 0');
  calls = join(root, 'node-gyp-calls');
  // node-gyp: records the call, prints "log line 1".."log line 40", exits with $FAKE_GYP_EXIT.
  executable(join(tools, 'node-gyp'), `echo "$@" >> "${calls}"\ni=1; while [ $i -le ${LOG_LINES} ]; do echo "log line $i"; i=$((i+1)); done\nexit "$FAKE_GYP_EXIT"`);
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

function install(env: Record<string, string>): { status: number | null; stdout: string; builds: number } {
  rmSync(calls, { force: true });
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_config_build_from_source$/i.test(key)));
  const result = spawnSync(process.execPath, ['scripts/install.mjs'], {
    cwd: copy,
    env: { ...base, PATH: `${tools}:${dirname(process.execPath)}`, PREBUILD_NODE_GYP: join(tools, 'node-gyp'), CXX: '', FAKE_GYP_EXIT: '0', ...env },
    encoding: 'utf8',
  });
  const builds = existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n').length : 0;
  return { status: result.status, stdout: result.stdout + result.stderr, builds };
}

describe('scripts/install.mjs', () => {
  describe('with an addon that loads', () => {
    beforeAll(() => copyLoadableAddon(copy));
    afterAll(() => rmSync(join(copy, 'build'), { recursive: true, force: true }));

    it('does nothing, silently', () => {
      expect(install({})).toEqual({ status: 0, stdout: '', builds: 0 });
    });

    it.each(['true', '1', 'TRUE'])('npm_config_build_from_source=%s builds from source anyway', (value) => {
      const result = install({ npm_config_build_from_source: value });
      expect(result.builds).toBe(1);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^@ryot/nvml: built ryot_nvml\\.node for ${TARGET} from source in [\\d.]+s\\.\\n$`));
    });

    it('npm_config_build_from_source=false keeps the loadable addon', () => {
      expect(install({ npm_config_build_from_source: 'false' })).toEqual({ status: 0, stdout: '', builds: 0 });
    });
  });

  it('a failed source build: exit 0, the last 15 lines of the log, and the command to retry', () => {
    const result = install({ FAKE_GYP_EXIT: '3' });
    expect(result.status).toBe(0);
    expect(result.builds).toBe(1);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('@ryot/nvml: building ryot_nvml.node from source failed (node-gyp exit 3); GPU metrics report available: false.');
    const tail = Array.from({ length: 15 }, (_, i) => `  log line ${LOG_LINES - 14 + i}`);
    expect(lines.slice(1, 16)).toEqual(tail);
    expect(result.stdout).not.toContain(`log line ${LOG_LINES - 15}\n`);
    expect(lines[16]).toBe(`@ryot/nvml: retry, with the full output: node ${JSON.stringify(join(copy, 'scripts', 'build-addon.mjs'))}`);
    expect(lines).toHaveLength(17);
  });
});
