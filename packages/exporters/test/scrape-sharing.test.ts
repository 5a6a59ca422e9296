/**
 * Issue 11, finding 6: how the scrape handler shares, compresses, caps and bounds its work.
 * Real SDK, real HTTP on loopback; collections are counted by an observable callback,
 * which the SDK runs once per collection.
 */
import { connect } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { Meter } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { ryotViews } from '@ryot/metrics';
import { createPrometheusEndpoint, PROMETHEUS_CONTENT_TYPE, type PrometheusEndpointOptions } from '../src/index.js';
import { acceptsGzip } from '../src/prometheus.js';
import { modelNames, recordEveryInstrument } from '../bench/ryot-series.js';
import { listen, rawRequest, sampleValue } from './helpers.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A gate an observable callback waits on, holding a collection open until released. */
function gate() {
  let release!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  return { opened, release };
}

async function served(options: PrometheusEndpointOptions = {}) {
  const endpoint = createPrometheusEndpoint(options);
  const provider = new MeterProvider({ views: ryotViews(), readers: [endpoint.reader] });
  cleanups.push(() => provider.shutdown());
  const server = await listen(endpoint.handler);
  cleanups.push(server.close);
  const meter = provider.getMeter('scrape-sharing-test');
  let collections = 0;
  let hold: Promise<void> = Promise.resolve();
  meter.createObservableGauge('collections_seen').addCallback(async (result) => {
    collections++;
    await hold;
    result.observe(collections);
  });
  const requests = meter.createCounter('requests');
  return {
    endpoint,
    provider,
    meter,
    requests,
    url: `${server.url}/metrics`,
    collections: () => collections,
    holdCollections(until: Promise<void>) {
      hold = until;
    },
  };
}

/** `count` histograms of `series` series with `buckets` boundaries: a large exposition that collects fast. */
function recordWideHistograms(meter: Meter, count: number, series: number, buckets: number): void {
  const explicitBucketBoundaries = Array.from({ length: buckets }, (_, i) => (i + 1) / buckets);
  for (let h = 0; h < count; h++) {
    const histogram = meter.createHistogram(`wide_${h}`, { advice: { explicitBucketBoundaries } });
    for (let s = 0; s < series; s++) histogram.record(s / series, { series: `s${s}` });
  }
}

describe('exposition in slices', () => {
  function twoReaders(options: PrometheusEndpointOptions = {}) {
    const endpoint = createPrometheusEndpoint(options);
    const reference = new PrometheusExporter({ preventServerStart: true });
    const provider = new MeterProvider({ views: ryotViews(), readers: [endpoint.reader, reference] });
    cleanups.push(() => provider.shutdown());
    const serializer = new PrometheusSerializer(undefined, false, undefined, options.withoutTargetInfo, options.withoutScopeInfo);
    const expected = async () => serializer.serialize((await reference.collect()).resourceMetrics);
    return { endpoint, provider, expected };
  }

  it.each([
    { withoutScopeInfo: false, withoutTargetInfo: false },
    { withoutScopeInfo: true, withoutTargetInfo: false },
    { withoutScopeInfo: false, withoutTargetInfo: true },
  ])('equals one OTel serialize() call (%o)', async (options) => {
    const { endpoint, provider, expected } = twoReaders(options);
    recordEveryInstrument(provider, modelNames(3));
    provider.getMeter('other-scope').createCounter('other.requests').add(2, { model: 'x' });
    const text = await expected();
    expect(text.split('\n').length).toBeGreaterThan(500);
    expect(await endpoint.render()).toBe(text);
  });

  it('keeps a family whole when two scopes share its name (OTel 3.x merges them): the same lines, grouped', async () => {
    const { endpoint, provider, expected } = twoReaders();
    recordEveryInstrument(provider, modelNames(2));
    provider.getMeter('other-scope').createCounter('ryot.inference.requests').add(2, { model: 'x' });
    provider.getMeter('other-scope').createCounter('some.thing').add(1);
    provider.getMeter('other-scope').createCounter('some_thing').add(1);
    const text = await expected();
    const sliced = await endpoint.render();
    expect(sliced.split('\n').sort()).toEqual(text.split('\n').sort());
    // Every sample of a family sits in one contiguous block, right after its TYPE line(s).
    const lines = sliced.split('\n');
    const family = lines.flatMap((line, i) => (line.startsWith('ryot_inference_requests_total{') ? [i] : []));
    expect(family.length).toBeGreaterThan(2);
    expect(family.at(-1)! - family[0]!).toBeLessThanOrEqual(family.length + 2);
  });

  it('serves what extra metricProducers return, beside the SDK', async () => {
    const other = new PrometheusExporter({ preventServerStart: true });
    const otherProvider = new MeterProvider({ readers: [other] });
    cleanups.push(() => otherProvider.shutdown());
    otherProvider.getMeter('produced').createCounter('produced.things').add(7, { kind: 'x' });
    const endpoint = createPrometheusEndpoint({ metricProducers: [{ collect: (options) => other.collect(options) }] });
    const provider = new MeterProvider({ readers: [endpoint.reader] });
    cleanups.push(() => provider.shutdown());
    provider.getMeter('own').createCounter('own.things').add(1);
    const text = await endpoint.render();
    expect(sampleValue(text, 'produced_things_total{kind="x",otel_scope_name="produced"}')).toBe(7);
    expect(sampleValue(text, 'own_things_total{')).toBe(1);
  });

  it('equals OTel output when nothing was recorded', async () => {
    const { endpoint, expected } = twoReaders();
    const text = await expected();
    expect(text).toContain('target_info');
    expect(await endpoint.render()).toBe(text);
  });
});

describe('single flight and reuse', () => {
  it('concurrent scrapes share one collection and get the same body', async () => {
    const s = await served({ scrapeCacheMs: 0 });
    const { opened, release } = gate();
    s.holdCollections(opened);
    const responses = Array.from({ length: 5 }, () => rawRequest(s.url, { headers: { 'accept-encoding': 'identity' } }));
    await new Promise((resolve) => setTimeout(resolve, 100)); // all five are waiting on the held collection
    release();
    const bodies = (await Promise.all(responses)).map((r) => {
      expect(r.status).toBe(200);
      return r.body.toString();
    });
    expect(s.collections()).toBe(1);
    expect(new Set(bodies).size).toBe(1);
    expect(sampleValue(bodies[0]!, 'collections_seen{')).toBe(1);
  });

  it('a finished body serves scrapes within scrapeCacheMs; later ones collect again', async () => {
    const s = await served({ scrapeCacheMs: 60_000 });
    s.requests.add(1);
    const first = await rawRequest(s.url);
    s.requests.add(1);
    const second = await rawRequest(s.url);
    expect(s.collections()).toBe(1);
    expect(second.body.equals(first.body)).toBe(true);
    expect(sampleValue(gunzipOrPlain(second), 'requests_total{')).toBe(1);

    const fresh = await served({ scrapeCacheMs: 0 });
    fresh.requests.add(1);
    await rawRequest(fresh.url);
    fresh.requests.add(1);
    const again = await rawRequest(fresh.url);
    expect(fresh.collections()).toBe(2);
    expect(sampleValue(gunzipOrPlain(again), 'requests_total{')).toBe(2);
  });

  it('by default a scrape 600 ms after the last one collects afresh (the window is 500 ms)', async () => {
    const s = await served();
    s.requests.add(1);
    await rawRequest(s.url);
    s.requests.add(1);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const later = await rawRequest(s.url);
    expect(s.collections()).toBe(2);
    expect(sampleValue(gunzipOrPlain(later), 'requests_total{')).toBe(2);
  });

  it('render() always collects afresh', async () => {
    const s = await served({ scrapeCacheMs: 60_000 });
    await rawRequest(s.url);
    s.requests.add(3);
    expect(sampleValue(await s.endpoint.render(), 'requests_total{')).toBe(3);
    expect(s.collections()).toBe(2);
  });

  it('a reader shutdown drops the reused body: the next scrape answers 500', async () => {
    const s = await served({ scrapeCacheMs: 60_000 });
    expect((await rawRequest(s.url)).status).toBe(200);
    await s.provider.shutdown();
    expect((await rawRequest(s.url)).status).toBe(500);
  });
});

function gunzipOrPlain(response: { headers: Record<string, unknown>; body: Buffer }): string {
  return (response.headers['content-encoding'] === 'gzip' ? gunzipSync(response.body) : response.body).toString('utf8');
}

describe('gzip', () => {
  it.each<[string | undefined, boolean]>([
    ['gzip', true],
    ['gzip, deflate, br', true],
    ['GZIP;q=0.5', true],
    ['x-gzip', true],
    ['*', true],
    ['identity', false],
    ['br, deflate', false],
    ['gzip;q=0', false],
    ['*;q=0', false],
    ['gzip;q=0, *', false],
    ['', false],
    [undefined, false],
  ])('Accept-Encoding %j -> gzip %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });

  it('compresses when the scraper accepts gzip (as Prometheus does), with Vary; the same exposition otherwise', async () => {
    const s = await served({ scrapeCacheMs: 60_000 });
    recordEveryInstrument(s.provider, modelNames(5));
    const gzipped = await rawRequest(s.url, { headers: { 'accept-encoding': 'gzip' } });
    const plain = await rawRequest(s.url, { headers: { 'accept-encoding': 'identity' } });
    const head = await rawRequest(s.url, { method: 'HEAD', headers: { 'accept-encoding': 'gzip' } });
    expect(gzipped.status).toBe(200);
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers['vary']).toBe('Accept-Encoding');
    expect(gzipped.headers['content-type']).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(Number(gzipped.headers['content-length'])).toBe(gzipped.body.length);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['vary']).toBe('Accept-Encoding');
    expect(gunzipSync(gzipped.body).equals(plain.body)).toBe(true);
    expect(gzipped.body.length).toBeLessThan(plain.body.length / 5);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-length']).toBe(gzipped.headers['content-length']);
  });
});

describe('the concurrency cap', () => {
  it('answers 503 with Retry-After past maxConcurrentScrapes, and frees the slots when scrapes finish', async () => {
    const s = await served({ maxConcurrentScrapes: 2, scrapeCacheMs: 0, bearerToken: 'tok' });
    const auth = { authorization: 'Bearer tok' };
    const { opened, release } = gate();
    s.holdCollections(opened);
    const held = [rawRequest(s.url, { headers: auth }), rawRequest(s.url, { headers: auth })];
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = await rawRequest(s.url, { headers: auth });
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    // Unauthorized requests are answered without taking a slot.
    expect((await rawRequest(s.url)).status).toBe(401);
    release();
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200]);
    expect((await rawRequest(s.url, { headers: auth })).status).toBe(200);
  });

  it('a scraper that stops reading loses its slot after the scrape timeout', async () => {
    const s = await served({ maxConcurrentScrapes: 1, scrapeCacheMs: 60_000, scrapeTimeoutMs: 2000, withoutScopeInfo: true });
    // ~14 MB of exposition: more than loopback socket buffers take from a reader that never reads.
    recordWideHistograms(s.meter, 30, 44, 250);
    const port = new URL(s.url).port;
    const stalled = connect(Number(port), '127.0.0.1');
    stalled.pause();
    stalled.write(`GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\n\r\n`);
    cleanups.push(async () => stalled.destroy());

    const statuses: number[] = [];
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const status = (await rawRequest(s.url, { method: 'HEAD' })).status;
      statuses.push(status);
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(statuses[0]).toBe(503);
    expect(statuses.at(-1)).toBe(200);
  }, 30_000);
});

describe('the scrape timeout', () => {
  it('covers serialization: a large exposition that collects fast but serializes slowly answers 503', async () => {
    const s = await served({ scrapeTimeoutMs: 40, scrapeCacheMs: 0, withoutScopeInfo: true });
    // 30 families of 40 series x 250 buckets: ~300k sample lines, 12 MB. Once warm (the collects below), the collect
    // takes about 1 ms and writing them 50-100 ms (measured on the 2-core VM): the 40 ms deadline falls in the writing.
    recordWideHistograms(s.meter, 30, 40, 250);
    for (let i = 0; i < 3; i++) await s.endpoint.reader.collect();
    const response = await rawRequest(s.url);
    expect(response.status).toBe(503);
    expect(response.body.toString()).toBe('# metrics collection failed: timeout\n');
  });
});
