/**
 * Issue 11, finding 8: an OTLP outage is loud once, its end is reported once, the handle
 * shows the last export's outcome, and export outcomes are counted with OTel's own
 * self-observability metrics (otel.sdk.exporter.*). Real receiver on loopback, payloads
 * decoded; a real child process for what a new user sees on stderr.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { diag, metrics } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { trackInferenceRequest } from '@ryot/metrics';
import { METRICS } from '@ryot/metrics/instrumentation';
import { startTelemetry, type OtlpProtocol, type TelemetryHandle } from '@ryot/exporters';
import { uniqueModel } from '../helpers/telemetry.js';
import { OtlpReceiver, attributeMap } from './receiver.js';
import { EXPORT_REPORT as FAILED, captureDiag } from './reports.js';

const fixture = fileURLToPath(new URL('./fixtures/no-collector-app.ts', import.meta.url));
const tsconfig = fileURLToPath(new URL('./fixtures/tsconfig.json', import.meta.url));

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  metrics.disable();
  diag.disable();
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each<OtlpProtocol>(['http/protobuf', 'http/json'])('OTLP export health over %s', (protocol) => {
  it('reports an outage once and its end once, through diag, and the handle keeps the last outcome', async () => {
    const captured = captureDiag();
    const receiver = await new OtlpReceiver().start();
    cleanups.push(() => receiver.stop());
    const handle = await startTelemetry({ otlp: { url: receiver.url, protocol, intervalMs: 100, timeoutMs: 80 }, gpu: false });
    cleanups.push(() => handle.shutdown());
    expect(handle.otlp?.url).toBe(receiver.url);
    expect(handle.otlp?.lastExport).toBeUndefined();
    await trackInferenceRequest({ model: 'health' })(async () => 'ok')();

    await until(() => handle.otlp?.lastExport?.ok === true, 'a first delivered export');
    expect(handle.otlp?.lastExport).toMatchObject({ ok: true, consecutiveFailures: 0, error: undefined });
    expect(handle.otlp!.lastExport!.dataPoints).toBeGreaterThan(0);

    const ours = () => captured.exportReports();
    for (const outage of [1, 2]) {
      await receiver.stop();
      await until(() => (handle.otlp?.lastExport?.consecutiveFailures ?? 0) >= 3, 'three failed exports');
      const failures = handle.otlp!.lastExport!.consecutiveFailures;
      expect(handle.otlp?.lastExport).toMatchObject({ ok: false });
      expect(handle.otlp?.lastExport?.error).toMatch(/ECONNREFUSED/);
      const failureReports = ours().filter((line) => line.level === 'error');
      expect(failureReports).toHaveLength(outage);
      expect(failureReports.at(-1)?.message).toContain(`${receiver.url} failed`);
      expect(failureReports.at(-1)?.message).toContain('OTEL_METRICS_EXPORTER=prometheus');

      await receiver.start(); // same port: the collector is back
      await until(() => handle.otlp?.lastExport?.ok === true, 'a delivered export after the outage');
      const recoveries = ours().filter((line) => line.level === 'info');
      expect(recoveries).toHaveLength(outage);
      const reported = /works again after (\d+) failed exports\.$/.exec(recoveries.at(-1)?.message ?? '');
      expect(Number(reported?.[1])).toBeGreaterThanOrEqual(failures);
    }
    expect(ours()).toHaveLength(4); // two outages: one failure and one recovery report each, however many intervals failed
  });

  it('counts export outcomes as otel.sdk.exporter.metric_data_point.exported, failures with error.type', async () => {
    captureDiag();
    const receiver = await new OtlpReceiver().start();
    cleanups.push(() => receiver.stop());
    const handle: TelemetryHandle = await startTelemetry({
      otlp: { url: receiver.url, protocol, intervalMs: 100, timeoutMs: 80 },
      prometheus: { server: false, withoutScopeInfo: true },
      gpu: false,
    });
    cleanups.push(() => handle.shutdown());
    const model = uniqueModel('health');
    await trackInferenceRequest({ model })(async () => 'ok')();
    await until(() => handle.otlp?.lastExport?.ok === true, 'a delivered export');
    await receiver.stop();
    await until(() => (handle.otlp?.lastExport?.consecutiveFailures ?? 0) >= 2, 'two failed exports');
    // Visible to a scraper during the outage, when nothing reaches the collector.
    const scraped = await handle.prometheus!.render();
    const failedLine = scraped
      .split('\n')
      .find((line) => line.startsWith('otel_sdk_exporter_metric_data_point_exported_total{') && line.includes('error_type="'));
    expect(failedLine, scraped.slice(0, 2000)).toBeDefined();
    expect(Number(failedLine!.split(' ').at(-1))).toBeGreaterThan(0);
    await receiver.start();
    const exported = () =>
      receiver
        .metrics('otel.sdk.exporter.metric_data_point.exported')
        .at(-1)
        ?.sum?.dataPoints?.map((point) => ({ attributes: attributeMap(point.attributes), value: point.asInt ?? point.asDouble ?? 0 })) ?? [];
    await until(() => exported().some((point) => point.attributes['error.type'] !== undefined), 'a failure count delivered after the outage');

    const points = exported();
    const failed = points.filter((point) => point.attributes['error.type'] !== undefined);
    const delivered = points.filter((point) => point.attributes['error.type'] === undefined);
    expect(failed.reduce((sum, point) => sum + point.value, 0)).toBeGreaterThan(0);
    expect(delivered.reduce((sum, point) => sum + point.value, 0)).toBeGreaterThan(0);
    for (const point of points) {
      expect(point.attributes).toMatchObject({ 'otel.component.type': 'otlp_http_metric_exporter', 'server.address': '127.0.0.1' });
    }
    expect(receiver.metrics('otel.sdk.exporter.operation.duration').length).toBeGreaterThan(0);
    // Ryot's own series still arrive beside them.
    expect(receiver.lastSum(METRICS.requests.name, { model, status: 'success' })).toBe(1);
  });
});

describe('a new user with no collector', () => {
  async function runApp(env: Record<string, string>, mode: 'plain' | 'app-logger') {
    const port = await closedPort();
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, mode], {
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: tsconfig,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(async () => void child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    return { code, stdout, stderr, url: `http://127.0.0.1:${port}/v1/metrics` };
  }

  it('plain startTelemetry(): one stderr line names the URL and what to do; shutdown still exits 0', async () => {
    const { code, stdout, stderr, url } = await runApp({}, 'plain');
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('lastExport ok=false');
    const lines = stderr.split('\n').filter((line) => line !== '');
    expect(lines, stderr).toHaveLength(1);
    expect(lines[0]).toContain(`${FAILED} ${url} failed`);
    expect(lines[0]).toContain('Start an OTLP collector');
    expect(lines[0]).toContain('OTEL_METRICS_EXPORTER=prometheus');
  });

  it('OTEL_LOG_LEVEL=debug turns on OTel diagnostics (as sdk-node does), our report among them', async () => {
    const { code, stdout, stderr } = await runApp({ OTEL_LOG_LEVEL: 'debug' }, 'plain');
    expect(code, stderr).toBe(0);
    const output = stdout + stderr;
    expect(output).toContain(FAILED);
    // OTel's own periodic-reader error, which nobody saw before.
    expect(output).toMatch(/metrics export failed|PeriodicExportingMetricReader/i);
  });

  it("with the application's diag logger set, the report goes there and not to stderr; OTEL_LOG_LEVEL leaves that logger alone", async () => {
    const { code, stdout, stderr } = await runApp({ OTEL_LOG_LEVEL: 'debug' }, 'app-logger');
    expect(code, stderr).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain(`app-logger error: ${FAILED}`);
    // A console logger at debug would have printed the exporter's debug lines.
    expect(stdout).not.toContain('OTLPExportDelegate');
  });
});
