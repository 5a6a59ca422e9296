/**
 * The operations material against the real thing: a real Prometheus scrapes the example
 * inference server every second while it serves mixed traffic, evaluates the example
 * recording and alert rules, and answers every Grafana dashboard query. The clients keep their own
 * account of which requests met the SLO targets, and the goodput counters and rules must agree with it.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ALL_METRICS, prometheusName } from '@ryot/metrics/instrumentation';
import { post, readSse, startTestServer, testModel } from '../../examples/inference-server/test/helpers.js';
import { dashboardQueries } from '../rules/dashboard-queries.js';
import { ALERT_RULES, RECORDING_RULES, failIfMissing, requireBinary, startPrometheus, valueOf, type RunningPrometheus } from '../helpers/prometheus.js';

const gate = requireBinary('prometheus');
let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
let prometheus: RunningPrometheus | undefined;

const MiB = 1024 * 1024;
/**
 * Targets far from what the test models do (a 6-token request takes tens of milliseconds), so the clients' stopwatch
 * and the server's agree on every verdict: a request meets its targets exactly when it succeeds.
 */
const TARGETS = { ttftSeconds: 2, tpotSeconds: 0.5, e2eSeconds: 5 };
const RYOT_OPTIONS = {
  slo: { models: { steady: TARGETS, flaky: { ttftSeconds: TARGETS.ttftSeconds, e2eSeconds: TARGETS.e2eSeconds } } },
  prices: { default: { inputPerMillion: 3, outputPerMillion: 15, cacheReadPerMillion: 0.3 } },
  tenants: { topK: 5, minRequests: 3, admitEverySeconds: 0, hash: true },
};
const API_KEYS = ['sk-e2e-alpha', 'sk-e2e-beta', 'sk-e2e-gamma', undefined];

/** Per model, what the clients saw of the requests they did not walk away from: judged, and met every target. */
const clientView = new Map<string, { judged: number; met: number }>();

function judge(model: string, ok: boolean, startedAt: number, firstChunkAt: number | undefined): void {
  const view = clientView.get(model) ?? { judged: 0, met: 0 };
  clientView.set(model, view);
  view.judged++;
  const e2e = (performance.now() - startedAt) / 1000;
  const ttft = firstChunkAt === undefined ? 0 : (firstChunkAt - startedAt) / 1000;
  if (ok && e2e <= TARGETS.e2eSeconds && ttft <= TARGETS.ttftSeconds) view.met++;
}

/**
 * Before the traffic: requests to flaky until it has both succeeded and failed, so both of its goodput series exist,
 * and are scraped (beforeAll waits for that), before the burst. rate() does not count a series' first scraped value
 * (it only extrapolates toward it), so a series born in the middle of the burst would be undercounted by whatever it
 * held at its first scrape, and the recorded ratio would drift from the clients' by that much.
 */
async function warmUp(url: string): Promise<void> {
  const once = async (model: string) => {
    const startedAt = performance.now();
    const response = await post(`${url}/v1/completions`, { model, prompt: 'hello', max_tokens: 6 });
    const body = (await response.json()) as { error?: unknown };
    const ok = response.ok && body.error === undefined;
    judge(model, ok, startedAt, undefined);
    return ok;
  };
  await once('steady');
  const seen = new Set<boolean>();
  for (let i = 0; i < 200 && seen.size < 2; i++) seen.add(await once('flaky'));
  expect(seen.size).toBe(2);
}

async function traffic(url: string, until: number): Promise<void> {
  const chat = (model: string, extra: Record<string, unknown>) => ({ model, messages: [{ role: 'system', content: 'shared' }, { role: 'user', content: 'hello' }], ...extra });
  let i = 0;
  const client = async () => {
    while (Date.now() < until) {
      const n = i++;
      const model = ['steady', 'flaky'][n % 2]!;
      // Tenants on steady only: flaky's goodput series (met and missed) then exist from the warm-up on (see warmUp).
      const key = model === 'steady' ? API_KEYS[(n >> 1) % API_KEYS.length] : undefined;
      const init = { headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) } };
      const startedAt = performance.now();
      if (n % 7 === 3) {
        // A client that walks away after the first chunks (always from steady, which never fails: the walk-away
        // never races a failure the client would not see).
        const controller = new AbortController();
        const response = await post(`${url}/v1/chat/completions`, chat('steady', { stream: true, max_tokens: 50 }), { ...init, signal: controller.signal });
        const reader = response.body!.getReader();
        await reader.read();
        await reader.read();
        controller.abort();
        // Not reader.read(): on Node 20 a read after aborting a half-read fetch body can stay pending forever.
        await reader.cancel().catch(() => undefined);
      } else if (n % 3 === 0) {
        const response = await post(`${url}/v1/completions`, { model, prompt: 'hello', max_tokens: 6 }, init);
        const body = (await response.json()) as { error?: unknown };
        judge(model, response.ok && body.error === undefined, startedAt, undefined);
      } else {
        const response = await post(`${url}/v1/chat/completions`, chat(model, { stream: true, max_tokens: 6 }), init);
        const events = await readSse(response);
        // The end of the stream bounds the first chunk's arrival from above: its TTFT is at most that.
        judge(model, response.ok && !events.some((event) => event.startsWith('{"error"')) && events.at(-1) === '[DONE]', startedAt, performance.now());
      }
    }
  };
  await Promise.all([client(), client(), client(), client()]);
}

async function nonEmpty(promql: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await prometheus!.query(promql);
    if (answer.status === 'success' && (answer.data?.result.length ?? 0) > 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe.runIf(gate.run)('Prometheus + example server + rules + dashboard', () => {
  beforeAll(async () => {
    failIfMissing(gate);
    server = await startTestServer(
      {
        models: [
          // A KV cache of 12 tokens (1 KiB each): two running sequences outgrow it within a few tokens, so steady preempts.
          testModel('steady', { maxBatch: 2, faults: { transient: 0.2 }, reservedBytes: 100 * MiB + 12 * 1024 }),
          testModel('flaky', { faults: { oom: 0.2, cuda: 0.1 } }),
        ],
        defaultMaxTokens: 'natural',
      },
      RYOT_OPTIONS,
    );
    const { port } = server.server;
    prometheus = await startPrometheus({
      configYaml: [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: ryot-inference',
        '    metrics_path: /metrics',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${port}']`,
        '',
      ].join('\n'),
      ruleFiles: [RECORDING_RULES, ALERT_RULES],
    });
    await warmUp(server.server.url);
    await prometheus.waitFor('count(ryot_goodput_requests_total{model="flaky",slo="all"})', (r) => valueOf(r) === 2, 20_000);
    await traffic(server.server.url, Date.now() + 8_000);
    // Two scrapes after the traffic so every rate() window holds the final counts.
    expect(await nonEmpty('model:ryot_inference_requests:rate5m', 20_000)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await server?.close();
  });

  it('scrapes the server', async () => {
    const up = await prometheus!.query('up{job="ryot-inference"}');
    expect(up.data?.result).toMatchObject([{ value: [expect.any(Number), '1'] }]);
  });

  it('loads every rule healthy, recording and alerting', async () => {
    const response = (await (await fetch(`${prometheus!.url}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; health: string; type: string; lastError?: string }> }> };
    };
    const rules = response.data.groups.flatMap((group) => group.rules);
    expect(rules.filter((rule) => rule.type === 'alerting').length).toBeGreaterThanOrEqual(6);
    expect(rules.filter((rule) => rule.health !== 'ok').map((rule) => `${rule.name}: ${rule.health} ${rule.lastError ?? ''}`)).toEqual([]);
  });

  it('every recording rule produces values for the served models', async () => {
    const groups = (parse(readFileSync(RECORDING_RULES, 'utf8')) as { groups: Array<{ rules: Array<{ record?: string }> }> }).groups;
    const records = groups.flatMap((group) => group.rules.map((rule) => rule.record).filter((name): name is string => Boolean(name)));
    expect(records.length).toBeGreaterThan(20);
    const empty: string[] = [];
    for (const record of records) if (!(await nonEmpty(record, 3_000))) empty.push(record);
    expect(empty).toEqual([]);
  }, 120_000);

  it('the goodput counters and recording rules agree with the clients\' own view of which requests met the targets', async () => {
    const steady = clientView.get('steady')!;
    const flaky = clientView.get('flaky')!;
    // The traffic judged hundreds of requests, flaky failed some and steady none.
    expect(steady.judged).toBeGreaterThan(50);
    expect(steady.met).toBe(steady.judged);
    expect(flaky.met).toBeGreaterThan(0);
    expect(flaky.met).toBeLessThan(flaky.judged);
    // Every verdict, counted by the server, equals the clients' count exactly.
    const counts = await prometheus!.vector('sum by (model, met) (ryot_goodput_requests_total{slo="all"})');
    expect(valueOf(counts, { model: 'steady', met: 'true' })).toBe(steady.met);
    expect(valueOf(counts, { model: 'steady', met: 'false' })).toBeUndefined();
    expect(valueOf(counts, { model: 'flaky', met: 'true' })).toBe(flaky.met);
    expect(valueOf(counts, { model: 'flaky', met: 'false' })).toBe(flaky.judged - flaky.met);
    // The recording rules: steady all met (1, and 0 missed through the `or 0 *` branch); flaky's attainment is the
    // clients' share up to what rate() leaves out: the few warm-up requests its series held at their first scrape
    // (measured: within 1e-4).
    const attainment = await prometheus!.vector('model_slo:ryot_goodput_requests:ratio_rate5m{slo="all"}');
    expect(valueOf(attainment, { model: 'steady' })).toBe(1);
    expect(Math.abs(valueOf(attainment, { model: 'flaky' })! - flaky.met / flaky.judged)).toBeLessThan(0.01);
    const missed = await prometheus!.vector('model:ryot_goodput_missed:ratio_rate5m');
    expect(valueOf(missed, { model: 'steady' })).toBe(0);
    expect(Math.abs(valueOf(missed, { model: 'flaky' })! - (1 - flaky.met / flaky.judged))).toBeLessThan(0.01);
    // Steady's other targets: TTFT and TPOT met by every request judged on them, walk-aways included for TTFT.
    const byTarget = await prometheus!.vector('model_slo:ryot_goodput_requests:ratio_rate5m{model="steady"}');
    expect(byTarget.map((s) => [s.metric['slo'], Number(s.value[1])]).sort()).toEqual([['all', 1], ['e2e', 1], ['tpot', 1], ['ttft', 1]]);
  });

  it('every dashboard query runs, and every query the traffic feeds returns data', async () => {
    const nvmlFed = ALL_METRICS.filter((d) => d.group === 'hardware').map((d) => new RegExp(`\\b${prometheusName(d)}\\b`));
    expect(nvmlFed.length).toBeGreaterThan(5);
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(30);
    const failed: string[] = [];
    const empty: string[] = [];
    for (const { panel, expr } of queries) {
      const answer = await prometheus!.query(expr);
      if (answer.status !== 'success') failed.push(`${panel}: ${answer.error}`);
      // Device panels need NVML (a GPU); nothing else may be empty after this traffic.
      else if (!nvmlFed.some((name) => name.test(expr)) && (answer.data?.result.length ?? 0) === 0) empty.push(`${panel}: ${expr}`);
    }
    expect(failed).toEqual([]);
    expect(empty).toEqual([]);
  }, 120_000);
});
