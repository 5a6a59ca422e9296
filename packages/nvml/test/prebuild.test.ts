/**
 * Packaging: `prebuildify --napi --strip` (scripts/prebuild.mjs) output loads
 * through node-gyp-build with no build/ directory, as for a consumer whose
 * package manager skips install scripts and who has no compiler. Runs on a temp
 * copy of the package so the working tree's build/ is untouched.
 */
import { execFileSync } from 'node:child_process';
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
  execFileSync(process.execPath, ['scripts/prebuild.mjs'], { cwd: copy, env: nativeBuildEnv(), stdio: 'pipe' });
  rmSync(join(copy, 'build'), { recursive: true, force: true });
}, 240_000);

afterAll(() => {
  if (copy) rmSync(join(copy, '..'), { recursive: true, force: true });
});

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

it('with neither prebuilds/ nor build/: one actionable error, reason addon-not-loaded', () => {
  rmSync(join(copy, 'prebuilds'), { recursive: true, force: true });
  const result = runChild<Result>(join(copy, 'test', 'fixtures', 'child.ts'), { CHILD_MODE: 'status', CHILD_LIBRARY: buildFakeLibrary(), RYOT_NVML_ADDON: '' }).json;
  expect(result.status).toMatchObject({ available: false, reason: 'addon-not-loaded', errorCode: 'RYOT_NVML_ADDON_LOAD' });
  if (result.status.available) return;
  expect(result.status.message).toContain(`Cannot load the @ryot/nvml native addon for ${process.platform}-${process.arch}`);
  expect(result.status.message).toContain('node-gyp-build');
  expect(result.status.message).toContain('RYOT_NVML_ADDON');
});

it('an explicit addon path that does not load is reported as such', () => {
  const result = runChild<Result>(join(copy, 'test', 'fixtures', 'child.ts'), {
    CHILD_MODE: 'status',
    CHILD_LIBRARY: buildFakeLibrary(),
    CHILD_ADDON: join(copy, 'missing.node'),
  }).json;
  expect(result.status).toMatchObject({ available: false, reason: 'addon-not-loaded' });
  if (!result.status.available) expect(result.status.message).toContain(`addonPath ${join(copy, 'missing.node')}`);
});
