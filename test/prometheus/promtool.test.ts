import { spawnSync } from 'node:child_process';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { ALL_METRICS, METRICS, RYOT_METER_NAME, createInstrument, createRyot, ryotViews } from '@ryot/metrics';
import { createPrometheusEndpoint } from '../../packages/exporters/src/index.js';
import { PROMTOOL_BIN, requireBinary } from './prometheus-process.js';

const gate = requireBinary(PROMTOOL_BIN, 'apt-get install -y --no-install-recommends prometheus (ships promtool)');

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
    if (gate.reason) throw new Error(gate.reason);
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
