/**
 * Issue 11, finding 6: a storm of concurrent authorized scrapes of 100 models. The load
 * comes from a separate process; this process runs the server and measures its own
 * event-loop delay. Before single flight, 300 scrapes each collected and serialized on
 * their own and blocked the loop for seconds (see `pnpm bench`).
 */
import { metrics } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { startTelemetry, type TelemetryHandle } from '../src/index.js';
import { modelNames, recordEveryInstrument } from '../bench/ryot-series.js';
import { stormFromChild } from '../bench/storm.js';

const TOKEN = 'storm-token';
const handles: TelemetryHandle[] = [];
afterEach(async () => {
  for (const handle of handles.splice(0)) await handle.shutdown();
  metrics.disable();
});

describe('a scrape storm', () => {
  it('300 concurrent scrapes of 100 models: the loop stays under 200 ms, every answer is 200 or 503, one collection serves them', async () => {
    const handle = await startTelemetry({ prometheus: { port: 0, host: '127.0.0.1', bearerToken: TOKEN }, gpu: false });
    handles.push(handle);
    recordEveryInstrument(handle.meterProvider, modelNames(100));
    let collections = 0;
    handle.meterProvider.getMeter('storm-test').createObservableGauge('storm_test_collections').addCallback(() => void collections++);

    const storm = await stormFromChild(handle.prometheus!.url!, 300, TOKEN);

    expect(storm.errors).toEqual({});
    expect(Object.keys(storm.statuses).filter((status) => status !== '200' && status !== '503')).toEqual([]);
    // The default cap (10) is always reached before anything is refused.
    expect(storm.statuses['200']).toBeGreaterThanOrEqual(10);
    expect(storm.loopDelayMaxMs).toBeLessThan(200);
    // One collection, or a few when the storm outlasts the 500 ms reuse window.
    expect(collections).toBeGreaterThanOrEqual(1);
    expect(collections).toBeLessThanOrEqual(3);
  }, 120_000);
});
