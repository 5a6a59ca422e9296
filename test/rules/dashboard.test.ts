/**
 * examples/grafana/ryot-dashboard.json: its structure (variables, the per-model repeated row,
 * heatmaps), that every metric it and the rule files name exists in the Ryot catalog, and that
 * every panel query is valid PromQL for a real Prometheus (2.42 has no `promtool check query`, so
 * a server with no scrape targets and the example rules answers /api/v1/query for each).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ALL_METRICS, prometheusName, prometheusType } from '@ryot/metrics/instrumentation';
import { dashboardPanels, dashboardQueries, loadDashboard, substituteVariables } from './dashboard-queries.js';
import {
  ALERT_RULES,
  PROMETHEUS_BIN,
  RECORDING_RULES,
  failIfMissing,
  requireBinary,
  startPrometheus,
  type RunningPrometheus,
} from '../helpers/prometheus.js';

const dashboard = loadDashboard();
const panels = dashboardPanels(dashboard);
const queries = dashboardQueries();
const rawTargets = panels.flatMap(({ row, panel }) => (panel.targets ?? []).map((t) => ({ row, panel, target: t as Record<string, unknown> })));

type Rule = { record?: string; alert?: string; expr: string };
const rulesOf = (file: string): Rule[] => (parse(readFileSync(file, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const recordingNames = new Set(rulesOf(RECORDING_RULES).map((r) => r.record));

/** Every series name a catalog metric can have in the exposition (histograms: _bucket/_count/_sum). */
const catalogSeries = new Set(
  ALL_METRICS.flatMap((m) => {
    const name = prometheusName(m);
    return prometheusType(m) === 'histogram' ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name];
  }),
);
const LABELS = new Set(['hw_id', 'hw_name', 'hw_vendor', 'hw_type', 'hw_gpu_task']);

/** ryot_* and hw_* names an expression reads (recording-rule names and hw_* labels left out). */
function metricNames(expr: string): string[] {
  const withoutRecorded = expr.replace(/\b[a-z_]+:[a-z0-9_]+:[a-z0-9_]+\b/g, ' ');
  return [...withoutRecorded.matchAll(/\b(?:ryot|hw)_[a-z0-9_]+\b/g)].map((m) => m[0]).filter((n) => !LABELS.has(n));
}

describe('dashboard structure', () => {
  it('is schemaVersion 39+ with a Prometheus datasource variable and a multi-value model variable', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    const variables = (dashboard.templating as unknown as { list: Record<string, unknown>[] }).list;
    const ds = variables.find((v) => v.name === 'DS_PROMETHEUS');
    expect(ds).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const model = variables.find((v) => v.name === 'model');
    expect(model).toMatchObject({ type: 'query', multi: true, includeAll: true, definition: 'label_values(ryot_inference_requests_total, model)' });
    expect((model?.query as { query: string }).query).toBe('label_values(ryot_inference_requests_total, model)');
  });

  it('every panel and every query uses the ${DS_PROMETHEUS} datasource; panel ids are unique', () => {
    const ids = panels.map(({ panel }) => (panel as { id?: number }).id);
    const rowIds = (dashboard.panels ?? []).filter((p) => p.type === 'row').map((p) => (p as { id?: number }).id);
    const all = [...ids, ...rowIds];
    expect(new Set(all).size).toBe(all.length);
    for (const { panel } of panels) expect((panel as { datasource?: unknown }).datasource, panel.title).toEqual({ type: 'prometheus', uid: '${DS_PROMETHEUS}' });
    for (const { target } of rawTargets) expect(target.datasource).toEqual({ type: 'prometheus', uid: '${DS_PROMETHEUS}' });
  });

  it('has one row repeated per model, and every query in it filters with model=~"$model"', () => {
    const rows = (dashboard.panels ?? []).filter((p) => p.type === 'row') as { title: string; repeat?: string }[];
    const repeated = rows.filter((r) => r.repeat === 'model');
    expect(repeated).toHaveLength(1);
    const inRow = rawTargets.filter((t) => t.row === repeated[0]?.title);
    expect(inRow.length).toBeGreaterThanOrEqual(25);
    for (const { panel, target } of inRow) {
      const expr = String(target.expr);
      // Every selector in the query filters by model; =~ because "All"/several values render a regex.
      const selectors = expr.match(/\b(?:ryot|hw)_[a-z0-9_]+\{[^}]*\}/g) ?? [];
      expect(selectors.length, `${panel.title}: ${expr}`).toBeGreaterThan(0);
      for (const selector of selectors) expect(selector, panel.title).toContain('model=~"$model"');
      expect(expr).not.toMatch(/model="\$model"/);
    }
  });

  it('the per-model row covers traffic, errors, latency, tokens, queue, cache and GPU', () => {
    const titles = panels.map(({ panel }) => panel.title);
    for (const title of [
      'Requests/s by status',
      'Error ratio',
      'Errors/s by type',
      'Request duration heatmap',
      'Time to first token heatmap',
      'Inter-token latency heatmap',
      'Request duration p50/p95/p99',
      'Time to first token p50/p95/p99',
      'Inter-token latency p50/p95/p99',
      'Tokens/s',
      'Per-request generation rate (tokens/s)',
      'Queue size',
      'Queue wait p95',
      'Cache hit ratio',
      'GPU memory used / reserved',
      'GPU utilization',
      'Device memory pressure (used / total)',
    ]) {
      expect(titles).toContain(title);
    }
    const exprs = rawTargets.map((t) => String(t.target.expr)).join('\n');
    for (const name of [
      'ryot_inference_requests_total',
      'ryot_inference_errors_total',
      'ryot_inference_request_duration_seconds_bucket',
      'ryot_inference_ttft_seconds_bucket',
      'ryot_inference_inter_token_latency_seconds_bucket',
      'ryot_tokens_generated_total',
      'ryot_request_tokens_per_second_bucket',
      'ryot_inference_queue_size',
      'ryot_inference_queue_wait_seconds_bucket',
      'ryot_cache_hits_total',
      'ryot_cache_lookups_total',
      'ryot_gpu_memory_usage_bytes',
      'ryot_gpu_memory_reserved_bytes',
      'ryot_gpu_utilization_percent',
      'hw_gpu_memory_usage',
      'hw_gpu_memory_limit',
      'hw_gpu_utilization',
    ]) {
      expect(exprs, name).toContain(name);
    }
  });

  it('heatmaps read _bucket series summed by le with format "heatmap"; quantile panels use histogram_quantile by le', () => {
    const heatmaps = panels.filter(({ panel }) => panel.type === 'heatmap');
    expect(heatmaps).toHaveLength(3);
    for (const { panel } of heatmaps) {
      const [target] = (panel.targets ?? []) as Record<string, unknown>[];
      expect(target?.format).toBe('heatmap');
      expect(String(target?.expr)).toMatch(/^sum by \(le\) \(increase\(ryot_[a-z_]+_seconds_bucket\{model=~"\$model"\}\[\$__rate_interval\]\)\)$/);
      expect((panel as { options?: { calculate?: boolean } }).options?.calculate).toBe(false);
    }
    for (const { target } of rawTargets) {
      const expr = String(target.expr);
      if (expr.includes('histogram_quantile')) expect(expr).toMatch(/histogram_quantile\(0\.\d+, sum by \((le|le, model)\) \(rate\([a-z_]+_bucket\{/);
    }
  });

  it('every metric named by the dashboard and the rule files exists in the Ryot catalog (METRICS.md)', () => {
    const sources = [
      ...rawTargets.map((t) => ({ where: `dashboard: ${t.panel.title}`, expr: String(t.target.expr) })),
      ...[...rulesOf(RECORDING_RULES), ...rulesOf(ALERT_RULES)].map((r) => ({ where: `rule ${r.record ?? r.alert}`, expr: r.expr })),
    ];
    let checked = 0;
    for (const { where, expr } of sources) {
      for (const name of metricNames(expr)) {
        expect(catalogSeries.has(name), `${where}: ${name} is not a Ryot series`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(80);
    // The check can fail: a misspelt name is caught.
    expect(metricNames('sum(rate(ryot_inference_request_total[5m]))').every((n) => catalogSeries.has(n))).toBe(false);
  });

  it('recording-rule names the dashboard reads are defined in recording-rules.yml', () => {
    const used = rawTargets.flatMap((t) => String(t.target.expr).match(/\b[a-z_]+:[a-z0-9_]+:[a-z0-9_]+\b/g) ?? []);
    expect(used.length).toBeGreaterThan(0);
    for (const name of used) expect(recordingNames.has(name), name).toBe(true);
  });
});

describe('dashboardQueries()', () => {
  it('extracts every target plus the variable query, with no template variable left', () => {
    expect(queries).toHaveLength(rawTargets.length + 1);
    expect(queries.at(-1)).toEqual({ panel: 'variable model', expr: 'ryot_inference_requests_total' });
    for (const { expr } of queries) {
      expect(expr).not.toMatch(/\$|\[\[/);
    }
    const byStatus = queries.find((q) => q.panel === 'Model $model / Requests/s by status [A]');
    expect(byStatus?.expr).toBe('sum by (status) (rate(ryot_inference_requests_total{model=~".+"}[1m]))');
  });

  it('substitutes every variable syntax and rejects unknown variables', () => {
    expect(substituteVariables('x{model=~"$model"}[$__rate_interval] ${model} [[model]] ${model:regex} $__interval $__range')).toBe(
      'x{model=~".+"}[1m] .+ .+ .+ 15s 1h',
    );
    expect(() => substituteVariables('x{job="$job"}')).toThrow(/unknown template variable \$job/);
  });
});

const gate = requireBinary(PROMETHEUS_BIN);

describe.skipIf(!gate.run)('every dashboard query runs on a real Prometheus with the example rules loaded', () => {
  let prom: RunningPrometheus | undefined;

  beforeAll(async () => {
    if (gate.missing) return;
    prom = await startPrometheus({ ruleFiles: [RECORDING_RULES, ALERT_RULES] });
  });
  afterAll(async () => {
    await prom?.stop();
  });

  it('loads every recording and alerting rule, and they evaluate without errors', async () => {
    failIfMissing(gate);
    const expected = rulesOf(RECORDING_RULES).length + rulesOf(ALERT_RULES).length;
    const deadline = Date.now() + 20_000;
    let rules: { name: string; health: string; lastError?: string }[] = [];
    while (Date.now() < deadline) {
      const body = (await (await fetch(`${prom!.url}/api/v1/rules`)).json()) as { data: { groups: { rules: typeof rules }[] } };
      rules = body.data.groups.flatMap((g) => g.rules);
      if (rules.length === expected && rules.every((r) => r.health !== 'unknown')) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(rules).toHaveLength(expected);
    for (const rule of rules) expect(rule.health, `${rule.name}: ${rule.lastError ?? ''}`).toBe('ok');
  });

  it.each(queries.map((q) => [q.panel, q.expr] as const))('%s', async (_panel, expr) => {
    failIfMissing(gate);
    const answer = await prom!.query(expr);
    expect(answer.error ?? '', expr).toBe('');
    expect(answer.status).toBe('success');
    expect(answer.data?.resultType).toBe('vector');
  });

  it('the check can fail: Prometheus rejects a broken query', async () => {
    failIfMissing(gate);
    const answer = await prom!.query('sum(rate(ryot_inference_requests_total{model=~".+"}[1m])');
    expect(answer.status).toBe('error');
    expect(answer.errorType).toBe('bad_data');
  });
});
