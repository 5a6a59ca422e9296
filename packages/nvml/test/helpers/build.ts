/**
 * Builds what the tests need, idempotently and safely across parallel test files:
 * the addon (build/Release, via node-gyp when missing) and variants of the fake
 * libnvidia-ml.so.1 (gcc), cached under the OS temp dir by a hash of the C source.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeBuildEnv } from '../../scripts/native-env.mjs';

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
}

function sourceHash(): string {
  return createHash('sha256').update(readFileSync(FAKE_SOURCE)).digest('hex').slice(0, 12);
}

export function fakeRoot(): string {
  return join(tmpdir(), `ryot-nvml-fake-${sourceHash()}`);
}

/** Compiles the fake library variant once; returns the absolute path of its libnvidia-ml.so.1. */
export function buildFakeLibrary(variant: FakeVariant = { name: 'full' }): string {
  const dir = join(fakeRoot(), variant.name, ...(variant.stubsDir ? ['stubs'] : []));
  const target = join(dir, 'libnvidia-ml.so.1');
  if (existsSync(target)) return target;
  mkdirSync(dir, { recursive: true });
  const partial = `${target}.${process.pid}.tmp`;
  const defines = (variant.omit ?? []).map((symbol) => `-DOMIT_${symbol}`);
  execFileSync(
    'gcc',
    ['-shared', '-fPIC', '-O2', '-Wall', '-Wno-format-truncation', '-fvisibility=hidden', '-Wl,-soname,libnvidia-ml.so.1', ...defines, '-o', partial, FAKE_SOURCE, '-lpthread'],
    { stdio: 'pipe' },
  );
  renameSync(partial, target);  // atomic: parallel builders never see a half-written file
  return target;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
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
  if (!addonStale()) return ADDON_FILE;
  const lock = join(tmpdir(), `ryot-nvml-addon-build-${createHash('sha256').update(PACKAGE_DIR).digest('hex').slice(0, 8)}.lock`);
  const deadline = Date.now() + 240_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (!addonStale()) return ADDON_FILE;
      // A lock older than the deadline belongs to a builder that died.
      if (Date.now() - statSync(lock).mtimeMs > 240_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lock}`);
      sleepSync(250);
    }
  }
  try {
    if (addonStale()) {
      const env = nativeBuildEnv();
      const nodeGyp = env.PREBUILD_NODE_GYP;
      if (nodeGyp === undefined) throw new Error('node-gyp not found: cannot build the @ryot/nvml addon for the tests');
      execFileSync(nodeGyp, ['rebuild'], { cwd: PACKAGE_DIR, env, stdio: 'pipe' });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  return ADDON_FILE;
}
