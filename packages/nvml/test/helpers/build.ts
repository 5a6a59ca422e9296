/**
 * Builds what the tests need, idempotently and safely across parallel test files:
 * the addon (build/Release, via node-gyp when missing) and variants of the fake
 * libnvidia-ml.so.1 (gcc), cached under the OS temp dir by a hash of the C source.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeBuildEnv, runNodeGypRebuild } from '../../scripts/native-env.mjs';
import { buildOnce } from './lock.js';

export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FAKE_SOURCE = join(PACKAGE_DIR, 'test', 'fixtures', 'fake_nvml.c');
export const ADDON_FILE = join(PACKAGE_DIR, 'build', 'Release', 'ryot_nvml.node');

export interface FakeVariant {
  /** Directory name for the variant. */
  name: string;
  /** Symbols to leave out (compiled with -DOMIT_<symbol>). */
  omit?: readonly string[];
  /** Put the library under a directory named `stubs` (what the CUDA link stub's path looks like). */
  stubsDir?: boolean;
  /** GNU triplet of a cross compiler (e.g. aarch64-linux-gnu): `<triplet>-gcc` builds it for that target. */
  cross?: string;
}

function sourceHash(): string {
  return createHash('sha256').update(readFileSync(FAKE_SOURCE)).digest('hex').slice(0, 12);
}

export function fakeRoot(): string {
  return join(tmpdir(), `ryot-nvml-fake-${sourceHash()}`);
}

/** Compiles the fake library variant once; returns the absolute path of its libnvidia-ml.so.1. */
export function buildFakeLibrary(variant: FakeVariant = { name: 'full' }): string {
  const dir = join(fakeRoot(), variant.cross ? `${variant.name}-${variant.cross}` : variant.name, ...(variant.stubsDir ? ['stubs'] : []));
  const target = join(dir, 'libnvidia-ml.so.1');
  if (existsSync(target)) return target;
  mkdirSync(dir, { recursive: true });
  const partial = `${target}.${process.pid}.tmp`;
  const defines = (variant.omit ?? []).map((symbol) => `-DOMIT_${symbol}`);
  execFileSync(
    variant.cross ? `${variant.cross}-gcc` : 'gcc',
    ['-shared', '-fPIC', '-O2', '-Wall', '-Wno-format-truncation', '-fvisibility=hidden', '-Wl,-soname,libnvidia-ml.so.1', ...defines, '-o', partial, FAKE_SOURCE, '-lpthread'],
    { stdio: 'pipe' },
  );
  renameSync(partial, target);  // atomic: parallel builders never see a half-written file
  return target;
}

/** True when the built addon is missing or older than any native source or binding.gyp. */
function addonStale(): boolean {
  if (!existsSync(ADDON_FILE)) return true;
  const built = statSync(ADDON_FILE).mtimeMs;
  const nativeDir = join(PACKAGE_DIR, 'src', 'native');
  const sources = [join(PACKAGE_DIR, 'binding.gyp'), ...readdirSync(nativeDir).map((file) => join(nativeDir, file))];
  return sources.some((file) => statSync(file).mtimeMs > built);
}

/** Builds build/Release/ryot_nvml.node with node-gyp when missing or stale (one builder at a time). */
export function ensureAddon(): string {
  const lock = join(tmpdir(), `ryot-nvml-addon-build-${createHash('sha256').update(PACKAGE_DIR).digest('hex').slice(0, 8)}.lock`);
  return buildOnce(lock, () => (addonStale() ? undefined : ADDON_FILE), () => {
    const { status, output } = runNodeGypRebuild({ env: nativeBuildEnv(), quiet: true, cwd: PACKAGE_DIR });
    if (status !== 0) throw new Error(`node-gyp rebuild failed for the @ryot/nvml tests (exit ${status}):\n${output}`);
  }, 240_000);
}
