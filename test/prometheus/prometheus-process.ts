/**
 * Runs a real Prometheus server for a test: loopback only, a free port, a temp TSDB
 * directory, 1 s scrape interval. We start and stop our own process; the Debian
 * package's service (if any) plays no part.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? 'prometheus';
export const PROMTOOL_BIN = process.env.PROMTOOL_BIN ?? 'promtool';

export function binaryAvailable(bin: string): boolean {
  const result = spawnSync(bin, ['--version'], { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

/**
 * Whether a test needing `bin` should run: yes when present; when absent it is skipped
 * with a message locally, but in CI (CI=true) the suite must fail, so it runs and fails.
 */
export function requireBinary(bin: string, install: string): { run: boolean; reason?: string } {
  if (binaryAvailable(bin)) return { run: true };
  if (process.env.CI === 'true') return { run: true, reason: `${bin} not found on PATH but CI=true: ${install}` };
  console.warn(`[skip] ${bin} not found on PATH; these tests are skipped locally (${install}). In CI (CI=true) they fail instead.`);
  return { run: false };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

export class PrometheusProcess {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'ryot-prometheus-'));
  private log = '';
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(target: string, metricsPath = '/metrics'): Promise<void> {
    this.port = await freePort();
    const config = join(this.dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: ryot',
        `    metrics_path: ${metricsPath}`,
        '    static_configs:',
        `      - targets: ['${target}']`,
        '',
      ].join('\n'),
    );
    this.child = spawn(
      PROMETHEUS_BIN,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${this.port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`prometheus exited early (${this.child.exitCode}):\n${this.log}`);
      try {
        if ((await fetch(`${this.url}/-/ready`)).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`prometheus not ready within 20 s:\n${this.log}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Runs an instant query; throws with Prometheus's error text when it is rejected. */
  async query(promql: string): Promise<VectorSample[]> {
    const response = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: VectorSample[] } };
    if (body.status !== 'success' || !body.data) throw new Error(`query failed: ${promql}\n${body.error ?? response.status}`);
    if (body.data.resultType !== 'vector') throw new Error(`expected a vector for ${promql}, got ${body.data.resultType}`);
    return body.data.result;
  }

  /** Polls a query until `accept` holds for its result. */
  async waitFor(promql: string, accept: (result: VectorSample[]) => boolean, timeoutMs = 15_000): Promise<VectorSample[]> {
    const deadline = Date.now() + timeoutMs;
    let last: VectorSample[] = [];
    while (Date.now() < deadline) {
      last = await this.query(promql);
      if (accept(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`timed out waiting on ${promql}; last result ${JSON.stringify(last)}\n${this.log}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
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
