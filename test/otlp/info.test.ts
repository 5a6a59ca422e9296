/**
 * Info metrics through startTelemetry: a replaced label set leaves the exposition at the next collection, on the
 * Prometheus scrape and in the next OTLP export alike (the OTel SDK alone would keep every set it ever observed).
 */
import { metrics } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { modelInfo, systemInfo } from '@ryot/metrics';
import { parseExposition } from '@ryot/metrics/testing';
import { startTelemetry } from '@ryot/exporters';
import { uniqueModel } from '../helpers/telemetry.js';
import { OtlpReceiver, attributeMap } from './receiver.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  metrics.disable();
});

describe('replaced info labels', () => {
  it('leave the scrape and the OTLP export at the next collection', async () => {
    const receiver = await new OtlpReceiver().start();
    cleanups.push(() => receiver.stop());
    const handle = await startTelemetry({ prometheus: { server: false }, otlp: { url: receiver.url, intervalMs: 60_000 }, gpu: false });
    cleanups.push(() => handle.shutdown());
    const model = uniqueModel('info');
    const scrapedRevisions = async () =>
      parseExposition(await handle.prometheus!.render())
        .get('ryot_model_info', { model })
        .map((sample) => sample.labels['revision']);
    const exportedRevisions = () =>
      (receiver.metrics('ryot_model_info').at(-1)?.gauge?.dataPoints ?? [])
        .map((point) => attributeMap(point.attributes))
        .filter((labels) => labels['model'] === model)
        .map((labels) => labels['revision']);

    for (const revision of ['r1', 'r2', 'r3']) {
      modelInfo.info({ model, revision });
      systemInfo.info({ build: revision });
      expect(await scrapedRevisions()).toEqual([revision]);
      await handle.forceFlush();
      expect(exportedRevisions()).toEqual([revision]);
    }
    const systems = parseExposition(await handle.prometheus!.render()).get('ryot_system_info');
    expect(systems.map((sample) => sample.labels['build'])).toEqual(['r3']);
  });
});
