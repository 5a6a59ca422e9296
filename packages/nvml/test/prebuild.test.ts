/**
 * Packaging: `prebuildify --napi --strip` (scripts/prebuild.mjs, host architecture here;
 * the linux-arm64 cross build is loaded under an emulator in test/consumer/packed.test.ts)
 * output loads through node-gyp-build with no build/ directory, as for a consumer whose
 * package manager skips install scripts and who has no compiler. Runs on a temp copy of
 * the package so the working tree's build/ and prebuilds/ are untouched.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { GpuSnapshot, NvmlStatus } from '../src/types.js';
import { PACKAGE_DIR, buildFakeLibrary } from './helpers/build.js';
import { runChild } from './helpers/child.js';
import { FakeControl } from './helpers/config.js';
import { nativeBuildEnv } from '../scripts/native-env.mjs';

let copy: string;

beforeAll(() => {
  copy = join(mkdtempSync(join(tmpdir(), 'ryot-nvml-pack-')), 'nvml');
  mkdirSync(copy);
  for (const entry of ['package.json', 'binding.gyp', 'src', 'scripts']) cpSync(join(PACKAGE_DIR, entry), join(copy, entry), { recursive: true });
  mkdirSync(join(copy, 'test', 'fixtures'), { recursive: true });
  cpSync(join(PACKAGE_DIR, 'test', 'fixtures', 'child.ts'), join(copy, 'test', 'fixtures', 'child.ts'));
  symlinkSync(join(PACKAGE_DIR, 'node_modules'), join(copy, 'node_modules'));
  execFileSync(process.execPath, ['scripts/prebuild.mjs', '--arch', process.arch], { cwd: copy, env: nativeBuildEnv(), stdio: 'pipe' });
}, 240_000);

afterAll(() => {
  if (copy) rmSync(join(copy, '..'), { recursive: true, force: true });
});

/** npm outside any pnpm/npm script: without the npm_* variables this test runner may carry. */
function cleanNpmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
}

interface Result {
  status: NvmlStatus & { errorCode?: string };
  snapshot?: GpuSnapshot;
}

it('prebuildify writes one N-API binary under prebuilds/linux-x64', () => {
  const files = readdirSync(join(copy, 'prebuilds', `${process.platform}-${process.arch}`));
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(/\.node$/);
  expect(existsSync(join(copy, 'build'))).toBe(false);
});

it('the prebuilt binary loads with build/ absent and samples the fake NVML', () => {
  const fake = new FakeControl();
  const result = runChild<Result>(join(copy, 'test', 'fixtures', 'child.ts'), {
    ...fake.env(),
    CHILD_MODE: 'status',
    CHILD_LIBRARY: buildFakeLibrary(),
    RYOT_NVML_ADDON: '',
  }).json;
  expect(result.status.available).toBe(true);
  if (!result.status.available) return;
  expect(result.status.addonPath.startsWith(join(copy, 'prebuilds', `${process.platform}-${process.arch}`))).toBe(true);
  expect(result.snapshot?.devices[0]?.uuid).toBe('GPU-11111111-2222-3333-4444-555555555555');
});

it('the pack step refuses a tarball without both release prebuilds, or with a binary for the wrong architecture', () => {
  const host = `linux-${process.arch}`;
  const other = process.arch === 'x64' ? 'linux-arm64' : 'linux-x64';
  const out = mkdtempSync(join(tmpdir(), 'ryot-nvml-pack-out-'));
  const pack = () => spawnSync('npm', ['pack', '--pack-destination', out, '--loglevel=error'], { cwd: copy, encoding: 'utf8', env: cleanNpmEnv() });
  try {
    let result = pack();
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('refusing to pack without the linux-x64 and linux-arm64 prebuilds');
    expect(result.stderr).toContain(`prebuilds/${other}: missing`);
    expect(result.stderr).not.toContain(`prebuilds/${host}:`);
    // The host binary copied under the other architecture's name is caught by its ELF header.
    mkdirSync(join(copy, 'prebuilds', other));
    const [binary] = readdirSync(join(copy, 'prebuilds', host));
    cpSync(join(copy, 'prebuilds', host, binary!), join(copy, 'prebuilds', other, binary!));
    result = pack();
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(new RegExp(`prebuilds/${other}/\\S+\\.node: not a ${other} binary \\(ELF machine \\d+, expected \\d+\\)`));
    expect(readdirSync(out)).toEqual([]);
  } finally {
    rmSync(join(copy, 'prebuilds', other), { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
});

it('with neither prebuilds/ nor build/: one actionable error, reason addon-not-loaded', () => {
  rmSync(join(copy, 'prebuilds'), { recursive: true, force: true });
  const result = runChild<Result>(join(copy, 'test', 'fixtures', 'child.ts'), { CHILD_MODE: 'status', CHILD_LIBRARY: buildFakeLibrary(), RYOT_NVML_ADDON: '' }).json;
  expect(result.status).toMatchObject({ available: false, reason: 'addon-not-loaded', errorCode: 'RYOT_NVML_ADDON_LOAD' });
  if (result.status.available) return;
  const message = result.status.message;
  expect(message).toContain(`Cannot load the @ryot/nvml native addon (ryot_nvml.node) for ${process.platform}-${process.arch}`);
  expect(message).toContain(`no prebuilt binary for ${process.platform}-${process.arch} in this package loads, and none was built from source`);
  // The one command that builds it, for this copy of the package (test/install runs it).
  expect(message).toContain(`Build it with: node "${join(copy, 'scripts', 'build-addon.mjs')}"`);
  expect(message).toContain('node-gyp-build');
  expect(message).toContain('RYOT_NVML_ADDON');
});

it('an explicit addon path that does not load is reported as such', () => {
  const result = runChild<Result>(join(copy, 'test', 'fixtures', 'child.ts'), {
    CHILD_MODE: 'status',
    CHILD_LIBRARY: buildFakeLibrary(),
    CHILD_ADDON: join(copy, 'missing.node'),
  }).json;
  expect(result.status).toMatchObject({ available: false, reason: 'addon-not-loaded' });
  if (result.status.available) return;
  expect(result.status.message).toContain(`addonPath ${join(copy, 'missing.node')}`);
  expect(result.status.message).toContain(`${join(copy, 'missing.node')} did not load.`);
});
