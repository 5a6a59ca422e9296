import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { diag } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { DEFAULT_SCRAPE_TIMEOUT_MS } from './env.js';

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
  /** Upper bound for one collection; slower scrapes answer 503. Default 10000 ms. */
  scrapeTimeoutMs?: number;
}

export interface PrometheusEndpoint {
  /** The pull reader; pass it to a MeterProvider (or sdk-node's `metricReaders`). */
  readonly reader: PrometheusExporter;
  /** Serves the exposition: GET/HEAD only, optional bearer auth, 500/503 when collection fails. */
  readonly handler: MetricsRequestHandler;
  /** Collects and serializes once; rejects when collection fails or times out. */
  render(): Promise<string>;
}

class ScrapeTimeoutError extends Error {
  override readonly name = 'ScrapeTimeoutError';
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ScrapeTimeoutError(`collection took longer than ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

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

/**
 * A Prometheus pull reader plus a request handler for it. The handler replaces OTel's
 * getMetricsRequestHandler, which ignores the method, always answers 200 (a failed
 * collect becomes a comment) and sends a content type without `version=0.0.4`.
 */
export function createPrometheusEndpoint(options: PrometheusEndpointOptions = {}): PrometheusEndpoint {
  const withoutScopeInfo = options.withoutScopeInfo ?? false;
  const withoutTargetInfo = options.withoutTargetInfo ?? false;
  const timeoutMs = options.scrapeTimeoutMs ?? DEFAULT_SCRAPE_TIMEOUT_MS;
  const bearerToken = options.bearerToken;
  const reader = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo, withoutTargetInfo });
  const serializer = new PrometheusSerializer(undefined, false, undefined, withoutTargetInfo, withoutScopeInfo);

  async function render(): Promise<string> {
    const { resourceMetrics, errors } = await withTimeout(reader.collect({ timeoutMillis: timeoutMs }), timeoutMs);
    for (const error of errors) {
      // A failing observable callback loses its own series only; the rest is still served.
      diag.warn('@ryot/exporters: an observable callback failed during a scrape', error);
    }
    return serializer.serialize(resourceMetrics);
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
    let body: string;
    try {
      body = await render();
    } catch (error) {
      const timedOut = error instanceof ScrapeTimeoutError;
      diag.error('@ryot/exporters: metrics collection failed', error);
      sendText(res, timedOut ? 503 : 500, `# metrics collection failed: ${timedOut ? 'timeout' : 'error'}\n`);
      return;
    }
    res.writeHead(200, {
      'content-type': PROMETHEUS_CONTENT_TYPE,
      'content-length': String(Buffer.byteLength(body)),
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  const handler: MetricsRequestHandler = (req, res) => {
    serve(req, res).catch((error: unknown) => {
      diag.error('@ryot/exporters: metrics handler failed', error);
      if (!res.headersSent) sendText(res, 500, '# metrics handler failed\n');
      else res.destroy();
    });
  };

  return { reader, handler, render };
}
