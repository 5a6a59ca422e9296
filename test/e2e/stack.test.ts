/**
 * The operations material against the real thing: a real Prometheus scrapes the example
 * inference server every second while it serves mixed traffic, evaluates the example
 * recording and alert rules, and answers every Grafana dashboard query.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ALL_METRICS, prometheusName } from '@ryot/metrics/instrumentation';
import { post, readSse, startTestServer, testModel } from '../../examples/inference-server/test/helpers.js';
import { dashboardQueries } from '../rules/dashboard-queries.js';
import { ALERT_RULES, RECORDING_RULES, failIfMissing, requireBinary, startPrometheus, type RunningPrometheus } from '../helpers/prometheus.js';

const gate = requireBinary('prometheus');
let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
let prometheus: RunningPrometheus | undefined;

async function traffic(url: string, until: number): Promise<void> {
  const chat = (model: string, extra: Record<string, unknown>) => ({ model, messages: [{ role: 'system', content: 'shared' }, { role: 'user', content: 'hello' }], ...extra });
  let i = 0;
  const client = async () => {
    while (Date.now() < until) {
      const n = i++;
      const model = ['steady', 'flaky'][n % 2]!;
      if (n % 7 === 3) {
        // A client that walks away after the first chunks.
        const controller = new AbortController();
        const response = await post(`${url}/v1/chat/completions`, chat(model, { stream: true, max_tokens: 50 }), { signal: controller.signal });
        const reader = response.body!.getReader();
        await reader.read();
        await reader.read();
        controller.abort();
        // Not reader.read(): on Node 20 a read after aborting a half-read fetch body can stay pending forever.
        await reader.cancel().catch(() => undefined);
      } else if (n % 3 === 0) {
        await (await post(`${url}/v1/completions`, { model, prompt: 'hello', max_tokens: 6 })).text();
      } else {
        await readSse(await post(`${url}/v1/chat/completions`, chat(model, { stream: true, max_tokens: 6 })));
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
    server = await startTestServer({
      models: [testModel('steady', { maxBatch: 2, faults: { transient: 0.2 } }), testModel('flaky', { faults: { oom: 0.2, cuda: 0.1 } })],
      defaultMaxTokens: 'natural',
    });
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
