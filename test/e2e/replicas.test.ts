/**
 * Scale-out against the real thing: three replicas of the example server (a and b single processes, c in cluster
 * mode with two workers behind one /metrics), load clients in separate processes, one Prometheus that finds the
 * replicas through file-based service discovery with the recording and alert rules loaded, and a second
 * Prometheus that receives the first one's samples by remote write and evaluates the same rules itself.
 *
 * Phase 1 checks that per-model counts summed over the replicas equal what the clients observed. Phase 2 kills
 * replica b (SIGKILL) under load and restarts it, and gracefully restarts one of c's workers: the target-down alert
 * goes pending, b's counters reset and Prometheus reads the reset as one, c's merged counters never go back, and
 * nothing is lost but what b counted after its last scrape. Last, the quantile recording rules are recomputed by
 * hand from the per-instance bucket rates, on both servers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { histogramQuantile } from '@ryot/top';
import { DEFAULT_MODELS } from '../../examples/inference-server/src/index.js';
import { TEST_TSCONFIG } from '../helpers/cluster-app.js';
import { ALERT_RULES, DEFAULT_CONFIG, RECORDING_RULES, failIfMissing, freePort, requireBinary, startPrometheus, type RunningPrometheus, type VectorSample } from '../helpers/prometheus.js';
import type { Exchange, LoadReport } from './fixtures/load-client.js';

const gate = requireBinary('prometheus');
const MAIN = fileURLToPath(new URL('../../examples/inference-server/src/main.ts', import.meta.url));
const LOAD_CLIENT = fileURLToPath(new URL('./fixtures/load-client.ts', import.meta.url));
const MODELS = DEFAULT_MODELS.map((model) => model.name);
const REQUESTS = 'ryot_inference_requests_total';

interface Replica {
  readonly name: string;
  /** The app's URL (the workers' shared port in cluster mode). */
  readonly url: string;
  /** host:port Prometheus scrapes. */
  readonly target: string;
  readonly child: ChildProcess;
  /** Cluster mode: the workers' pids, as they announced themselves. */
  readonly workerPids: number[];
  output(): string;
}

const children = new Set<ChildProcess>();
const pidsToKill = new Set<number>();

function killEverything(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of pidsToKill) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.once('exit', killEverything);

function spawnTracked(script: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, TSX_TSCONFIG_PATH: TEST_TSCONFIG, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function startReplica(name: string, options: { port: number; metricsPort?: number; workers?: number; stepScale?: number }): Promise<Replica> {
  const child = spawnTracked(MAIN, {
    PORT: String(options.port),
    HOST: '127.0.0.1',
    OTEL_SERVICE_NAME: 'ryot-inference',
    RYOT_EXAMPLE_FAULTS: 'off',
    RYOT_EXAMPLE_STEP_SCALE: String(options.stepScale ?? 1),
    ...(options.workers ? { WORKERS: String(options.workers), METRICS_PORT: String(options.metricsPort) } : {}),
  });
  let output = '';
  const workerPids: number[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replica ${name} not ready in 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const match of output.matchAll(/worker \d+ \(pid (\d+)\) serving/g)) {
        const pid = Number(match[1]);
        if (!workerPids.includes(pid)) workerPids.push(pid);
        pidsToKill.add(pid);
      }
      const ready = options.workers ? workerPids.length >= options.workers : /inference server on http/.test(output);
      if (ready) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`replica ${name} exited (${code}):\n${output}`)));
  });
  return {
    name,
    url: `http://127.0.0.1:${options.port}`,
    target: `127.0.0.1:${options.workers ? options.metricsPort : options.port}`,
    child,
    workerPids,
    output: () => output,
  };
}

async function stopReplica(replica: Replica | undefined): Promise<void> {
  if (!replica || replica.child.exitCode !== null || replica.child.signalCode !== null) return;
  const exited = new Promise((resolve) => replica.child.once('exit', resolve));
  replica.child.kill('SIGTERM');
  const timer = setTimeout(() => replica.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

function runLoad(targets: Replica[], durationMs: number): Promise<LoadReport> {
  const child = spawnTracked(LOAD_CLIENT, {
    LOAD: JSON.stringify({ targets: targets.map((r) => ({ name: r.name, url: r.url })), models: MODELS, durationMs, concurrency: 3, maxTokens: 4 }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(stdout) as LoadReport) : reject(new Error(`load client exited ${code}: ${stderr}`))));
  });
}

/** Counts by a key, as a plain object (stable for toEqual). */
function tally(exchanges: Exchange[], key: (exchange: Exchange) => string, weight: (exchange: Exchange) => number = () => 1): Record<string, number> {
  const out: Record<string, number> = {};
  for (const exchange of exchanges) out[key(exchange)] = (out[key(exchange)] ?? 0) + weight(exchange);
  return out;
}

/** A vector as `{ "label,label": value }` for toEqual, keyed by the given labels. */
function byLabels(result: VectorSample[], labels: string[]): Record<string, number> {
  return Object.fromEntries(result.map((sample) => [labels.map((label) => sample.metric[label] ?? '').join(','), Number(sample.value[1])]));
}

function writeTargets(file: string, replicas: Replica[]): void {
  // Written beside and renamed over, as a config-management tool would, so Prometheus never reads half a file.
  writeFileSync(`${file}.tmp`, JSON.stringify(replicas.map((r) => ({ targets: [r.target], labels: { replica: r.name } }))));
  renameSync(`${file}.tmp`, file);
}

async function settle<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!accept(last)) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms; last ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    last = await read();
  }
  return last;
}

describe.runIf(gate.run)('three replicas, one of them clustered, behind one Prometheus with file-based discovery', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ryot-replicas-'));
  const targetsFile = join(dir, 'targets.json');
  let scraper: RunningPrometheus;
  let receiver: RunningPrometheus;
  let a: Replica;
  let b: Replica;
  let c: Replica;
  let bPort: number;
  const observed: Exchange[] = [];

  beforeAll(async () => {
    failIfMissing(gate);
    writeTargets(targetsFile, []);
    receiver = await startPrometheus({ ruleFiles: [RECORDING_RULES, ALERT_RULES], args: ['--web.enable-remote-write-receiver'], maxLifetimeS: 300 });
    const [aPort, cPort, cMetricsPort] = [await freePort(), await freePort(), await freePort()];
    bPort = await freePort();
    scraper = await startPrometheus({
      configYaml: [
        DEFAULT_CONFIG.trimEnd(),
        'scrape_configs:',
        '  - job_name: ryot-inference',
        '    file_sd_configs:',
        `      - files: [${JSON.stringify(targetsFile)}]`,
        'remote_write:',
        `  - url: ${receiver.url}/api/v1/write`,
        '    queue_config:',
        '      batch_send_deadline: 1s',
        '      min_backoff: 100ms',
        '      max_backoff: 1s',
        '    # Rules run where the data lands: the receiver evaluates them itself, so their outputs are not sent.',
        '    write_relabel_configs:',
        '      - source_labels: [__name__]',
        '        regex: "ALERTS|ALERTS_FOR_STATE|.+:.+:.+"',
        '        action: drop',
        '',
      ].join('\n'),
      ruleFiles: [RECORDING_RULES, ALERT_RULES],
      maxLifetimeS: 300,
    });
    // b is three times slower than a and c, so the replicas' latency distributions differ.
    [a, b, c] = await Promise.all([
      startReplica('a', { port: aPort }),
      startReplica('b', { port: bPort, stepScale: 3 }),
      startReplica('c', { port: cPort, metricsPort: cMetricsPort, workers: 2 }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([stopReplica(a), stopReplica(b), stopReplica(c)]);
    killEverything();
    await scraper?.stop();
    await receiver?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('discovers the replicas from the targets file; the clustered one reports both workers answering', async () => {
    writeTargets(targetsFile, [a, b, c]);
    const up = await scraper.waitFor('up{job="ryot-inference"}', (r) => r.length === 3 && r.every((s) => s.value[1] === '1'), 30_000);
    expect(up.map((s) => s.metric['replica']).sort()).toEqual(['a', 'b', 'c']);
    const workers = await scraper.waitFor('ryot_cluster_workers{state="answered"}', (r) => r.length === 1 && r[0]!.value[1] === '2', 15_000);
    expect(workers[0]!.metric['replica']).toBe('c');
  }, 60_000);

  it('per-model counts summed over the replicas equal what the load clients observed', async () => {
    const reports = await Promise.all([runLoad([a, b, c], 6_000), runLoad([a, b, c], 6_000)]);
    for (const report of reports) observed.push(...report.exchanges);
    expect(reports.every((r) => Object.keys(r.unanswered).length === 0)).toBe(true);
    const expected = tally(observed, (e) => `${e.model},${e.status}`);
    // Every replica served every model, and the unknown model was refused.
    expect(Object.keys(expected).sort()).toEqual([...MODELS.map((m) => `${m},success`), 'unknown,error'].sort());
    expect(new Set(observed.map((e) => e.target))).toEqual(new Set(['a', 'b', 'c']));

    const summed = await settle(
      async () => byLabels(await scraper.vector(`sum by (model, status) (${REQUESTS})`), ['model', 'status']),
      (value) => JSON.stringify(value, Object.keys(value).sort()) === JSON.stringify(expected, Object.keys(expected).sort()),
      20_000,
      'per-model counts',
    );
    expect(summed).toEqual(expected);
    // Per replica too, the clustered one being its two workers merged.
    expect(byLabels(await scraper.vector(`sum by (replica) (${REQUESTS})`), ['replica'])).toEqual(tally(observed, (e) => e.target));
    expect(byLabels(await scraper.vector('sum by (model) (ryot_tokens_generated_total)'), ['model'])).toEqual(
      tally(observed.filter((e) => e.status === 'success'), (e) => e.model, (e) => e.tokens),
    );
    // Every success produced a first token: the TTFT histograms count them, across instances.
    expect(byLabels(await scraper.vector('sum by (model) (ryot_inference_ttft_seconds_count)'), ['model'])).toEqual(
      tally(observed.filter((e) => e.status === 'success'), (e) => e.model),
    );
    // The receiver got the same samples by remote write.
    await settle(
      async () => byLabels(await receiver.vector(`sum by (model, status) (${REQUESTS})`), ['model', 'status']),
      (value) => JSON.stringify(value, Object.keys(value).sort()) === JSON.stringify(expected, Object.keys(expected).sort()),
      20_000,
      'remote-written counts',
    );
  }, 90_000);

  it('killing a replica under load: the target-down alert, a counter reset Prometheus reads as one, only its last scrape interval lost', async () => {
    const load = Promise.all([runLoad([a, b, c], 14_000), runLoad([a, b, c], 14_000)]);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    // A rolling restart of one of c's workers: it drains, sends its final counts, and the primary forks another.
    process.kill(c.workerPids[0]!, 'SIGTERM');
    const killedAt = Date.now();
    b.child.kill('SIGKILL');
    const pending = await scraper.waitFor('ALERTS{alertname="RyotTargetDown",alertstate="pending"}', (r) => r.length === 1, 15_000);
    expect(pending[0]!.metric['replica']).toBe('b');
    const restartedAt = Date.now();
    b = await startReplica('b', { port: bPort, stepScale: 3 });
    await scraper.waitFor('up{replica="b"}', (r) => r[0]?.value[1] === '1', 20_000);
    const reports = await load;
    const phase2 = reports.flatMap((r) => r.exchanges);
    observed.push(...phase2);
    expect(phase2.some((e) => e.target === 'b' && e.at > restartedAt)).toBe(true);
    expect(killedAt).toBeLessThan(restartedAt);

    // a and c: exact. c lost nothing although one of its workers was replaced mid-run.
    const exact = tally(observed.filter((e) => e.target !== 'b'), (e) => `${e.target},${e.model},${e.status}`);
    const nonB = await settle(
      async () => byLabels(await scraper.vector(`sum by (replica, model, status) (${REQUESTS}{replica!="b"})`), ['replica', 'model', 'status']),
      (value) => JSON.stringify(value, Object.keys(value).sort()) === JSON.stringify(exact, Object.keys(exact).sort()),
      20_000,
      'counts of a and c',
    );
    expect(nonB).toEqual(exact);
    expect(Number((await scraper.vector('ryot_cluster_worker_exits_total{replica="c"}'))[0]?.value[1])).toBe(1);
    // c's merged counters never went back; b's did, once, and Prometheus saw it as a reset.
    expect(byLabels(await scraper.vector(`sum by (replica) (resets(${REQUESTS}[5m]))`), ['replica'])).toMatchObject({ a: 0, c: 0 });
    expect(Number((await scraper.vector(`sum(resets(${REQUESTS}{replica="b"}[5m]))`))[0]!.value[1])).toBeGreaterThan(0);

    // b's samples in two segments: its first life, and its second after the restart.
    const observedB = observed.filter((e) => e.target === 'b');
    const afterRestart = tally(observedB.filter((e) => e.at >= restartedAt), (e) => `${e.model},${e.status}`);
    await settle(
      async () => byLabels(await scraper.vector(`sum by (model, status) (${REQUESTS}{replica="b"})`), ['model', 'status']),
      (value) => JSON.stringify(value, Object.keys(value).sort()) === JSON.stringify(afterRestart, Object.keys(afterRestart).sort()),
      20_000,
      'counts of the restarted b',
    );
    const raw = await scraper.query(`${REQUESTS}{replica="b"}[5m]`);
    const series = (raw.data?.result ?? []) as { metric: Record<string, string>; values: [number, string][] }[];
    let firstLife = 0;
    let firstSample = 0;
    let lastScrapeMs = 0;
    let rawIncrease = 0;
    for (const { values } of series) {
      const before = values.filter(([t]) => t * 1000 < restartedAt);
      const after = values.filter(([t]) => t * 1000 >= restartedAt);
      if (before.length > 0) {
        firstLife += Number(before.at(-1)![1]);
        firstSample += Number(before[0]![1]);
        lastScrapeMs = Math.max(lastScrapeMs, before.at(-1)![0] * 1000);
      }
      // What increase() must at least find: the growth of each life (extrapolation only adds to it).
      rawIncrease += (before.length > 0 ? Number(before.at(-1)![1]) - Number(before[0]![1]) : 0) + (after.length > 0 ? Number(after.at(-1)![1]) : 0);
    }
    const observedFirstLife = observedB.filter((e) => e.at < restartedAt).length;
    const lost = observedFirstLife - firstLife;
    // Lost: what b answered after its last successful scrape, and nothing more.
    expect(lost).toBeGreaterThanOrEqual(0);
    expect(lost).toBeLessThanOrEqual(observedB.filter((e) => e.at < restartedAt && e.at >= lastScrapeMs).length);
    expect(firstSample).toBeLessThan(firstLife);
    const increase = Number((await scraper.vector(`sum(increase(${REQUESTS}{replica="b"}[5m]))`))[0]!.value[1]);
    expect(increase).toBeGreaterThanOrEqual(rawIncrease - 1e-9);
    console.log(`[replicas] b killed under load: ${observedFirstLife} answers observed before the restart, ${firstLife} scraped, ${lost} lost after its last scrape`);
  }, 120_000);

  it('the latency and TTFT quantile rules aggregate buckets across instances, on the scraper and on the remote-write receiver', async () => {
    // Freeze the inputs: no target left, so every rate() below sees the same samples as the rule evaluation did.
    writeTargets(targetsFile, []);
    await scraper.waitFor('up', (r) => r.length === 0, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    for (const server of [scraper, receiver]) {
      for (const [metric, q, rule] of [
        ['ryot_inference_ttft_seconds', 0.95, 'model:ryot_inference_ttft_seconds:p95_rate5m'],
        ['ryot_inference_request_duration_seconds', 0.5, 'model:ryot_inference_request_duration_seconds:p50_rate5m'],
        ['ryot_inference_request_duration_seconds', 0.95, 'model:ryot_inference_request_duration_seconds:p95_rate5m'],
      ] as const) {
        const recorded = await server.vector(rule);
        // Refused requests (model "unknown") have a duration too, but no first token.
        expect(recorded.map((s) => s.metric['model']).filter((m) => m !== 'unknown').sort(), rule).toEqual([...MODELS].sort());
        for (const sample of recorded) {
          const [at, value] = sample.value;
          const model = sample.metric['model']!;
          // The per-instance bucket rates at the rule's own evaluation time, summed by le here.
          const rates = await server.vector(`rate(${metric}_bucket{model="${model}"}[5m])`, at);
          expect(new Set(rates.map((r) => r.metric['replica']))).toEqual(new Set(['a', 'b', 'c']));
          const byLe = new Map<number, number>();
          for (const r of rates) {
            const le = r.metric['le'] === '+Inf' ? Infinity : Number(r.metric['le']);
            byLe.set(le, (byLe.get(le) ?? 0) + Number(r.value[1]));
          }
          const expected = histogramQuantile(q, [...byLe].map(([le, count]) => ({ le, count })));
          expect(Number(value), `${rule} ${model}`).toBeCloseTo(expected, 9);
          // Not any one replica's quantile: b is slower, and the merged one lies between theirs.
          const perReplica = ['a', 'b', 'c'].map((replica) =>
            histogramQuantile(q, rates.filter((r) => r.metric['replica'] === replica).map((r) => ({ le: r.metric['le'] === '+Inf' ? Infinity : Number(r.metric['le']), count: Number(r.value[1]) }))),
          );
          expect(Number(value)).toBeGreaterThanOrEqual(Math.min(...perReplica) - 1e-9);
          expect(Number(value)).toBeLessThanOrEqual(Math.max(...perReplica) + 1e-9);
        }
      }
    }
    // The receiver evaluated the alert rules on the remote-written `up` too.
    const pendingThere = await receiver.vector('count_over_time(ALERTS{alertname="RyotTargetDown",replica="b"}[5m])');
    expect(pendingThere.length).toBeGreaterThan(0);
  }, 90_000);
});
