/**
 * The collector path at scale: several processes push cumulative OTLP to one receiver (standing in for an
 * OpenTelemetry Collector), each under its own service.instance.id. Nothing collides (every process's series only
 * ever grow), and the fleet total is the sum over instances of each one's latest value, not of every export.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { METRICS } from '@ryot/metrics/instrumentation';
import { startClusterApp } from '../helpers/cluster-app.js';
import { runPushExample } from './push-example.js';
import { OtlpReceiver, attributeMap, type Received } from './receiver.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Every point of counter `name`, per process (service.instance.id) and attribute set, in arrival order. */
function counterSequences(received: Received[], name: string): Map<string, Map<string, number[]>> {
  const byInstance = new Map<string, Map<string, number[]>>();
  for (const { request } of received) {
    for (const resourceMetrics of request.resourceMetrics ?? []) {
      const instance = String(attributeMap(resourceMetrics.resource?.attributes)['service.instance.id']);
      const series = byInstance.get(instance) ?? new Map<string, number[]>();
      byInstance.set(instance, series);
      for (const scope of resourceMetrics.scopeMetrics ?? []) {
        for (const metric of scope.metrics ?? []) {
          if (metric.name !== name) continue;
          for (const point of metric.sum?.dataPoints ?? []) {
            const key = JSON.stringify(Object.entries(attributeMap(point.attributes)).sort());
            series.set(key, [...(series.get(key) ?? []), point.asInt ?? point.asDouble ?? 0]);
          }
        }
      }
    }
  }
  return byInstance;
}

/** The latest value of each of an instance's series, summed. */
function latestTotal(series: Map<string, number[]>): number {
  let total = 0;
  for (const values of series.values()) total += values.at(-1)!;
  return total;
}

function runPush(instanceId: string, receiverUrl: string, protocol: string): Promise<{ code: number | null; output: string }> {
  const run = runPushExample({
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: receiverUrl,
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: protocol,
    OTEL_METRIC_EXPORT_INTERVAL: '300',
    OTEL_SERVICE_NAME: 'ryot-push-fleet',
    OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=${instanceId}`,
    RYOT_EXAMPLE_SECONDS: '1.5',
  });
  cleanups.push(async () => run.kill());
  return run.done;
}

describe('many processes pushing OTLP to one collector', () => {
  it('keeps each process apart by service.instance.id: its series only grow, and the totals add up per instance', async () => {
    const receiver = await new OtlpReceiver().start();
    cleanups.push(() => receiver.stop());
    const ids = ['push-1', 'push-2', 'push-3'];
    const runs = await Promise.all(ids.map((id, i) => runPush(id, receiver.url, i === 0 ? 'http/json' : 'http/protobuf')));
    const done = runs.map(({ code, output }) => {
      expect(code, output).toBe(0);
      const match = /done: (\d+) requests recorded/.exec(output);
      expect(match, output).not.toBeNull();
      return Number(match![1]);
    });

    // Every export names exactly one of the processes.
    for (const { request } of receiver.received) {
      const instances = (request.resourceMetrics ?? []).map((rm) => attributeMap(rm.resource?.attributes)['service.instance.id']);
      expect(instances.length).toBeGreaterThan(0);
      for (const instance of instances) expect(ids).toContain(instance);
    }
    const sequences = counterSequences(receiver.received, METRICS.requests.name);
    expect([...sequences.keys()].sort()).toEqual(ids);
    for (const [instance, series] of sequences) {
      for (const [attributes, values] of series) {
        // Cumulative and one writer per series: never a step back (two processes under one id would interleave).
        for (let i = 1; i < values.length; i++) expect(values[i], `${instance} ${attributes}`).toBeGreaterThanOrEqual(values[i - 1]!);
      }
    }
    // Each process's final export carries all it counted; the fleet total is the sum of those, not of every export.
    expect(ids.map((id) => latestTotal(sequences.get(id)!))).toEqual(done);
    const everyExport = [...sequences.values()].reduce((sum, series) => sum + [...series.values()].flat().reduce((a, b) => a + b, 0), 0);
    expect(everyExport).toBeGreaterThan(done.reduce((a, b) => a + b, 0));
  }, 60_000);

  it('cluster mode with OTLP: every worker pushes under its own service.instance.id', async () => {
    const receiver = await new OtlpReceiver().start();
    cleanups.push(() => receiver.stop());
    const app = await startClusterApp({ WORKERS: '2', OTLP_URL: receiver.url });
    cleanups.push(() => app.stop());
    const [w1, w2] = app.workers as [number, number];
    await app.command('record', { worker: w1, model: 'a', requests: 3, durationMs: 20 });
    await app.command('record', { worker: w2, model: 'a', requests: 2, durationMs: 20 });
    const worker1 = `${app.instanceId}-worker-${w1}`;
    const worker2 = `${app.instanceId}-worker-${w2}`;
    const totals = () => {
      const sequences = counterSequences(receiver.received, METRICS.requests.name);
      return Object.fromEntries([...sequences].map(([instance, series]) => [instance, latestTotal(series)]));
    };
    await receiver.waitFor(() => totals()[worker1] === 3 && totals()[worker2] === 2, 15_000);
    // The primary pushes its own metrics (the cluster self-metrics) under the base id; the workers' never mix in.
    const instances = new Set(receiver.received.flatMap((r) => (r.request.resourceMetrics ?? []).map((rm) => attributeMap(rm.resource?.attributes)['service.instance.id'])));
    expect([...instances].sort()).toEqual([app.instanceId, worker1, worker2].sort());
    expect(totals()[app.instanceId] ?? 0).toBe(0);
  }, 90_000);
});
