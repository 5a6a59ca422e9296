/**
 * Every Quick start in every README, run as written. A fenced block whose info string carries
 * `runnable` (```ts runnable) names its file and command on its first line
 * (`// app.ts (run: npx tsx app.ts)`); it is saved under that name and run with that command in
 * a fresh ESM project (`"type": "module"`) where plain npm installed the packed packages, the
 * SDKs the snippets use and `tsx`. TypeScript blocks are also type-checked (strict, NodeNext).
 *
 * What each block must show is listed in CHECKS, keyed by README and file name. A runnable block
 * without an entry, an entry without a block, and a ts/js block under a "Quick start" heading
 * that is not marked runnable all fail, so a new Quick start cannot go untested.
 *
 * The outside world is played on loopback: Prometheus ports come from
 * OTEL_EXPORTER_PROMETHEUS_PORT=0 (the snippets print the URL they got), the Collector is the OTLP
 * receiver the OTLP tests use, the GPU is the fake NVML, and the OpenAI and Anthropic APIs are
 * the example inference server (chat completions, Responses, Messages), reached through the
 * SDKs' own base-URL variables.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferenceServer, type InferenceServer } from '../../examples/inference-server/src/index.js';
import { buildFakeLibrary } from '../../packages/nvml/test/helpers/build.js';
import { FakeControl } from '../../packages/nvml/test/helpers/config.js';
import { OtlpReceiver, attributeMap } from '../otlp/receiver.js';
import { NPM_FLAGS, PACKAGES, REPO, cleanEnv, packRelease, run } from './release.js';

const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');

interface Snippet {
  readme: string;
  heading: string;
  info: string;
  file: string;
  command: string;
  body: string;
}

/** Every README.md in the repository, outside node_modules and build output. */
function readmes(dir = REPO): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'dist', '.git', 'build'].includes(entry.name)) continue;
    if (entry.isDirectory()) found.push(...readmes(join(dir, entry.name)));
    else if (entry.name === 'README.md') found.push(join(dir, entry.name));
  }
  return found.sort();
}

interface Block {
  readme: string;
  heading: string;
  info: string;
  body: string;
}

function fencedBlocks(path: string): Block[] {
  const readme = relative(REPO, path);
  const blocks: Block[] = [];
  let heading = '';
  let open: { info: string; lines: string[] } | undefined;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const fence = /^```(.*)$/.exec(line);
    if (open) {
      if (fence && fence[1] === '') {
        blocks.push({ readme, heading, info: open.info, body: `${open.lines.join('\n')}\n` });
        open = undefined;
      } else open.lines.push(line);
    } else if (fence) open = { info: fence[1]!.trim(), lines: [] };
    else if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '');
  }
  return blocks;
}

const blocks = readmes().flatMap(fencedBlocks);
const isCode = (b: Block) => /^(ts|typescript|js|javascript|mjs|cjs)\b/.test(b.info);
const snippets: Snippet[] = blocks
  .filter((b) => b.info.split(/\s+/).includes('runnable'))
  .map((b) => {
    const first = /^\/\/ (\S+) \(run: ([^,;)]+)/.exec(b.body.split('\n')[0] ?? '');
    if (!first) throw new Error(`${b.readme} (${b.heading}): a runnable block starts with "// <file> (run: <command>)"`);
    return { ...b, file: first[1]!, command: first[2]!.trim() };
  });
const key = (s: { readme: string; file: string }) => `${s.readme} ${s.file}`;

// ---- what each snippet must show -------------------------------------------------------

interface Context {
  /** The example inference server: OpenAI chat completions and Responses, Anthropic Messages. */
  llm: InferenceServer;
  collector: OtlpReceiver;
  fake: FakeControl;
}

interface Check {
  /** `serves`: stays up and serves these series at the URL it prints (`metrics: <url>`); `exits`: exits 0 printing these. */
  kind: 'serves' | 'exits';
  shows: RegExp[];
  env?: (ctx: Context) => Record<string, string>;
  /** Further checks once it is done (e.g. what the collector received). */
  after?: (ctx: Context, output: { stdout: string; stderr: string; metrics?: string }) => void;
}

const series = (name: string, labels: string, value = String.raw`\d+`) => new RegExp(`^${name}\\{${labels}[^}]*\\} ${value}$`, 'm');
const LLAMA_STREAM = [
  series('ryot_inference_requests_total', 'model="llama-3-8b",status="success"', '[1-9]\\d*'),
  series('ryot_inference_ttft_seconds_count', 'model="llama-3-8b"', '[1-9]\\d*'),
  series('ryot_tokens_generated_total', 'model="llama-3-8b"', '[1-9]\\d*'),
];
/** 'tokens arrive one at a time' is six tokens: six per finished request, one TTFT per request. */
function sixTokensPerRequest(_ctx: Context, output: { metrics?: string }): void {
  const value = (name: string) => Number(new RegExp(`^${name}\\{model="llama-3-8b"[^}]*\\} (\\d+)$`, 'm').exec(output.metrics ?? '')?.[1]);
  const requests = value('ryot_inference_requests_total');
  expect(value('ryot_tokens_generated_total')).toBe(6 * requests);
  expect(value('ryot_inference_ttft_seconds_count')).toBe(requests);
}
const withFakeGpu = (ctx: Context) => ({ ...ctx.fake.env(), RYOT_NVML_LIBRARY: buildFakeLibrary() });
/** The OpenAI SDK (and what is built on it) reads these; the example server plays the API. */
const openAiEnv = (ctx: Context) => ({ OPENAI_BASE_URL: `${ctx.llm.url}/v1`, OPENAI_API_KEY: 'test-key' });
/** What a client-side quick start prints for its one request: counted, timed to the first token, its tokens, the GenAI duration. */
const clientMetrics = (model: string) => [
  series('ryot_inference_requests_total', `model="${model}",status="success"`, '1'),
  series('ryot_inference_ttft_seconds_count', `model="${model}"`, '1'),
  // The output tokens the API reported (its usage), or counted: the example server picks each reply's length.
  series('ryot_tokens_generated_total', `model="${model}"`, '[1-9]\\d*'),
  new RegExp(`^gen_ai_client_operation_duration\\w*_count\\{[^}]*gen_ai_request_model="${model}"[^}]*\\} 1$`, 'm'),
];

const CHECKS: Record<string, Check> = {
  'README.md app.ts': { kind: 'serves', shows: LLAMA_STREAM, after: sixTokensPerRequest },
  'README.md app.cjs': { kind: 'serves', shows: LLAMA_STREAM, after: sixTokensPerRequest },
  'packages/exporters/README.md scrape.ts': {
    kind: 'serves',
    shows: [
      series('ryot_inference_requests_total', 'model="llama-3-8b",status="success"', '[1-9]\\d*'),
      series('ryot_inference_request_duration_seconds_count', 'model="llama-3-8b"', '[1-9]\\d*'),
      /^target_info\{[^}]*service_name="chat-api"/m,
    ],
  },
  'packages/exporters/README.md push.ts': {
    kind: 'exits',
    shows: [/^3 requests recorded; metrics exported to http:\/\/127\.0\.0\.1:\d+\/v1\/metrics \(a failed export is logged above\)$/m],
    env: (ctx) => ({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: ctx.collector.url }),
    after: (ctx, { stderr }) => {
      expect(stderr).not.toContain('export failed');
      const points = ctx.collector.received
        .flatMap((r) => r.request.resourceMetrics ?? [])
        .filter((rm) => attributeMap(rm.resource?.attributes)['service.name'] === 'batch-embedder')
        .flatMap((rm) => rm.scopeMetrics ?? [])
        .flatMap((sm) => sm.metrics ?? [])
        .filter((m) => m.name === 'ryot_inference_requests')
        .flatMap((m) => m.sum?.dataPoints ?? []);
      const last = points.filter((p) => attributeMap(p.attributes)['model'] === 'bge-small').at(-1);
      expect(attributeMap(last?.attributes)).toMatchObject({ model: 'bge-small', status: 'success' });
      expect(last?.asInt ?? last?.asDouble).toBe(3);
    },
  },
  'packages/metrics/README.md tour.ts': {
    kind: 'exits',
    shows: [
      /^one two three four $/m,
      series('ryot_inference_requests_total', 'model="llama-3-8b",status="success"', '2'),
      series('ryot_inference_requests_total', 'model="llama-3-70b",status="success"', '1'),
      series('ryot_inference_requests_total', 'model="mistral-7b",status="success"', '1'),
    ],
  },
  'packages/openai/README.md chat.ts': { kind: 'exits', shows: clientMetrics('gpt-4o-mini'), env: openAiEnv },
  'packages/anthropic/README.md claude.ts': {
    kind: 'exits',
    shows: clientMetrics('claude-sonnet-4-5'),
    env: (ctx) => ({ ANTHROPIC_BASE_URL: ctx.llm.url, ANTHROPIC_API_KEY: 'test-key' }),
  },
  'packages/ai-sdk/README.md ai.ts': { kind: 'exits', shows: clientMetrics('gpt-4o-mini'), env: openAiEnv },
  'packages/langchain/README.md chain.ts': { kind: 'exits', shows: clientMetrics('gpt-4o-mini'), env: openAiEnv },
  'packages/nvml/README.md gpu.ts': {
    kind: 'exits',
    shows: [
      /^2 GPU\(s\), driver 570\.133\.20, through \S+libnvidia-ml\.so\.1$/m,
      // BASE_CONFIG of the fake: device 0 uses 70 GB of 150754820096 bytes at 87 %, drawing 312.456 W.
      series('hw_gpu_memory_usage', 'hw_id="GPU-11111111-2222-3333-4444-555555555555"', '70000000000'),
      series('hw_gpu_memory_limit', 'hw_id="GPU-11111111-2222-3333-4444-555555555555"', '150754820096'),
      series('hw_gpu_utilization', 'hw_id="GPU-11111111-2222-3333-4444-555555555555"', '0.87'),
      series('hw_power', 'hw_id="GPU-11111111-2222-3333-4444-555555555555"', '312.456'),
    ],
    env: withFakeGpu,
  },
  'packages/nvml/README.md snapshot.ts': {
    kind: 'exits',
    shows: [/^NVIDIA H200 312\.456 W, driver 570\.133\.20$/m, /^2 device\(s\) sampled again$/m],
    env: withFakeGpu,
  },
};

// ---- the fresh ESM project --------------------------------------------------------------

let project = '';
const ctx = {} as Context;
const skip = process.env.RYOT_SKIP_PACKED === '1';

/** Runs a snippet's command; for `serves`, waits for its URL to show the series, checks it stays up, then stops it. */
async function runSnippet(snippet: Snippet, check: Check): Promise<{ stdout: string; stderr: string; metrics?: string }> {
  const env = cleanEnv({ OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1', OTEL_EXPORTER_PROMETHEUS_PORT: '0', NO_COLOR: '1', ...(check.env?.(ctx) ?? {}) });
  const child = spawn('sh', ['-c', snippet.command], { cwd: project, env, detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const startedAt = Date.now();
  const describeRun = () => `${snippet.command}\nstdout: ${stdout}\nstderr: ${stderr}`;
  if (check.kind === 'exits') {
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000);
    const code = await exited;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`exited with ${code}: ${describeRun()}`);
    return { stdout, stderr };
  }
  try {
    let metrics = '';
    for (const deadline = Date.now() + 30_000; ; ) {
      const url = /^metrics: (http\S+)$/m.exec(stdout)?.[1];
      if (url) {
        metrics = await fetch(url).then((r) => r.text(), () => '');
        if (check.shows.every((re) => re.test(metrics))) break;
      }
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} instead of staying up: ${describeRun()}`);
      if (Date.now() > deadline) throw new Error(`no ${check.shows.find((re) => !re.test(metrics))} at its metrics URL: ${describeRun()}\nmetrics: ${metrics}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Still up well after its first requests: nothing lets it exit on its own.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + 4000 - Date.now())));
    expect(child.exitCode, describeRun()).toBeNull();
    return { stdout, stderr, metrics };
  } finally {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
}

describe.skipIf(skip)('README quick starts, run as written', () => {
  beforeAll(async () => {
    const tarballs = packRelease();
    project = mkdtempSync(join(tmpdir(), 'ryot-quickstart-'));
    const pkg = {
      name: 'ryot-quickstart',
      private: true,
      type: 'module',
      dependencies: {
        ...Object.fromEntries(PACKAGES.map((p) => [`@ryot/${p}`, `file:${tarballs[p]}`])),
        '@opentelemetry/api': '^1.9.0',
        // The SDKs the client quick starts use, as their READMEs install them.
        openai: '>=6.0.0 <8.0.0',
        '@anthropic-ai/sdk': '^1.0.0',
        ai: '>=6.0.0 <8.0.0',
        '@ai-sdk/openai': '*',
        '@langchain/core': '^1.0.0',
        '@langchain/openai': '^1.0.0',
      },
      devDependencies: { tsx: '^4.20.0', '@types/node': '^20.19.0' },
    };
    writeFileSync(join(project, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
    for (const snippet of snippets) writeFileSync(join(project, snippet.file), snippet.body);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', lib: ['ES2022', 'ESNext.Disposable'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
        files: snippets.filter((s) => /\.(ts|mts|cts)$/.test(s.file)).map((s) => s.file),
      }),
    );
    ctx.fake = new FakeControl();
    [ctx.llm, ctx.collector] = await Promise.all([
      createInferenceServer({
        api: null,
        jitter: 0,
        models: ['gpt-4o-mini', 'claude-sonnet-4-5'].map((name) => ({ name, family: 'fake', quantization: 'none', loadMs: 0, prefillMsPerToken: 0.05, stepMs: 2, stepMsPerSequence: 0, maxBatch: 8, weightsBytes: 1, kvBytesPerToken: 1, reservedBytes: 1 << 30, gpuId: 0 })),
      }),
      new OtlpReceiver().start(),
      run('npm', ['install', ...NPM_FLAGS], project, cleanEnv(), 240_000),
    ]);
  }, 480_000);

  afterAll(async () => {
    await Promise.all([ctx.llm?.close(), ctx.collector?.stop()]);
    if (ctx.fake) rmSync(ctx.fake.dir, { recursive: true, force: true });
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('every ts/js block under a "Quick start" heading is marked runnable, and every runnable block has a check', () => {
    const quickStartCode = blocks.filter((b) => /^quick start/i.test(b.heading) && isCode(b));
    expect(quickStartCode.filter((b) => !b.info.split(/\s+/).includes('runnable')).map((b) => `${b.readme} (${b.heading})`)).toEqual([]);
    expect(snippets.map(key).sort()).toEqual(Object.keys(CHECKS).sort());
    // Every README with a Quick start section has at least one runnable block in it.
    const withQuickStart = new Set(blocks.filter((b) => /^quick start/i.test(b.heading)).map((b) => b.readme));
    for (const readme of withQuickStart) expect(snippets.some((s) => s.readme === readme && /^quick start/i.test(s.heading)), readme).toBe(true);
  });

  it('the TypeScript snippets type-check (strict, NodeNext) against the published declarations', async () => {
    await run(process.execPath, [TSC, '-p', join(project, 'tsconfig.json')], project, cleanEnv());
  }, 60_000);

  it.each(snippets.map((s) => [key(s), s] as const))('%s', async (_name, snippet) => {
    const check = CHECKS[key(snippet)];
    if (!check) throw new Error(`no check for ${key(snippet)}`);
    const output = await runSnippet(snippet, check);
    const shown = check.kind === 'serves' ? (output.metrics ?? '') : output.stdout;
    for (const re of check.shows) expect(shown, `${re}\nstdout: ${output.stdout}\nstderr: ${output.stderr}`).toMatch(re);
    check.after?.(ctx, output);
  }, 90_000);
});
