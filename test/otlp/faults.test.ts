import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { diag, metrics } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { trackInferenceRequest } from '@ryot/metrics';
import { METRICS } from '@ryot/metrics/instrumentation';
import { startTelemetry, type OtlpProtocol, type TelemetryHandle } from '@ryot/exporters';
import { AGGREGATION_PATHS, aggregationOption, uniqueModel, type AggregationPath } from '../helpers/telemetry.js';
import { OtlpReceiver } from './receiver.js';
import { captureDiag } from './reports.js';

const INTERVAL_MS = 200;
const TIMEOUT_MS = 150;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  metrics.disable();
  diag.disable();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function setup(protocol: OtlpProtocol, path: AggregationPath, intervalMs = INTERVAL_MS, timeoutMs = TIMEOUT_MS) {
  const reports = captureDiag();
  const receiver = await new OtlpReceiver().start();
  cleanups.push(() => receiver.stop());
  const handle: TelemetryHandle = await startTelemetry({ otlp: { url: receiver.url, protocol, intervalMs, timeoutMs }, gpu: false, ...aggregationOption(path) });
  cleanups.push(() => handle.shutdown());
  const model = uniqueModel('fault-model');
  const SUCCESS = { model, status: 'success' };
  const call = trackInferenceRequest({ model })(async () => 'ok');
  let sent = 0;
  const record = async (n: number) => {
    for (let i = 0; i < n; i++) await call();
    sent += n;
  };
  return { receiver, handle, record, sent: () => sent, reports, SUCCESS };
}

/** Records traffic for `ms` while measuring event-loop delay; returns the max delay in ms. */
async function trafficDuring(ms: number, record: (n: number) => Promise<void>): Promise<number> {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await record(3);
    await sleep(25);
  }
  loop.disable();
  return loop.max / 1e6;
}

/** Every request the receiver decoded came in `protocol`'s encoding: the parameter took effect. */
function expectEncoding(receiver: OtlpReceiver, protocol: OtlpProtocol): void {
  expect(receiver.received.length).toBeGreaterThan(0);
  expect(new Set(receiver.received.map((r) => r.encoding))).toEqual(new Set([protocol === 'http/json' ? 'json' : 'protobuf']));
}

describe.each(
  (['http/protobuf', 'http/json'] as const).flatMap((protocol) => AGGREGATION_PATHS.map((path) => [protocol, path] as const)),
)('OTLP push over %s when the collector misbehaves, per-request series through %s', (protocol, path) => {
  it('loses no counter increment across an outage of three intervals (cumulative)', async () => {
    const { receiver, record, sent, reports, SUCCESS } = await setup(protocol, path);
    await record(10);
    await receiver.waitFor(() => receiver.lastSum(METRICS.requests.name, SUCCESS) === 10);

    await receiver.stop(); // connection refused from here on
    const maxDelayMs = await trafficDuring(INTERVAL_MS * 3 + 100, record);
    expect(sent()).toBeGreaterThan(10);
    expect(receiver.lastSum(METRICS.requests.name, SUCCESS)).toBe(10); // nothing got through
    expect(maxDelayMs).toBeLessThan(250); // failing exports never block the loop

    await receiver.start(); // same port: the collector is back
    await receiver.waitFor(() => receiver.lastSum(METRICS.requests.name, SUCCESS) === sent(), 3000);
    expect(receiver.lastSum(METRICS.requests.name, SUCCESS)).toBe(sent());
    expectEncoding(receiver, protocol);
    // Loud once: one report for the outage (several failed intervals), one for its end.
    await receiver.waitFor(() => reports.exportReports('info').length > 0);
    expect(reports.exportReports('error').map((line) => line.message)).toEqual([expect.stringContaining('ECONNREFUSED')]);
    expect(reports.exportReports('info')).toHaveLength(1);
  });

  it('survives 500 and 429 + Retry-After without blocking, then delivers exact totals', async () => {
    const { receiver, record, sent, reports, SUCCESS } = await setup(protocol, path);
    await record(5);
    await receiver.waitFor(() => receiver.lastSum(METRICS.requests.name, SUCCESS) === 5);

    receiver.mode = { kind: 'status', status: 500 };
    let before = receiver.attempts;
    const delay500 = await trafficDuring(INTERVAL_MS * 3 + 100, record);
    expect(receiver.attempts - before).toBeGreaterThanOrEqual(3); // one refused attempt per interval, no retry storm
    expect(receiver.attempts - before).toBeLessThanOrEqual(6);

    receiver.mode = { kind: 'status', status: 429, retryAfter: '1' };
    before = receiver.attempts;
    const delay429 = await trafficDuring(INTERVAL_MS * 3 + 100, record);
    expect(receiver.attempts - before).toBeGreaterThanOrEqual(2);

    expect(receiver.lastSum(METRICS.requests.name, SUCCESS)).toBe(5);
    expect(Math.max(delay500, delay429)).toBeLessThan(250);

    receiver.mode = { kind: 'ok' };
    await receiver.waitFor(() => receiver.lastSum(METRICS.requests.name, SUCCESS) === sent(), 3000);
    expect(receiver.lastSum(METRICS.requests.name, SUCCESS)).toBe(sent());
    expectEncoding(receiver, protocol);
    // 500s then 429s are one outage: reported once, its end once.
    await receiver.waitFor(() => reports.exportReports('info').length > 0);
    expect(reports.exportReports('error')).toHaveLength(1);
    expect(reports.exportReports('info')).toHaveLength(1);
  });

  it('does not grow memory without bound over many failing intervals', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const { receiver, record } = await setup(protocol, path, 50, 40);
    receiver.mode = { kind: 'status', status: 503 };
    await trafficDuring(500, record); // warm up code paths and series
    gc();
    const baseline = process.memoryUsage().heapUsed;
    const attemptsBefore = receiver.attempts;
    await trafficDuring(3000, record); // ~60 failing intervals
    gc();
    const grownMb = (process.memoryUsage().heapUsed - baseline) / 2 ** 20;
    expect(receiver.attempts - attemptsBefore).toBeGreaterThan(20);
    expect(grownMb).toBeLessThan(8);
  });

  it.each([
    ['down (connection refused)', async (r: OtlpReceiver) => r.stop()],
    ['hanging (accepts, never answers)', async (r: OtlpReceiver) => void (r.mode = { kind: 'hang' })],
  ])('shutdown resolves within the configured timeout when the collector is %s', async (_name, breakIt) => {
    const timeoutMs = 500;
    const reports = captureDiag();
    const receiver = await new OtlpReceiver().start();
    cleanups.push(() => receiver.stop());
    const handle = await startTelemetry({ otlp: { url: receiver.url, protocol, intervalMs: 60_000, timeoutMs }, gpu: false, ...aggregationOption(path) });
    await trackInferenceRequest({ model: uniqueModel('fault-model') })(async () => 'ok')();
    await handle.forceFlush();
    expectEncoding(receiver, protocol);
    await breakIt(receiver);
    const started = performance.now();
    await handle.shutdown();
    const elapsed = performance.now() - started;
    // Default shutdownTimeoutMs is the export timeout plus 1 s.
    expect(elapsed).toBeLessThan(timeoutMs + 1000 + 250);
    expect(metrics.getMeterProvider()).not.toBe(handle.meterProvider);
    // The final export was lost, and said so.
    expect(reports.exportReports('error')).toHaveLength(1);
  });
});
