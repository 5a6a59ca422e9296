/**
 * A loopback OTLP/HTTP metrics receiver for tests. It decodes both encodings with a
 * real decoder: protobuf through the protobufjs static module generated from the
 * official opentelemetry-proto schema (shipped by @opentelemetry/otlp-transformer
 * 0.212, aliased as `otlp-proto-root`), JSON through the same module's fromObject (the
 * OTLP/JSON mapping), so both end up in one normalized shape. gzip bodies are inflated.
 */
import { createRequire } from 'node:module';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

interface ProtoType {
  decode(buffer: Uint8Array): unknown;
  fromObject(object: unknown): unknown;
  toObject(message: unknown, options: Record<string, unknown>): unknown;
}

const require = createRequire(import.meta.url);
const root = require('otlp-proto-root/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { metrics: { v1: { ExportMetricsServiceRequest: ProtoType } } } } };
};
const ExportMetricsServiceRequest = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
const TO_OBJECT = { longs: Number, enums: Number, bytes: String, defaults: false, arrays: true };

export interface KeyValue {
  key: string;
  value: { stringValue?: string; intValue?: number; doubleValue?: number; boolValue?: boolean };
}
export interface NumberDataPoint {
  attributes?: KeyValue[];
  asInt?: number;
  asDouble?: number;
  startTimeUnixNano?: number;
  timeUnixNano?: number;
}
export interface HistogramDataPoint {
  attributes?: KeyValue[];
  count?: number;
  sum?: number;
  bucketCounts?: number[];
  explicitBounds?: number[];
}
export interface Metric {
  name: string;
  unit?: string;
  description?: string;
  sum?: { dataPoints?: NumberDataPoint[]; aggregationTemporality?: number; isMonotonic?: boolean };
  gauge?: { dataPoints?: NumberDataPoint[] };
  histogram?: { dataPoints?: HistogramDataPoint[]; aggregationTemporality?: number };
}
export interface ExportRequest {
  resourceMetrics?: {
    resource?: { attributes?: KeyValue[] };
    scopeMetrics?: { scope?: { name?: string; version?: string }; metrics?: Metric[] }[];
  }[];
}
export interface Received {
  contentType: string;
  encoding: 'json' | 'protobuf';
  gzip: boolean;
  headers: IncomingMessage['headers'];
  request: ExportRequest;
}

export type ReceiverMode = { kind: 'ok' } | { kind: 'status'; status: number; retryAfter?: string } | { kind: 'hang' };

export function decodeExportRequest(body: Buffer, contentType: string): ExportRequest {
  const message = contentType.startsWith('application/json')
    ? ExportMetricsServiceRequest.fromObject(JSON.parse(body.toString('utf8')) as unknown)
    : ExportMetricsServiceRequest.decode(body);
  return ExportMetricsServiceRequest.toObject(message, TO_OBJECT) as ExportRequest;
}

export class OtlpReceiver {
  readonly received: Received[] = [];
  /** Every request, including refused ones. */
  attempts = 0;
  mode: ReceiverMode = { kind: 'ok' };
  private server: Server | undefined;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/metrics`;
  }

  /** Listens on `port` (0 first time: a free one; later: the same port again). */
  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.attempts++;
        if (req.method !== 'POST' || req.url !== '/v1/metrics') {
          res.writeHead(404).end();
          return;
        }
        const mode = this.mode;
        if (mode.kind === 'hang') return;
        if (mode.kind === 'status') {
          res.writeHead(mode.status, mode.retryAfter ? { 'retry-after': mode.retryAfter } : {}).end();
          return;
        }
        const gzip = req.headers['content-encoding'] === 'gzip';
        const raw = Buffer.concat(chunks);
        const contentType = req.headers['content-type'] ?? '';
        const request = decodeExportRequest(gzip ? gunzipSync(raw) : raw, contentType);
        this.received.push({ contentType, encoding: contentType.startsWith('application/json') ? 'json' : 'protobuf', gzip, headers: req.headers, request });
        const json = contentType.startsWith('application/json');
        res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
        res.end(json ? '{}' : Buffer.alloc(0));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening: exports then fail with ECONNREFUSED (the collector is down). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** All metrics with `name` across every received request, in arrival order. */
  metrics(name: string): Metric[] {
    return this.received.flatMap((r) =>
      (r.request.resourceMetrics ?? []).flatMap((rm) => (rm.scopeMetrics ?? []).flatMap((sm) => (sm.metrics ?? []).filter((m) => m.name === name))),
    );
  }

  /** The last received value of a counter series whose attributes include `match`. */
  lastSum(name: string, match: Record<string, string>): number | undefined {
    const points = this.metrics(name).flatMap((m) => m.sum?.dataPoints ?? []).filter((p) => attributesMatch(p.attributes, match));
    const last = points.at(-1);
    return last === undefined ? undefined : (last.asInt ?? last.asDouble);
  }

  /** Waits until `predicate` holds, polling. */
  async waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`receiver: condition not met within ${timeoutMs} ms (${this.received.length} requests received)`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

export function attributesMatch(attributes: KeyValue[] | undefined, match: Record<string, string>): boolean {
  return Object.entries(match).every(([key, value]) => attributes?.some((kv) => kv.key === key && kv.value.stringValue === value));
}

export function attributeMap(attributes: KeyValue[] | undefined): Record<string, string | number | boolean | undefined> {
  return Object.fromEntries((attributes ?? []).map((kv) => [kv.key, kv.value.stringValue ?? kv.value.intValue ?? kv.value.doubleValue ?? kv.value.boolValue]));
}
