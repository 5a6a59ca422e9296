import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { METRICS } from '@ryot/metrics/instrumentation';
import { OtlpReceiver } from './receiver.js';

const script = fileURLToPath(new URL('../../examples/otlp-push/src/push.ts', import.meta.url));
// Maps @ryot/* to their sources so the example runs without a prior build.
const tsconfig = fileURLToPath(new URL('./fixtures/tsconfig.json', import.meta.url));

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('examples/otlp-push', () => {
  it('pushes to a collector configured only through OTEL_* variables and flushes on exit', async () => {
    const receiver = await new OtlpReceiver().start();
    cleanups.push(() => receiver.stop());
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: tsconfig,
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
        OTEL_METRIC_EXPORT_INTERVAL: '500',
        RYOT_EXAMPLE_SECONDS: '1.5',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(async () => void child.kill('SIGKILL'));
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, output).toBe(0);
    const done = /done: (\d+) requests recorded/.exec(output);
    expect(done, output).not.toBeNull();
    expect(receiver.received.length).toBeGreaterThanOrEqual(2); // interval exports plus the final flush
    expect(receiver.received.every((r) => r.encoding === 'json')).toBe(true);
    const total = receiver
      .metrics(METRICS.requests.name)
      .at(-1)
      ?.sum?.dataPoints?.reduce((sum, p) => sum + (p.asInt ?? p.asDouble ?? 0), 0);
    expect(total).toBe(Number(done?.[1])); // the final export carries every request
  });
});
