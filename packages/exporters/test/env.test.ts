import { describe, expect, it } from 'vitest';
import { TelemetryConfigError, parseExporterList, resolveConfig } from '../src/index.js';
import { parseLogLevel } from '../src/env.js';
import type { EnvSource, TelemetryOptions } from '../src/index.js';

describe('parseExporterList (OTEL_METRICS_EXPORTER)', () => {
  it.each<[string | undefined, string[]]>([
    [undefined, ['otlp']],
    ['', ['otlp']],
    ['  ', ['otlp']],
    ['prometheus', ['prometheus']],
    ['otlp', ['otlp']],
    ['prometheus,otlp', ['prometheus', 'otlp']],
    [' otlp , prometheus ', ['otlp', 'prometheus']],
    ['PROMETHEUS', ['prometheus']],
    ['otlp,otlp', ['otlp']],
    ['none', []],
  ])('%j -> %j', (raw, expected) => {
    expect(parseExporterList(raw === undefined ? {} : { OTEL_METRICS_EXPORTER: raw })).toEqual(expected);
  });

  it.each(['console', 'zipkin', 'prometheus,jaeger', 'none,otlp'])('rejects %j naming the variable', (raw) => {
    expect(() => parseExporterList({ OTEL_METRICS_EXPORTER: raw })).toThrow(/^OTEL_METRICS_EXPORTER: /);
  });
});

describe('resolveConfig', () => {
  interface Row {
    name: string;
    options?: TelemetryOptions;
    env?: EnvSource;
    expect: (config: ReturnType<typeof resolveConfig>) => void;
  }
  const rows: Row[] = [
    {
      name: 'no options, no env: OTLP only with spec defaults',
      expect: (c) => {
        expect(c.exporters).toEqual(['otlp']);
        expect(c.prometheus).toBeUndefined();
        expect(c.otlp).toMatchObject({ protocol: 'http/protobuf', intervalMs: 60_000, exportTimeoutMs: 30_000, url: undefined });
      },
    },
    {
      name: 'env picks both readers and their settings',
      env: {
        OTEL_METRICS_EXPORTER: 'prometheus,otlp',
        OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
        OTEL_EXPORTER_PROMETHEUS_PORT: '0',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_METRIC_EXPORT_INTERVAL: '5000',
      },
      expect: (c) => {
        expect(c.exporters).toEqual(['prometheus', 'otlp']);
        expect(c.prometheus).toMatchObject({ host: '127.0.0.1', port: 0, path: '/metrics', server: true });
        // The timeout is clamped to the interval, as sdk-node does.
        expect(c.otlp).toMatchObject({ protocol: 'http/json', intervalMs: 5000, exportTimeoutMs: 5000 });
      },
    },
    {
      name: 'the metrics-specific protocol wins over the generic one',
      env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf' },
      expect: (c) => expect(c.otlp?.protocol).toBe('http/protobuf'),
    },
    {
      name: 'code options win over env and OTEL_METRICS_EXPORTER is ignored',
      options: { prometheus: { port: 9999, host: '::1' } },
      env: { OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_PROMETHEUS_PORT: '1234', OTEL_EXPORTER_PROMETHEUS_HOST: 'x' },
      expect: (c) => {
        expect(c.exporters).toEqual(['prometheus']);
        expect(c.prometheus).toMatchObject({ port: 9999, host: '::1' });
        expect(c.otlp).toBeUndefined();
      },
    },
    {
      name: 'prometheus: true takes env host/port; default host is all interfaces',
      options: { prometheus: true },
      env: { OTEL_EXPORTER_PROMETHEUS_PORT: '9100' },
      expect: (c) => expect(c.prometheus).toMatchObject({ port: 9100, host: undefined }),
    },
    {
      name: 'explicit otlp options are passed through; the request timeout follows timeoutMs',
      options: { otlp: { url: 'http://collector:4318/v1/metrics', timeoutMs: 2000, intervalMs: 10_000, compression: 'gzip', temporality: 'delta' } },
      expect: (c) =>
        expect(c.otlp).toEqual({
          protocol: 'http/protobuf',
          url: 'http://collector:4318/v1/metrics',
          destination: 'http://collector:4318/v1/metrics',
          headers: undefined,
          intervalMs: 10_000,
          exportTimeoutMs: 2000,
          requestTimeoutMs: 2000,
          compression: 'gzip',
          temporality: 'delta',
        }),
    },
    {
      name: 'OTEL_METRICS_EXPORTER=none gives no readers',
      env: { OTEL_METRICS_EXPORTER: 'none' },
      expect: (c) => expect(c).toEqual({ exporters: [], prometheus: undefined, otlp: undefined }),
    },
    {
      name: 'OTEL_SDK_DISABLED=true gives no readers even with code options',
      options: { prometheus: true },
      env: { OTEL_SDK_DISABLED: 'TRUE' },
      expect: (c) => expect(c.exporters).toEqual([]),
    },
    {
      name: 'false disables one reader',
      options: { prometheus: false, otlp: true },
      expect: (c) => expect(c.exporters).toEqual(['otlp']),
    },
  ];
  it.each(rows)('$name', (row) => row.expect(resolveConfig(row.options, row.env)));

  it.each<[string, EnvSource | undefined, TelemetryOptions | undefined]>([
    ['OTEL_EXPORTER_PROMETHEUS_PORT', { OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_PORT: 'http' }, undefined],
    ['OTEL_EXPORTER_PROMETHEUS_PORT', { OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_PORT: '70000' }, undefined],
    ['OTEL_EXPORTER_PROMETHEUS_PORT', { OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_PORT: '-1' }, undefined],
    ['OTEL_METRIC_EXPORT_INTERVAL', { OTEL_METRIC_EXPORT_INTERVAL: '10s' }, undefined],
    ['OTEL_METRIC_EXPORT_INTERVAL', { OTEL_METRIC_EXPORT_INTERVAL: '0' }, undefined],
    ['OTEL_METRIC_EXPORT_TIMEOUT', { OTEL_METRIC_EXPORT_TIMEOUT: 'soon' }, undefined],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, undefined],
    ['OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', { OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/xml' }, undefined],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, undefined],
    ['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'not a url' }, undefined],
    ['OTEL_EXPORTER_OTLP_COMPRESSION', { OTEL_EXPORTER_OTLP_COMPRESSION: 'brotli' }, undefined],
    ['OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'monthly' }, undefined],
    ['prometheus.port', undefined, { prometheus: { port: 1.5 } }],
    ['prometheus.path', undefined, { prometheus: { path: 'metrics' } }],
    ['OTEL_EXPORTER_PROMETHEUS_HOST', { OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_HOST: '0.0.0.0:9464' }, undefined],
    ['OTEL_EXPORTER_PROMETHEUS_HOST', { OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_HOST: '[::1]' }, undefined],
    ['OTEL_EXPORTER_PROMETHEUS_HOST', { OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_HOST: 'http://localhost' }, undefined],
    ['OTEL_EXPORTER_PROMETHEUS_HOST', { OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_HOST: 'my host' }, undefined],
    ['OTEL_EXPORTER_PROMETHEUS_HOST', { OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_HOST: '-bad.example' }, undefined],
    ['OTEL_EXPORTER_PROMETHEUS_HOST', { OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_HOST: 'a..b' }, undefined],
    ['prometheus.host', undefined, { prometheus: { host: '' } }],
    ['prometheus.host', undefined, { prometheus: { host: '127.0.0.1:9464' } }],
    ['otlp.url', undefined, { otlp: { url: 'ftp://x' } }],
    ['otlp.url', undefined, { otlp: { url: 'http://collector:4318' } }],
    ['otlp.url', undefined, { otlp: { url: 'http://collector:4318/' } }],
    ['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://collector:4318' }, undefined],
    ['OTEL_EXPORTER_OTLP_TIMEOUT', { OTEL_EXPORTER_OTLP_TIMEOUT: 'abc' }, undefined],
    ['OTEL_EXPORTER_OTLP_TIMEOUT', { OTEL_EXPORTER_OTLP_TIMEOUT: '0' }, undefined],
    ['OTEL_EXPORTER_OTLP_METRICS_TIMEOUT', { OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '10s' }, undefined],
    ['OTEL_EXPORTER_OTLP_HEADERS', { OTEL_EXPORTER_OTLP_HEADERS: 'authorization' }, undefined],
    ['OTEL_EXPORTER_OTLP_HEADERS', { OTEL_EXPORTER_OTLP_HEADERS: 'a=b,=c' }, undefined],
    ['OTEL_EXPORTER_OTLP_METRICS_HEADERS', { OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-key=%E0%A4%A' }, undefined],
    ['OTEL_EXPORTER_OTLP_METRICS_COMPRESSION', { OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: 'zstd' }, undefined],
    ['OTEL_SDK_DISABLED', { OTEL_SDK_DISABLED: 'yes' }, undefined],
    ['prometheus.scrapeTimeoutMs', undefined, { prometheus: { scrapeTimeoutMs: 0 } }],
    ['prometheus.scrapeCacheMs', undefined, { prometheus: { scrapeCacheMs: -1 } }],
    ['prometheus.maxConcurrentScrapes', undefined, { prometheus: { maxConcurrentScrapes: 0 } }],
    ['prometheus.bearerToken', undefined, { prometheus: { bearerToken: '' } }],
    ['otlp.timeoutMs', undefined, { otlp: { timeoutMs: 1.5 } }],
    ['otlp.protocol', undefined, { otlp: { protocol: 'grpc' as never } }],
    ['otlp.compression', undefined, { otlp: { compression: 'br' as never } }],
    ['otlp.temporality', undefined, { otlp: { temporality: 'weekly' as never } }],
    ['otlp.intervalMs', undefined, { otlp: { intervalMs: 0 } }],
  ])('a bad %s is a TelemetryConfigError naming it (%j %j)', (variable, env, options) => {
    let caught: unknown;
    try {
      resolveConfig(options, env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TelemetryConfigError);
    expect((caught as TelemetryConfigError).variable).toBe(variable);
    expect((caught as Error).message.startsWith(`${variable}: `)).toBe(true);
  });
});

describe('OTEL_EXPORTER_PROMETHEUS_HOST', () => {
  it.each(['127.0.0.1', '0.0.0.0', '::', '::1', 'fe80::1%eth0', 'localhost', 'node-1', 'metrics.internal.example.'])('accepts %j as the bind address', (host) => {
    expect(resolveConfig({}, { OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_HOST: host }).prometheus?.host).toBe(host);
  });

  it('treats an empty value as unset (all interfaces), as the spec says', () => {
    expect(resolveConfig({}, { OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_HOST: ' ' }).prometheus?.host).toBeUndefined();
  });

  it('says how to fix a host with a port or brackets', () => {
    const env = (host: string) => ({ OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_HOST: host });
    expect(() => resolveConfig({}, env('0.0.0.0:9464'))).toThrow('OTEL_EXPORTER_PROMETHEUS_HOST: expected an IP address or a host name, got "0.0.0.0:9464" (the port is a separate setting)');
    expect(() => resolveConfig({}, env('[::1]'))).toThrow('(write an IPv6 address without brackets)');
  });
});

describe('values the OTLP exporter reads itself are accepted when well-formed', () => {
  it.each<[string, EnvSource]>([
    ['timeouts in ms', { OTEL_EXPORTER_OTLP_TIMEOUT: '5000', OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '2500' }],
    ['headers, percent-encoded, empty entries ignored', { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc, x-tenant=t1,', OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-a=b' }],
    ['a metrics endpoint with a path', { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'https://collector.example:4318/v1/metrics' }],
    ['a base endpoint without a path (/v1/metrics is appended)', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }],
    ['compression', { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: 'none' }],
    ['empty values, which count as unset', { OTEL_EXPORTER_OTLP_TIMEOUT: '', OTEL_EXPORTER_OTLP_HEADERS: ' ', OTEL_SDK_DISABLED: '' }],
    ['OTEL_SDK_DISABLED=false', { OTEL_SDK_DISABLED: 'False' }],
  ])('%s', (_name, env) => {
    expect(resolveConfig({}, env).otlp).toBeDefined();
  });
});

describe('the OTLP destination named in reports and on the handle', () => {
  it.each<[string, TelemetryOptions, EnvSource, string]>([
    ['default', {}, {}, 'http://localhost:4318/v1/metrics'],
    ['base endpoint: /v1/metrics appended', {}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, 'http://c:4318/v1/metrics'],
    ['base endpoint with a trailing slash', {}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' }, 'http://c:4318/v1/metrics'],
    ['base endpoint with a path prefix', {}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://gw/otlp' }, 'http://gw/otlp/v1/metrics'],
    ['metrics endpoint wins', {}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://m:4318/custom' }, 'http://m:4318/custom'],
    ['code url wins', { otlp: { url: 'http://code:4318/v1/metrics' } }, { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://m:4318/custom' }, 'http://code:4318/v1/metrics'],
  ])('%s', (_name, options, env, destination) => {
    expect(resolveConfig({ otlp: true, ...options }, env).otlp?.destination).toBe(destination);
  });
});

describe('parseLogLevel (OTEL_LOG_LEVEL)', () => {
  it.each([
    [undefined, undefined],
    ['debug', 'debug'],
    ['WARN', 'warn'],
    ['none', 'none'],
    ['all', 'all'],
  ])('%j -> %j', (raw, expected) => {
    expect(parseLogLevel(raw === undefined ? {} : { OTEL_LOG_LEVEL: raw })).toBe(expected);
  });

  it('rejects an unknown level naming the variable', () => {
    expect(() => parseLogLevel({ OTEL_LOG_LEVEL: 'loud' })).toThrow(/^OTEL_LOG_LEVEL: /);
  });
});
