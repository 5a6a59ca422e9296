/**
 * The first five minutes on a machine with Node and a package manager only. Every install
 * here runs with a PATH that offers everything on this machine's PATH except python3, make
 * and the C/C++ compilers (toolchainFreePath(); the first test proves they are unreachable).
 *
 * - npm installs the packed @ryot/nvml: its prebuild loads, nothing is compiled.
 * - npm installs a @ryot/nvml without a prebuild for this platform: the install succeeds and
 *   says why there is no addon; at run time the status is `available: false` with a message
 *   naming ryot_nvml.node and the one command that builds it; that command, run where a
 *   toolchain exists, builds it, and the addon loads.
 * - with a toolchain, the same tarball's install script builds the addon by itself.
 * - this repository: `pnpm install` (offline, from the store the suite's own install filled)
 *   and `pnpm demo` pass in a copy of the working tree.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFakeLibrary } from '../../packages/nvml/test/helpers/build.js';
import { FakeControl } from '../../packages/nvml/test/helpers/config.js';
import { NPM_FLAGS, REPO, cleanEnv, packRelease, run, toolchainFreePath, type Tarballs } from '../consumer/release.js';

const TARGET = `${process.platform}-${process.arch}`;
const STATUS_SCRIPT = `import { getNvmlStatus } from '@ryot/nvml';
const status = await getNvmlStatus();
process.stdout.write(JSON.stringify(status.available ? { available: true, addonPath: status.addonPath, deviceCount: status.deviceCount } : { available: false, reason: status.reason, message: status.message }) + '\\n');
`;

interface Status {
  available: boolean;
  addonPath?: string;
  deviceCount?: number;
  reason?: string;
  message?: string;
}

let work = '';
let farm = '';
let tarballs: Tarballs;
let withoutPrebuild = '';
const fake = new FakeControl();
const skip = process.env.RYOT_SKIP_PACKED === '1';

/** This machine's environment with the toolchain-free PATH (nothing else changed). */
const noToolchain = (extra: Record<string, string> = {}) => cleanEnv({ PATH: farm, ...extra });

/** A consumer project with @ryot/nvml (and the @ryot/metrics it depends on) from tarballs. */
function consumer(name: string, nvmlTarball: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  const pkg = {
    name,
    private: true,
    type: 'module',
    dependencies: { '@ryot/nvml': `file:${nvmlTarball}`, '@ryot/metrics': `file:${tarballs.metrics}`, '@opentelemetry/api': '~1.9.0' },
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(join(dir, 'status.mjs'), STATUS_SCRIPT);
  return dir;
}

async function status(dir: string, env: NodeJS.ProcessEnv): Promise<Status> {
  const { stdout } = await run(process.execPath, ['status.mjs'], dir, env);
  return JSON.parse(stdout.trim().split('\n').pop()!) as Status;
}

const fakeEnv = () => ({ ...fake.env(), RYOT_NVML_LIBRARY: buildFakeLibrary() });

describe.skipIf(skip)('no python3, make or C++ compiler on PATH', () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'ryot-no-toolchain-test-'));
    farm = toolchainFreePath();
    tarballs = packRelease();
    // The same tarball without the prebuild for this platform: what a user on a platform
    // without one (say linux-riscv64) installs.
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', tarballs.nvml, '-C', unpacked]);
    rmSync(join(unpacked, 'package', 'prebuilds', TARGET), { recursive: true });
    withoutPrebuild = join(work, 'ryot-nvml-0.1.0-without-prebuild.tgz');
    execFileSync('tar', ['-czf', withoutPrebuild, '-C', unpacked, 'package']);
  }, 300_000);

  afterAll(() => {
    for (const dir of [work, farm, fake.dir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the PATH really lacks them (and still has node, npm, pnpm, tar)', () => {
    const probe = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`], { env: noToolchain() }).status === 0;
    for (const tool of ['python3', 'python', 'make', 'g++', 'gcc', 'cc', 'c++', 'clang++']) expect(probe(tool), tool).toBe(false);
    for (const tool of ['node', 'npm', 'pnpm', 'tar']) expect(probe(tool), tool).toBe(true);
  });

  it('npm installs the packed @ryot/nvml: its prebuild loads, nothing is built', async () => {
    const dir = consumer('with-prebuild', tarballs.nvml);
    await run('npm', ['install', '--foreground-scripts', ...NPM_FLAGS], dir, noToolchain(), 240_000);
    expect(existsSync(join(dir, 'node_modules', '@ryot', 'nvml', 'build'))).toBe(false);
    const result = await status(dir, noToolchain(fakeEnv()));
    expect(result.available).toBe(true);
    expect(result.addonPath?.startsWith(join(dir, 'node_modules', '@ryot', 'nvml', 'prebuilds', TARGET))).toBe(true);
    expect(result.deviceCount).toBe(2);
  }, 300_000);

  it('without a prebuild for the platform: the install succeeds, the status names the missing addon and the one command that builds it, and that command works', async () => {
    const dir = consumer('without-prebuild', withoutPrebuild);
    const installed = await run('npm', ['install', '--foreground-scripts', ...NPM_FLAGS], dir, noToolchain(), 240_000);
    const output = installed.stdout + installed.stderr;
    expect(output).toContain(`@ryot/nvml: no prebuilt addon (ryot_nvml.node) for ${TARGET} and no toolchain to build one (missing: python3, make, g++).`);
    expect(output).not.toMatch(/gyp ERR!/);
    const nvmlDir = join(dir, 'node_modules', '@ryot', 'nvml');
    expect(existsSync(join(nvmlDir, 'build', 'Release', 'ryot_nvml.node'))).toBe(false);

    const missing = await status(dir, noToolchain(fakeEnv()));
    expect(missing).toMatchObject({ available: false, reason: 'addon-not-loaded' });
    expect(missing.message).toContain(`Cannot load the @ryot/nvml native addon (ryot_nvml.node) for ${TARGET}`);
    const command = /Build it with: (node "[^"]+")/.exec(missing.message ?? '')?.[1];
    expect(command).toBe(`node "${join(nvmlDir, 'scripts', 'build-addon.mjs')}"`);

    // Run as printed, first still without a toolchain (a clear refusal), then with one.
    const refused = spawnSync('sh', ['-c', command!], { cwd: dir, env: noToolchain(), encoding: 'utf8' });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('@ryot/nvml: cannot build ryot_nvml.node: missing python3, make, g++ on PATH.');
    const built = spawnSync('sh', ['-c', command!], { cwd: dir, env: cleanEnv(), encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    const loaded = await status(dir, noToolchain(fakeEnv()));
    expect(loaded).toMatchObject({ available: true, addonPath: join(nvmlDir, 'build', 'Release', 'ryot_nvml.node'), deviceCount: 2 });
  }, 300_000);

  it('with a toolchain, the install script builds the addon itself, in one line', async () => {
    const dir = consumer('source-build', withoutPrebuild);
    const installed = await run('npm', ['install', '--foreground-scripts', ...NPM_FLAGS], dir, cleanEnv(), 240_000);
    expect(installed.stdout).toMatch(new RegExp(`@ryot/nvml: built ryot_nvml\\.node for ${TARGET} from source in [\\d.]+s\\.`));
    expect(installed.stdout).not.toContain('gyp info');
    const loaded = await status(dir, noToolchain(fakeEnv()));
    expect(loaded).toMatchObject({ available: true, addonPath: join(dir, 'node_modules', '@ryot', 'nvml', 'build', 'Release', 'ryot_nvml.node') });
  }, 300_000);

  it('this repository: `pnpm install` and `pnpm demo` pass, quietly', async () => {
    const copy = join(work, 'repo');
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: REPO, encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const file of files) {
      if (!existsSync(join(REPO, file))) continue; // deleted in the working tree
      mkdirSync(dirname(join(copy, file)), { recursive: true });
      cpSync(join(REPO, file), join(copy, file));
    }
    const install = await run('pnpm', ['install', '--offline', '--frozen-lockfile'], copy, noToolchain(), 240_000);
    expect(install.stdout).toContain(`@ryot/nvml: no prebuilt addon (ryot_nvml.node) for ${TARGET} and no toolchain to build one`);
    const demo = await run('pnpm', ['demo', '--duration', '2', '--concurrency', '4'], copy, noToolchain({ OTEL_METRICS_EXPORTER: 'none' }), 240_000);
    const lines = demo.stdout.split('\n');
    const start = lines.findIndex((line) => line.startsWith('Ryot demo: example inference server on'));
    // Before the demo's first line, one line for the build (pnpm echoes the script on stderr).
    expect(lines.slice(0, start)).toEqual([expect.stringMatching(/^Building the packages\.\.\. done in [\d.]+s$/)]);
    expect(lines.filter((line) => /^(llama|mistral|qwen)\S* +s:\d+ e:\d+ t:\d+ c:\d+/.test(line))).toHaveLength(3);
  }, 300_000);
});
