import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { diag } from '@opentelemetry/api';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { MetricProducer } from '@opentelemetry/sdk-metrics';
import { DEFAULT_MAX_CONCURRENT_SCRAPES, DEFAULT_SCRAPE_CACHE_MS, DEFAULT_SCRAPE_TIMEOUT_MS } from './env.js';
import { ScrapeTimeoutError, beforeDeadline, createExpositionSource, type CollectHook } from './exposition.js';

/** The Prometheus text exposition format 0.0.4 content type (OTel's own handler sends a bare `text/plain`). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A plain node:http handler; Express accepts it as-is, Fastify through `reply.hijack()` and `request.raw`/`reply.raw`. */
export type MetricsRequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface PrometheusEndpointOptions {
  /** Drop otel_scope_* labels. Default false. */
  withoutScopeInfo?: boolean;
  /** Drop target_info. Default false. */
  withoutTargetInfo?: boolean;
  /** Require `Authorization: Bearer <token>`. */
  bearerToken?: string;
  /** Upper bound for collecting, serializing and compressing one exposition (503 past it), and again for sending it. Default 10000 ms. */
  scrapeTimeoutMs?: number;
  /** A finished exposition also serves scrapes that arrive within this many ms of its collection's start; 0 disables. Default 500. */
  scrapeCacheMs?: number;
  /** Scrapes served at once; more answer 503 with Retry-After. Default 10. */
  maxConcurrentScrapes?: number;
  /** Extra producers the reader collects beside the SDK (OTel's experimental `metricProducers`). */
  metricProducers?: MetricProducer[];
}

export interface PrometheusEndpoint {
  /** The pull reader; pass it to a MeterProvider (or sdk-node's `metricReaders`). */
  readonly reader: PrometheusExporter;
  /** Serves the exposition: GET/HEAD only, optional bearer auth, gzip on request, 500/503 when collection fails. */
  readonly handler: MetricsRequestHandler;
  /** Collects and serializes once, sharing nothing with scrapes; rejects when collection fails or times out. */
  render(): Promise<string>;
}

/** Internal seams: not part of the documented options. */
export interface PrometheusEndpointInternals {
  /** Replaces the reader's collection (cluster mode merges the workers' metrics in). */
  collect?: CollectHook;
}

/**
 * The share of a scrape's own timeout (Prometheus sends it as X-Prometheus-Scrape-Timeout-Seconds) that a collect
 * hook may spend waiting, so the rest is left for serializing and sending before Prometheus gives up.
 */
const WAIT_SHARE_OF_SCRAPE_TIMEOUT = 0.5;

/** Milliseconds a collect hook may wait for this scrape, from its Prometheus scrape-timeout header. */
function waitBudgetOf(req: IncomingMessage): number | undefined {
  const header = req.headers['x-prometheus-scrape-timeout-seconds'];
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 * WAIT_SHARE_OF_SCRAPE_TIMEOUT : undefined;
}

/** Seconds a refused scrape is told to wait. */
const RETRY_AFTER_S = 1;
/** At most one "too many scrapes" warning per this many ms. */
const CAP_WARNING_INTERVAL_MS = 60_000;

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Constant-time bearer check: both sides are hashed first so their lengths leak nothing. */
export function bearerTokenMatches(authorization: string | undefined, expected: string): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  const presented = digest(match?.[1] ?? '');
  // Always compare, even without a token, so the timing does not say which case happened.
  return timingSafeEqual(presented, digest(expected)) && match !== null;
}

function sendText(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

/** Whether an Accept-Encoding header admits gzip: listed (or `*`) without `q=0` (RFC 9110 section 12.5.3). */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value === undefined) return false;
  let wildcard = false;
  for (const entry of value.split(',')) {
    const [coding, ...parameters] = entry.split(';').map((part) => part.trim().toLowerCase());
    const quality = parameters.find((parameter) => parameter.startsWith('q='));
    const accepted = quality === undefined || Number(quality.slice(2)) > 0;
    if (coding === 'gzip' || coding === 'x-gzip') return accepted;
    if (coding === '*') wildcard = accepted;
  }
  return wildcard;
}

/**
 * A Prometheus pull reader plus a request handler for it. The handler replaces OTel's
 * getMetricsRequestHandler, which ignores the method, always answers 200 (a failed
 * collect becomes a comment), sends a content type without `version=0.0.4`, and runs
 * a full collect and serialization per request. Here concurrent scrapes share one
 * collect-and-serialize, serialization yields to the event loop between metric
 * families, gzip is sent to scrapers that accept it, and scrapes past
 * `maxConcurrentScrapes` answer 503 at once.
 */
export function createPrometheusEndpoint(options: PrometheusEndpointOptions = {}, internals: PrometheusEndpointInternals = {}): PrometheusEndpoint {
  const timeoutMs = options.scrapeTimeoutMs ?? DEFAULT_SCRAPE_TIMEOUT_MS;
  const maxConcurrent = options.maxConcurrentScrapes ?? DEFAULT_MAX_CONCURRENT_SCRAPES;
  const bearerToken = options.bearerToken;
  const source = createExpositionSource({
    withoutScopeInfo: options.withoutScopeInfo ?? false,
    withoutTargetInfo: options.withoutTargetInfo ?? false,
    timeoutMs,
    cacheMs: options.scrapeCacheMs ?? DEFAULT_SCRAPE_CACHE_MS,
    ...(options.metricProducers ? { metricProducers: options.metricProducers } : {}),
    ...(internals.collect ? { collect: internals.collect } : {}),
  });
  let active = 0;
  let lastCapWarning = -Infinity;

  function refuseOverCap(res: ServerResponse): void {
    const now = performance.now();
    if (now - lastCapWarning >= CAP_WARNING_INTERVAL_MS) {
      lastCapWarning = now;
      diag.warn(`@ryot/exporters: ${maxConcurrent} scrapes already in progress (maxConcurrentScrapes); answering 503 to more`);
    }
    sendText(res, 503, '# too many concurrent scrapes\n', { 'retry-after': String(RETRY_AFTER_S) });
  }

  async function respond(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let body: Buffer;
    let gzip = false;
    try {
      const exposition = await beforeDeadline(source.shared(waitBudgetOf(req)), deadline, 'collection');
      gzip = acceptsGzip(req.headers['accept-encoding']);
      body = gzip ? await beforeDeadline(exposition.gzipped(), deadline, 'compression') : exposition.body;
    } catch (error) {
      const timedOut = error instanceof ScrapeTimeoutError;
      diag.error('@ryot/exporters: metrics collection failed', error);
      sendText(res, timedOut ? 503 : 500, `# metrics collection failed: ${timedOut ? 'timeout' : 'error'}\n`);
      return;
    }
    if (res.destroyed) return; // the scraper left while it waited
    // A scraper that stops reading gives its slot back after another scrape timeout.
    const stalled = setTimeout(() => res.destroy(), timeoutMs);
    stalled.unref();
    res.once('close', () => clearTimeout(stalled));
    res.writeHead(200, {
      'content-type': PROMETHEUS_CONTENT_TYPE,
      'content-length': String(body.length),
      'cache-control': 'no-store',
      vary: 'Accept-Encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, 'Method Not Allowed\n', { allow: 'GET, HEAD' });
      return;
    }
    if (bearerToken !== undefined && !bearerTokenMatches(req.headers.authorization, bearerToken)) {
      sendText(res, 401, 'Unauthorized\n', { 'www-authenticate': 'Bearer realm="metrics"' });
      return;
    }
    if (active >= maxConcurrent) {
      refuseOverCap(res);
      return;
    }
    active++;
    res.once('close', () => active--);
    await respond(req, res);
  }

  const handler: MetricsRequestHandler = (req, res) => {
    serve(req, res).catch((error: unknown) => {
      diag.error('@ryot/exporters: metrics handler failed', error);
      if (!res.headersSent) sendText(res, 500, '# metrics handler failed\n');
      else res.destroy();
    });
  };

  return {
    reader: source.reader,
    handler,
    render: async () => (await source.fresh()).body.toString('utf8'),
  };
}
