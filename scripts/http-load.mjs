// The benchmarks' HTTP load generator, in a process of its own so that its CPU time is not
// the server's: `startLoadGenerator()` spawns this file, which reads one JSON job per line on
// stdin, runs it with closed-loop keep-alive clients, and answers one JSON line per job.
//   job:    { url, method?, headers?, body?, concurrency, durationMs } or { ..., requests } (a fixed count)
//   answer: { requests, errors, seconds, latencyMs: { mean, p50, p99 }, cpuMicrosPerRequest } (this process's CPU)
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

function once(agent, job) {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = request(job.url, { method: job.method ?? 'GET', headers: job.headers, agent }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve({ ok: res.statusCode !== undefined && res.statusCode < 400, ms: performance.now() - started }));
      res.on('error', () => resolve({ ok: false, ms: performance.now() - started }));
    });
    req.on('error', () => resolve({ ok: false, ms: performance.now() - started }));
    req.end(job.body);
  });
}

async function runJob(job) {
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  const latencies = [];
  let errors = 0;
  let remaining = job.requests ?? Number.POSITIVE_INFINITY;
  const deadline = job.durationMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + job.durationMs;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const client = async () => {
    while (remaining > 0 && performance.now() < deadline) {
      remaining--;
      const result = await once(agent, job);
      if (result.ok) latencies.push(result.ms);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, client));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
  const cpuMicrosPerRequest = (cpu.user + cpu.system) / Math.max(1, latencies.length + errors);
  return { requests: latencies.length, errors, seconds, latencyMs: { mean, p50: at(0.5), p99: at(0.99) }, cpuMicrosPerRequest };
}

/** Spawns the load generator; jobs run one at a time, in order. */
export function startLoadGenerator() {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (line) => waiting.shift()?.(JSON.parse(line)));
  return {
    pid: child.pid,
    run(job) {
      return new Promise((resolve) => {
        waiting.push(resolve);
        child.stdin.write(`${JSON.stringify(job)}\n`);
      });
    },
    close() {
      child.stdin.end();
      return new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const jobs = createInterface({ input: process.stdin });
  let chain = Promise.resolve();
  jobs.on('line', (line) => {
    chain = chain.then(async () => process.stdout.write(`${JSON.stringify(await runJob(JSON.parse(line)))}\n`));
  });
}
