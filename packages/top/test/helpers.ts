/** What the CLI tests share: the built CLI, a counting /metrics endpoint on loopback, a free port. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export const pkgDir = fileURLToPath(new URL('..', import.meta.url));
export const cli = `${pkgDir}dist/cli.js`;

/** `pnpm test` builds first; a test file run alone builds dist when it is missing. */
export function buildIfMissing(): void {
  if (existsSync(cli) && existsSync(`${pkgDir}dist/web/app.js`)) return;
  const built = spawnSync('pnpm', ['run', 'build'], { cwd: pkgDir, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`build failed:\n${built.stdout}\n${built.stderr}`);
}

/**
 * The n-th scrape of an endpoint whose counters grow by a fixed step on every scrape: llama-3-8b gets 9 successes,
 * 1 error, 100 tokens and 10 TTFTs (5 ≤ 50 ms, 5 in (50, 100] ms) per scrape.
 */
export function exposition(n: number): string {
  return [
    '# HELP ryot_inference_requests_total Inference requests finished, by outcome.',
    '# TYPE ryot_inference_requests_total counter',
    `ryot_inference_requests_total{model="llama-3-8b",status="success",otel_scope_name="@ryot/metrics"} ${n * 9}`,
    `ryot_inference_requests_total{model="llama-3-8b",status="error",otel_scope_name="@ryot/metrics"} ${n}`,
    `ryot_inference_requests_total{model="qwen \\"2.5\\"",status="success",otel_scope_name="@ryot/metrics"} ${n * 2}`,
    '# TYPE ryot_tokens_generated_total counter',
    `ryot_tokens_generated_total{model="llama-3-8b"} ${n * 100}`,
    '# TYPE ryot_inference_requests_in_flight gauge',
    'ryot_inference_requests_in_flight{model="llama-3-8b"} 7',
    '# TYPE ryot_inference_ttft_seconds histogram',
    `ryot_inference_ttft_seconds_bucket{model="llama-3-8b",le="0.05"} ${n * 5}`,
    `ryot_inference_ttft_seconds_bucket{model="llama-3-8b",le="0.1"} ${n * 10}`,
    `ryot_inference_ttft_seconds_bucket{model="llama-3-8b",le="+Inf"} ${n * 10}`,
    '# TYPE target_info gauge',
    'target_info{service_name="demo"} 1',
    '',
  ].join('\n');
}

/** Listens on 127.0.0.1 (port 0: a free one) and returns the port; `servers` collects it for closing. */
export function listen(servers: Server[], handler: RequestListener, port = 0): Promise<number> {
  const server = createServer(handler);
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** A /metrics endpoint serving exposition(1), exposition(2), … one per request; `hits()` counts them. */
export async function serveCounting(servers: Server[], port = 0): Promise<{ port: number; hits: () => number }> {
  let n = 0;
  const bound = await listen(
    servers,
    (_, res) => {
      n++;
      res.setHeader('content-type', 'text/plain; version=0.0.4; charset=utf-8');
      res.end(exposition(n));
    },
    port,
  );
  return { port: bound, hits: () => n };
}

/** A port nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function closeAll(servers: Server[]): Promise<void> {
  return Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        }),
    ),
  ).then(() => undefined);
}

/** Runs `node dist/cli.js …` to its end. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
