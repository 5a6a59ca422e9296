/**
 * Load generator for scrape-storm measurements, run in its own process so the server's
 * event-loop delay is the server's alone: fires N concurrent scrapes (one connection
 * each, as N Prometheus servers would) and prints one JSON line with what came back.
 * With SCRAPES_SEQUENTIAL=1 the N scrapes go one after another instead (one Prometheus).
 *
 *   node --import tsx bench/scrape-storm-client.ts <url> <count> [bearer token]
 */
import { request } from 'node:http';
import type { StormResult } from './storm.js';

interface One {
  status: number | string;
  ms: number;
  bytes: number;
}

function scrape(url: URL, token: string | undefined): Promise<One> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(
      url,
      { agent: false, headers: { 'accept-encoding': 'gzip', ...(token ? { authorization: `Bearer ${token}` } : {}) } },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, bytes }));
        res.on('error', (error) => resolve({ status: error.message, ms: performance.now() - started, bytes }));
      },
    );
    req.setTimeout(60_000, () => req.destroy(new Error('client timeout (60 s)')));
    req.on('error', (error) => resolve({ status: error.message, ms: performance.now() - started, bytes: 0 }));
    req.end();
  });
}

async function storm(url: URL, count: number, token?: string): Promise<StormResult> {
  const started = performance.now();
  const results: One[] = [];
  if (process.env['SCRAPES_SEQUENTIAL'] === '1') for (let i = 0; i < count; i++) results.push(await scrape(url, token));
  else results.push(...(await Promise.all(Array.from({ length: count }, () => scrape(url, token)))));
  const wallMs = performance.now() - started;
  const times = results.map((r) => r.ms).sort((a, b) => a - b);
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  for (const { status } of results) {
    const bucket = typeof status === 'number' ? statuses : errors;
    bucket[String(status)] = (bucket[String(status)] ?? 0) + 1;
  }
  return {
    count,
    statuses,
    errors,
    wallMs,
    p50Ms: times[Math.floor(times.length / 2)] ?? 0,
    maxMs: times.at(-1) ?? 0,
    bytes: results.reduce((sum, r) => sum + r.bytes, 0),
  };
}

const [url, count, token] = process.argv.slice(2);
if (!url || !count) throw new Error('usage: scrape-storm-client.ts <url> <count> [bearer token]');
process.stdout.write(`${JSON.stringify(await storm(new URL(url), Number(count), token))}\n`);
