import { createServer } from 'node:http';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import express from 'express';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ryotViews } from '@ryot/metrics';
import { METRICS, RYOT_METER_NAME, createInstrument } from '@ryot/metrics/instrumentation';
import { PROMETHEUS_CONTENT_TYPE, bearerTokenMatches, createPrometheusEndpoint, type PrometheusEndpointOptions } from '../src/index.js';
import { gunzipSync } from 'node:zlib';
import { listen, rawRequest, sampleValue } from './helpers.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function endpointWithTraffic(options: PrometheusEndpointOptions = {}) {
  const endpoint = createPrometheusEndpoint(options);
  const provider = new MeterProvider({ views: ryotViews(), readers: [endpoint.reader] });
  cleanups.push(() => provider.shutdown());
  const meter = provider.getMeter(RYOT_METER_NAME);
  const requests = createInstrument(meter, METRICS.requests);
  requests.add(3, { model: 'llama', status: 'success' });
  requests.add(1, { model: 'llama', status: 'error' });
  createInstrument(meter, METRICS.requestDuration).record(0.2, { model: 'llama' });
  return { endpoint, provider };
}

describe('the Prometheus request handler', () => {
  it('serves the exposition with the 0.0.4 content type on node:http', async () => {
    const { endpoint } = endpointWithTraffic();
    const server = await listen(endpoint.handler);
    cleanups.push(server.close);
    const response = await fetch(`${server.url}/metrics`, { headers: { 'accept-encoding': 'identity' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(response.headers.get('content-encoding')).toBeNull();
    const body = await response.text();
    expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(body));
    expect(sampleValue(body, 'ryot_inference_requests_total{model="llama",status="success"')).toBe(3);
    expect(sampleValue(body, 'ryot_inference_requests_total{model="llama",status="error"')).toBe(1);
    expect(body).toContain('ryot_inference_request_duration_seconds_bucket{model="llama",otel_scope_name="@ryot/metrics"');
    expect(body).toContain('le="0.25"} 1');
    expect(body).toContain('target_info{');
  });

  it('drops scope labels and target_info when asked', async () => {
    const { endpoint } = endpointWithTraffic({ withoutScopeInfo: true, withoutTargetInfo: true });
    const body = await endpoint.render();
    expect(body).not.toContain('otel_scope_');
    expect(body).not.toContain('target_info');
    expect(body).toContain('ryot_inference_requests_total{model="llama",status="success"} 3');
  });

  it('answers HEAD without a body and rejects other methods with 405 and Allow', async () => {
    const { endpoint } = endpointWithTraffic();
    const server = await listen(endpoint.handler);
    cleanups.push(server.close);
    const head = await fetch(`${server.url}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(await head.text()).toBe('');
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const response = await fetch(`${server.url}/metrics`, { method });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD');
    }
  });

  it('answers 500, not 200 with a comment, when collection fails', async () => {
    // A reader bound to no MeterProvider cannot collect: a real SDK failure, no mock.
    const endpoint = createPrometheusEndpoint();
    const server = await listen(endpoint.handler);
    cleanups.push(server.close);
    const unbound = await fetch(`${server.url}/metrics`);
    expect(unbound.status).toBe(500);
    expect(await unbound.text()).not.toContain('ryot_');
  });

  it('answers 500 after the provider has shut down', async () => {
    const { endpoint, provider } = endpointWithTraffic();
    const server = await listen(endpoint.handler);
    cleanups.push(server.close);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
    await provider.shutdown();
    expect((await fetch(`${server.url}/metrics`)).status).toBe(500);
  });

  it('protects the endpoint with a bearer token', async () => {
    const { endpoint } = endpointWithTraffic({ bearerToken: 's3cret-token' });
    const server = await listen(endpoint.handler);
    cleanups.push(server.close);
    for (const authorization of [undefined, 'Bearer wrong', 'Bearer s3cret-toke', 'Basic s3cret-token', 'Bearer s3cret-token extra']) {
      const response = await fetch(`${server.url}/metrics`, { headers: authorization ? { authorization } : {} });
      expect(response.status, String(authorization)).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      expect(await response.text()).not.toContain('ryot_');
    }
    const ok = await fetch(`${server.url}/metrics`, { headers: { authorization: 'bearer s3cret-token' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('ryot_inference_requests_total');
  });

  it('bearerTokenMatches compares whole tokens only', () => {
    expect(bearerTokenMatches('Bearer abc', 'abc')).toBe(true);
    expect(bearerTokenMatches('Bearer abcd', 'abc')).toBe(false);
    expect(bearerTokenMatches('Bearer ab', 'abc')).toBe(false);
    expect(bearerTokenMatches(undefined, 'abc')).toBe(false);
    expect(bearerTokenMatches('Bearer ', 'abc')).toBe(false);
  });

  it('mounts on a plain node:http server next to other routes', async () => {
    const { endpoint } = endpointWithTraffic();
    const server = createServer((req, res) => {
      if (req.url === '/metrics') return endpoint.handler(req, res);
      res.end('app');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('app');
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(metrics.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(await metrics.text()).toContain('ryot_inference_requests_total');
  });

  it('mounts on Express', async () => {
    const { endpoint } = endpointWithTraffic({ withoutScopeInfo: true });
    const app = express();
    app.get('/metrics', endpoint.handler);
    app.head('/metrics', endpoint.handler);
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(await response.text()).toContain('ryot_inference_requests_total{model="llama",status="success"} 3');
    const gzipped = await rawRequest(`http://127.0.0.1:${port}/metrics`, { headers: { 'accept-encoding': 'gzip' } });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzipped.body).toString()).toContain('ryot_inference_requests_total{model="llama",status="success"} 3');
    const head = await rawRequest(`http://127.0.0.1:${port}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('mounts on Fastify through reply.hijack()', async () => {
    const { endpoint } = endpointWithTraffic({ withoutScopeInfo: true, bearerToken: 'tok' });
    const app = Fastify();
    app.get('/metrics', (request, reply) => {
      reply.hijack();
      endpoint.handler(request.raw, reply.raw);
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => app.close());
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const response = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer tok' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(await response.text()).toContain('ryot_inference_requests_total{model="llama",status="error"} 1');
    const gzipped = await rawRequest(`${base}/metrics`, { headers: { 'accept-encoding': 'gzip', authorization: 'Bearer tok' } });
    expect(gzipped.status).toBe(200);
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(Number(gzipped.headers['content-length'])).toBe(gzipped.body.length);
    expect(gunzipSync(gzipped.body).toString()).toContain('ryot_inference_requests_total{model="llama",status="error"} 1');
    // Fastify routes HEAD to the GET handler.
    const head = await rawRequest(`${base}/metrics`, { method: 'HEAD', headers: { authorization: 'Bearer tok' } });
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(head.body.length).toBe(0);
  });

  it('caps concurrent scrapes through Express and Fastify alike', async () => {
    const { endpoint, provider } = endpointWithTraffic({ maxConcurrentScrapes: 1, scrapeCacheMs: 0 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    provider.getMeter('cap').createObservableGauge('held').addCallback(async (result) => {
      await held;
      result.observe(1);
    });
    const app = express();
    app.get('/metrics', endpoint.handler);
    const expressServer = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => expressServer.once('listening', resolve));
    cleanups.push(() => new Promise((resolve) => expressServer.close(resolve)));
    const expressUrl = `http://127.0.0.1:${(expressServer.address() as { port: number }).port}/metrics`;
    const fastify = Fastify();
    fastify.get('/metrics', (request, reply) => {
      reply.hijack();
      endpoint.handler(request.raw, reply.raw);
    });
    const fastifyUrl = `${await fastify.listen({ port: 0, host: '127.0.0.1' })}/metrics`;
    cleanups.push(() => fastify.close());

    const first = rawRequest(expressUrl);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = await rawRequest(fastifyUrl);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    release();
    expect((await first).status).toBe(200);
    expect((await rawRequest(fastifyUrl)).status).toBe(200);
  });
});
