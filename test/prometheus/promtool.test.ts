/**
 * Everything promtool checks, in one suite:
 * - `promtool check metrics` on the Ryot exposition, with hostile label values;
 * - the example Prometheus config and rules: `promtool check config|rules`, and the `promtool test rules` unit tests
 *   in examples/prometheus/tests/ (every alert fires and does not fire; recording rules give hand-computed values).
 * Each check also runs once against a deliberately broken input, so a check that cannot fail would be caught.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createRyot, ryotViews } from '@ryot/metrics';
import { ALL_METRICS, METRICS, RYOT_METER_NAME, createInstrument } from '@ryot/metrics/instrumentation';
import { createPrometheusEndpoint } from '@ryot/exporters';
import {
  ALERT_RULES,
  PROMETHEUS_CONFIG,
  PROMETHEUS_EXAMPLE_DIR,
  PROMTOOL_BIN,
  RECORDING_RULES,
  failIfMissing,
  promtool,
  requireBinary,
} from '../helpers/prometheus.js';

const gate = requireBinary(PROMTOOL_BIN);
const HOSTILE = [
  'he said "hi"',
  'C:\\models\\llama\\',
  'line1\nline2\r\nline3',
  'tab\there',
  'unicode ✓ 模型 🚀 é',
  '{curly}=,comma',
  '# not a comment',
  'x'.repeat(10_000),
];

function promtoolCheck(exposition: string): { status: number | null; output: string } {
  const result = spawnSync(PROMTOOL_BIN, ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Exposition with every Ryot instrument recorded, hostile values in the model label. */
async function hostileExposition(options: { withoutScopeInfo: boolean; withoutTargetInfo: boolean }): Promise<string> {
  const endpoint = createPrometheusEndpoint(options);
  const provider = new MeterProvider({ views: ryotViews(), readers: [endpoint.reader] });
  try {
    const meter = provider.getMeter(RYOT_METER_NAME, '0.1.0');
    for (const definition of ALL_METRICS) {
      if (definition.kind.startsWith('observable')) continue;
      const instrument = createInstrument(meter, definition) as unknown as {
        add?: (v: number, a: Record<string, string>) => void;
        record?: (v: number, a: Record<string, string>) => void;
      };
      for (const model of HOSTILE) {
        const attributes = { model, status: 'success', error_type: 'oom', gpu_id: '0' };
        instrument.add?.(1, attributes);
        instrument.record?.(0.5, attributes);
      }
    }
    // And through the tracking API (its label guard applies), on the same provider.
    const ryot = createRyot({ meterProvider: provider });
    for (const model of HOSTILE.slice(0, 6)) {
      await ryot.trackInferenceRequest({ model })(async () => 'ok')();
      ryot.modelInfo.info({ model, version: 'v"1\\\n' });
    }
    return await endpoint.render();
  } finally {
    await provider.shutdown();
  }
}

describe.skipIf(!gate.run)('promtool check metrics on the Ryot exposition', () => {
  it.each([
    { withoutScopeInfo: false, withoutTargetInfo: false },
    { withoutScopeInfo: true, withoutTargetInfo: true },
  ])('passes with hostile label values (%j)', async (options) => {
    failIfMissing(gate);
    const exposition = await hostileExposition(options);
    // The hostile values are present, escaped per the text format.
    expect(exposition).toContain('model="he said \\"hi\\""');
    expect(exposition).toContain('model="C:\\\\models\\\\llama\\\\"');
    expect(exposition).toContain('model="line1\\nline2');
    expect(exposition).toContain('model="unicode ✓ 模型 🚀 é"');
    expect(exposition).toContain(`model="${'x'.repeat(10_000)}"`);
    expect(exposition).toContain(METRICS.requests.name);
    const { status, output } = promtoolCheck(exposition);
    expect(output).not.toMatch(/error parsing|text format parsing error/i);
    expect(status, output).toBe(0);
  });

  it('promtool really rejects a broken exposition (the check can fail)', () => {
    const { status } = promtoolCheck('ryot_x{model="unterminated} 1\n');
    expect(status).not.toBe(0);
  });
});

const TESTS_DIR = join(PROMETHEUS_EXAMPLE_DIR, 'tests');
const unitTestFiles = readdirSync(TESTS_DIR).filter((f) => f.endsWith('.test.yml')).sort();

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rulesOf = (file: string): Rule[] =>
  (parse(readFileSync(file, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const alerts = rulesOf(ALERT_RULES);
const records = rulesOf(RECORDING_RULES);

const scratch = mkdtempSync(join(tmpdir(), 'ryot-rules-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of examples/prometheus with `edit` applied to one file. */
function brokenCopy(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(scratch, 'copy-'));
  mkdirSync(join(dir, 'tests'));
  for (const f of readdirSync(PROMETHEUS_EXAMPLE_DIR).filter((n) => n.endsWith('.yml'))) copyFileSync(join(PROMETHEUS_EXAMPLE_DIR, f), join(dir, f));
  for (const f of unitTestFiles) copyFileSync(join(TESTS_DIR, f), join(dir, 'tests', f));
  const target = join(dir, file);
  const before = readFileSync(target, 'utf8');
  const after = edit(before);
  expect(after, `the edit of ${file} changed nothing`).not.toBe(before);
  writeFileSync(target, after);
  return dir;
}

describe.skipIf(!gate.run)('promtool on examples/prometheus', () => {
  it('check config: prometheus.yml is valid and loads both rule files', () => {
    failIfMissing(gate);
    const { status, output } = promtool(['check', 'config', PROMETHEUS_CONFIG]);
    expect(status, output).toBe(0);
    expect(output).toContain('SUCCESS: 2 rule files found');
  });

  it('check rules: both rule files are valid, with the expected rule counts', () => {
    failIfMissing(gate);
    const { status, output } = promtool(['check', 'rules', RECORDING_RULES, ALERT_RULES]);
    expect(status, output).toBe(0);
    expect(output).toContain(`SUCCESS: ${records.length} rules found`);
    expect(output).toContain(`SUCCESS: ${alerts.length} rules found`);
  });

  it.each(unitTestFiles)('test rules: %s passes', (file) => {
    failIfMissing(gate);
    const { status, output } = promtool(['test', 'rules', join(TESTS_DIR, file)]);
    expect(status, output).toBe(0);
    expect(output).toContain('SUCCESS');
  });

  it('the unit tests can fail: a wrong threshold (error ratio > 0.5) breaks alerts.test.yml', () => {
    failIfMissing(gate);
    const dir = brokenCopy('alert-rules.yml', (t) => t.replace(') > 0.05', ') > 0.5'));
    const { status, output } = promtool(['test', 'rules', join(dir, 'tests', 'alerts.test.yml')]);
    expect(status, output).not.toBe(0);
    expect(output).toContain('alertname: HighErrorRatio');
  });

  it('the unit tests can fail: counting cancelled as an error breaks slo.test.yml and recording.test.yml', () => {
    failIfMissing(gate);
    const dir = brokenCopy('recording-rules.yml', (t) => t.replaceAll('status!~"success|cancelled"', 'status!="success"'));
    for (const file of ['slo.test.yml', 'recording.test.yml']) {
      const { status, output } = promtool(['test', 'rules', join(dir, 'tests', file)]);
      expect(status, output).not.toBe(0);
    }
  });

  it('the unit tests can fail: a budget ten times too high breaks budget.test.yml; goodput counting the met breaks slo.test.yml', () => {
    failIfMissing(gate);
    const budget = brokenCopy('alert-rules.yml', (t) => t.replaceAll('> 4 * 500', '> 40 * 500'));
    const spent = promtool(['test', 'rules', join(budget, 'tests', 'budget.test.yml')]);
    expect(spent.status, spent.output).not.toBe(0);
    expect(spent.output).toContain('alertname: SpendBudgetBurnFast');
    const goodput = brokenCopy('recording-rules.yml', (t) => t.replaceAll('slo="all",met="false"', 'slo="all",met="true"'));
    for (const file of ['slo.test.yml', 'recording.test.yml']) {
      const { status, output } = promtool(['test', 'rules', join(goodput, 'tests', file)]);
      expect(status, output).not.toBe(0);
    }
  });

  it('check rules rejects a broken expression (the check can fail)', () => {
    failIfMissing(gate);
    const dir = brokenCopy('alert-rules.yml', (t) => t.replace('hw_gpu_memory_usage / hw_gpu_memory_limit > 0.95', 'hw_gpu_memory_usage / > 0.95'));
    const { status } = promtool(['check', 'rules', join(dir, 'alert-rules.yml')]);
    expect(status).not.toBe(0);
  });
});

describe('alert rule conventions', () => {
  it('has the four basic alerts, the six SLO burn-rate alerts, the two spend-budget alerts and the three scale-out alerts', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual(
      [
        'AvailabilityErrorBudgetBurnFast',
        'AvailabilityErrorBudgetBurnSlow',
        'GpuMemoryPressure',
        'HighErrorRatio',
        'HighRequestLatency',
        'HighTimeToFirstToken',
        'RyotClusterWorkerRestarts',
        'RyotClusterWorkersNotAnswering',
        'RyotTargetDown',
        'TimeToFirstTokenBudgetBurnFast',
        'TimeToFirstTokenBudgetBurnSlow',
        'GoodputBudgetBurnFast',
        'GoodputBudgetBurnSlow',
        'SpendBudgetBurnFast',
        'SpendBudgetBurnSlow',
      ].sort(),
    );
    expect(alerts.some((a) => /LowTTFT/i.test(a.alert ?? ''))).toBe(false);
  });

  it.each(alerts.map((a) => [a.alert, a] as const))('%s has for, severity, summary, description and runbook_url', (_, rule) => {
    expect(rule.for).toMatch(/^\d+[smh]$/);
    expect(['page', 'ticket', 'warning']).toContain(rule.labels?.severity);
    expect(rule.annotations?.summary).toBeTruthy();
    expect(rule.annotations?.description).toBeTruthy();
    expect(rule.annotations?.runbook_url).toMatch(/^https:\/\/runbooks\.example\.com\/ryot\/\w+$/);
    // Per-model alerts name the model; the per-device GPU alert names the device, the scale-out alerts the target;
    // the spend alerts are about the whole service: they name the spend.
    const who =
      rule.alert === 'GpuMemoryPressure' ? '$labels.hw_id' : rule.alert?.startsWith('Ryot') ? '$labels.instance' : rule.alert?.startsWith('Spend') ? 'USD' : '$labels.model';
    expect(rule.annotations?.summary).toContain(who);
    expect(rule.annotations?.description).toContain(who);
  });

  it('every alert is exercised, firing and not firing, by a promtool unit test', () => {
    const tests = unitTestFiles.flatMap(
      (f) =>
        (parse(readFileSync(join(TESTS_DIR, f), 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] }).tests,
    );
    const cases = tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const rule of alerts) {
      const mine = cases.filter((c) => c.alertname === rule.alert);
      expect(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${rule.alert} never fires in a test`).toBe(true);
      expect(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${rule.alert} has no explicit non-firing case`).toBe(true);
    }
  });

  it('every recording rule follows level:metric:operations and is checked by a promql_expr_test', () => {
    const recordingTests = readFileSync(join(TESTS_DIR, 'recording.test.yml'), 'utf8');
    for (const rule of records) {
      expect(rule.record).toMatch(/^[a-z_]+:[a-z_]+:[a-z0-9_]+$/);
      expect(recordingTests, `${rule.record} has no promql_expr_test`).toContain(`${rule.record}`);
    }
  });

  it('error matchers never count cancelled requests as errors', () => {
    for (const rule of [...alerts, ...records]) {
      if (!rule.expr.includes('status')) continue;
      expect(rule.expr).not.toContain('status!="success"');
      if (rule.expr.includes('status!~')) expect(rule.expr).toContain('status!~"success|cancelled"');
    }
  });
});
