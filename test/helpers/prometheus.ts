/**
 * The one helper for tests that need promtool or a real Prometheus server (scraping a target, with or
 * without the example rules).
 *
 *   const prom = await startPrometheus({ scrape: '127.0.0.1:9464', ruleFiles: [RECORDING_RULES] });
 *   try { await prom.waitFor('up', (r) => r.length === 1); } finally { await prom.stop(); }
 *
 * The server listens on 127.0.0.1 on a free port, keeps its TSDB in a fresh temp directory, and is
 * stopped by stop(), by the exit of the test process, and in any case by `timeout` after
 * `maxLifetimeS` (so it cannot outlive a test process that was SIGKILLed). With no configYaml it has
 * no scrape targets; pass one (scrape_configs pointing at your server) for end-to-end tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const PROMETHEUS_EXAMPLE_DIR = join(REPO_ROOT, 'examples/prometheus');
export const PROMETHEUS_CONFIG = join(PROMETHEUS_EXAMPLE_DIR, 'prometheus.yml');
export const RECORDING_RULES = join(PROMETHEUS_EXAMPLE_DIR, 'recording-rules.yml');
export const ALERT_RULES = join(PROMETHEUS_EXAMPLE_DIR, 'alert-rules.yml');

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? 'prometheus';
export const PROMTOOL_BIN = process.env.PROMTOOL_BIN ?? 'promtool';
export const INSTALL_HINT = 'apt-get install -y --no-install-recommends prometheus (ships prometheus and promtool)';

export function binaryAvailable(bin: string): boolean {
  const result = spawnSync(bin, ['--version'], { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

/**
 * Whether tests needing `bin` run. Present: yes. Absent: skipped with a message locally; with
 * CI=true they run and fail (call `failIfMissing(gate)` first in each test).
 */
export function requireBinary(bin: string): { run: boolean; missing?: string } {
  if (binaryAvailable(bin)) return { run: true };
  if (process.env.CI === 'true') return { run: true, missing: `${bin} not found on PATH but CI=true: ${INSTALL_HINT}` };
  console.warn(`[skip] ${bin} not found on PATH; skipped locally (${INSTALL_HINT}). With CI=true these tests fail instead.`);
  return { run: false };
}

export function failIfMissing(gate: { missing?: string }): void {
  if (gate.missing) throw new Error(gate.missing);
}

/** Runs promtool; `output` is stdout and stderr together, for assertion messages. */
export function promtool(args: string[], options: { cwd?: string } = {}): { status: number | null; output: string } {
  const result = spawnSync(PROMTOOL_BIN, args, { cwd: options.cwd ?? REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw result.error;
  return { status: result.status, output: `$ promtool ${args.join(' ')}\n${result.stdout}${result.stderr}` };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface StartPrometheusOptions {
  /** The whole prometheus.yml. Default: a global block (1 s intervals), and the `scrape` target if given. */
  configYaml?: string;
  /** A target `host:port` scraped every second as job `ryot` (ignored when configYaml is given). */
  scrape?: string;
  /** The path scraped on that target. Default /metrics. */
  metricsPath?: string;
  /** Rule files (absolute paths) copied beside the config and listed under rule_files. */
  ruleFiles?: string[];
  /** Extra command-line flags. */
  args?: string[];
  /** Hard limit on the server's life in seconds, enforced by coreutils `timeout`. Default 600. */
  maxLifetimeS?: number;
  readyTimeoutMs?: number;
}

export interface QueryResponse {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: unknown[] };
}

export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface RunningPrometheus {
  url: string;
  port: number;
  /** An instant query (at `time`, in seconds since the epoch, else now): the API's JSON answer, whatever its status (it does not throw on errors). */
  query(promql: string, time?: number): Promise<QueryResponse>;
  /** An instant query that must answer a vector; throws with Prometheus's error text otherwise. */
  vector(promql: string, time?: number): Promise<VectorSample[]>;
  /** Polls `vector(promql)` until `accept` holds for its result. */
  waitFor(promql: string, accept: (result: VectorSample[]) => boolean, timeoutMs?: number): Promise<VectorSample[]>;
  /** What the server wrote to stdout and stderr so far. */
  log(): string;
  stop(): Promise<void>;
}

export const DEFAULT_CONFIG = ['global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', '  evaluation_interval: 1s', ''].join('\n');

export async function startPrometheus(options: StartPrometheusOptions = {}): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'ryot-prometheus-'));
  let configYaml = options.configYaml ?? (options.scrape !== undefined ? scrapeConfig(options.scrape, options.metricsPath) : DEFAULT_CONFIG);
  const ruleFiles = options.ruleFiles ?? [];
  if (ruleFiles.length > 0) {
    if (/^rule_files:/m.test(configYaml)) {
      throw new Error('startPrometheus: pass rule files either in configYaml or as ruleFiles, not both');
    }
    const names = ruleFiles.map((file, i) => {
      const name = `${i}-${basename(file)}`;
      copyFileSync(file, join(dir, name));
      return name;
    });
    configYaml = `${configYaml.trimEnd()}\nrule_files:\n${names.map((n) => `  - ${JSON.stringify(n)}`).join('\n')}\n`;
  }
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, configYaml);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const promArgs = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
    ...(options.args ?? []),
  ];
  const lifetime = String(options.maxLifetimeS ?? 600);
  const useTimeout = binaryAvailable('timeout');
  const child: ChildProcess = useTimeout
    ? spawn('timeout', ['--kill-after=5', lifetime, PROMETHEUS_BIN, ...promArgs], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(PROMETHEUS_BIN, promArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  // `timeout` forwards SIGTERM to prometheus (a SIGKILL would stop only `timeout`), so SIGTERM it is;
  // 'exit' listeners must be synchronous, which kill() is.
  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.once('exit', killOnExit);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`prometheus exited before it was ready (${spawnError?.message ?? child.exitCode ?? child.signalCode}):\n${output}`);
    }
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready within ${options.readyTimeoutMs ?? 30_000} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const query = async (promql: string, time?: number): Promise<QueryResponse> => {
    const response = await fetch(`${url}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: promql, ...(time !== undefined ? { time: String(time) } : {}) }).toString(),
    });
    return (await response.json()) as QueryResponse;
  };
  const vector = async (promql: string, time?: number): Promise<VectorSample[]> => {
    const body = await query(promql, time);
    if (body.status !== 'success' || !body.data) throw new Error(`query failed: ${promql}\n${body.error ?? body.status}`);
    if (body.data.resultType !== 'vector') throw new Error(`expected a vector for ${promql}, got ${body.data.resultType}`);
    return body.data.result as VectorSample[];
  };
  return {
    url,
    port,
    log: () => output,
    stop,
    query,
    vector,
    async waitFor(promql, accept, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let last: VectorSample[] = [];
      while (Date.now() < deadline) {
        last = await vector(promql);
        if (accept(last)) return last;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      throw new Error(`timed out waiting on ${promql}; last result ${JSON.stringify(last)}\n${output}`);
    },
  };
}

/** A prometheus.yml scraping `target` every second as job `ryot`. */
export function scrapeConfig(target: string, metricsPath = '/metrics'): string {
  return [
    DEFAULT_CONFIG.trimEnd(),
    'scrape_configs:',
    '  - job_name: ryot',
    `    metrics_path: ${metricsPath}`,
    '    static_configs:',
    `      - targets: ['${target}']`,
    '',
  ].join('\n');
}

export function valueOf(result: VectorSample[], labels: Record<string, string> = {}): number | undefined {
  const sample = result.find((s) => Object.entries(labels).every(([k, v]) => s.metric[k] === v));
  return sample === undefined ? undefined : Number(sample.value[1]);
}

/** The ```promql blocks of a markdown file, each with its may-be-empty marker. */
export function promqlBlocks(markdown: string): { query: string; mayBeEmpty: boolean }[] {
  const blocks: { query: string; mayBeEmpty: boolean }[] = [];
  const pattern = /(<!-- may-be-empty -->\s*\n)?```promql\n([\s\S]*?)```/g;
  for (const match of markdown.matchAll(pattern)) {
    blocks.push({ query: (match[2] ?? '').trim(), mayBeEmpty: match[1] !== undefined });
  }
  return blocks;
}
