import { isIP } from 'node:net';
import { TelemetryConfigError } from './errors.js';
import type {
  ClusterOptions,
  EnvSource,
  ExporterName,
  OtlpOptions,
  OtlpProtocol,
  OtlpTemporality,
  PrometheusOptions,
  TelemetryOptions,
} from './types.js';

export const DEFAULT_PROMETHEUS_PORT = 9464;

const MAX_TIMER_MS = 2 ** 31 - 1;

/** A millisecond setting: the code option wins, then the environment variable; each error names its source. */
function millisOption(optionName: string, option: number | undefined, envVar: string, raw: string | undefined): number | undefined {
  if (option !== undefined) return checkNumber(optionName, option, 1, MAX_TIMER_MS);
  if (raw !== undefined) return parseInteger(envVar, raw, 1, MAX_TIMER_MS);
  return undefined;
}
export const DEFAULT_PROMETHEUS_PATH = '/metrics';
export const DEFAULT_OTLP_URL = 'http://localhost:4318/v1/metrics';
export const DEFAULT_EXPORT_INTERVAL_MS = 60_000;
export const DEFAULT_EXPORT_TIMEOUT_MS = 30_000;
export const DEFAULT_SCRAPE_TIMEOUT_MS = 10_000;
/** Short enough that a Prometheus scraping every second never gets the previous scrape's body. */
export const DEFAULT_SCRAPE_CACHE_MS = 500;
export const DEFAULT_MAX_CONCURRENT_SCRAPES = 10;
export const DEFAULT_CLUSTER_WORKER_TIMEOUT_MS = 1000;
const MAX_CONCURRENT_SCRAPES_LIMIT = 10_000;

export interface ResolvedPrometheus {
  /** undefined: Node's unspecified address (all interfaces). */
  host: string | undefined;
  port: number;
  path: string;
  server: boolean;
  withoutScopeInfo: boolean;
  withoutTargetInfo: boolean;
  bearerToken: string | undefined;
  scrapeTimeoutMs: number;
  scrapeCacheMs: number;
  maxConcurrentScrapes: number;
}

export interface ResolvedOtlp {
  protocol: OtlpProtocol;
  /** undefined: let the OTLP exporter read OTEL_EXPORTER_OTLP_[METRICS_]ENDPOINT itself. */
  url: string | undefined;
  headers: Record<string, string> | undefined;
  intervalMs: number;
  /** Reader deadline for one collect + export. */
  exportTimeoutMs: number;
  /** Where exports are posted, as the OTLP exporter resolves it (named in messages and on the handle). */
  destination: string;
  /** HTTP request deadline; undefined lets the exporter read OTEL_EXPORTER_OTLP_[METRICS_]TIMEOUT. */
  requestTimeoutMs: number | undefined;
  compression: 'none' | 'gzip' | undefined;
  temporality: OtlpTemporality | undefined;
}

export interface ResolvedConfig {
  exporters: ExporterName[];
  prometheus: ResolvedPrometheus | undefined;
  otlp: ResolvedOtlp | undefined;
}

const EXPORTER_NAMES: readonly string[] = ['prometheus', 'otlp', 'none'];
const PROTOCOLS: readonly string[] = ['http/protobuf', 'http/json'];
const TEMPORALITIES: readonly string[] = ['cumulative', 'delta', 'lowmemory'];

/** OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, validated; undefined when unset. */
export function otlpTemporalityFromEnv(env: EnvSource): OtlpTemporality | undefined {
  const name = 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE';
  const raw = read(env, name);
  return raw === undefined ? undefined : oneOf<OtlpTemporality>(name, raw, TEMPORALITIES);
}

/** The spec treats an empty value as unset. */
function read(env: EnvSource, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function parseInteger(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) {
    throw new TelemetryConfigError(name, `expected an integer, got ${JSON.stringify(raw)}`);
  }
  const value = Number(raw);
  if (value < min || value > max) {
    throw new TelemetryConfigError(name, `expected an integer from ${min} to ${max}, got ${raw}`);
  }
  return value;
}

function checkNumber(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TelemetryConfigError(name, `expected an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

const HOSTNAME_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** A bind address: an IPv4 or IPv6 address (no brackets, no port) or a DNS host name. */
function checkHost(name: string, raw: string): string {
  if (isIP(raw) !== 0) return raw;
  const labels = raw.endsWith('.') ? raw.slice(0, -1).split('.') : raw.split('.');
  if (raw.length <= 253 && labels.every((label) => HOSTNAME_LABEL.test(label))) return raw;
  const hint = /^\[.*\]$/.test(raw)
    ? ' (write an IPv6 address without brackets)'
    : /:\d+$/.test(raw)
      ? ' (the port is a separate setting)'
      : '';
  throw new TelemetryConfigError(name, `expected an IP address or a host name, got ${JSON.stringify(raw)}${hint}`);
}

function checkUrl(name: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TelemetryConfigError(name, `expected an http(s) URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TelemetryConfigError(name, `expected an http(s) URL, got ${JSON.stringify(raw)}`);
  }
  return url;
}

/**
 * A full metrics URL is posted to as is, so one without a path posts to `/`, which no
 * OTLP receiver serves: every export would fail.
 */
function checkMetricsUrl(name: string, raw: string): string {
  if (checkUrl(name, raw).pathname === '/') {
    throw new TelemetryConfigError(
      name,
      `${JSON.stringify(raw)} has no path, so exports would be posted to "/"; OTLP/HTTP receivers take metrics at /v1/metrics ` +
        `(use ${JSON.stringify(`${raw.replace(/\/+$/, '')}/v1/metrics`)}, or set OTEL_EXPORTER_OTLP_ENDPOINT to the base URL: /v1/metrics is appended to it)`,
    );
  }
  return raw;
}

/** `key=value` pairs separated by commas, percent-encoded (what the OTLP exporter parses; it skips bad entries silently). */
function checkHeaderList(name: string, raw: string): void {
  for (const entry of raw.split(',')) {
    if (entry.trim() === '') continue;
    const separator = entry.indexOf('=');
    const key = entry.slice(0, Math.max(separator, 0)).trim();
    const value = entry.slice(separator + 1).trim();
    let decodes = true;
    try {
      decodeURIComponent(key);
      decodeURIComponent(value);
    } catch {
      decodes = false;
    }
    if (separator <= 0 || key === '' || value === '' || !decodes) {
      const shown = JSON.stringify(entry.length > 40 ? `${entry.slice(0, 40)}…` : entry);
      throw new TelemetryConfigError(name, `expected comma-separated key=value pairs (percent-encoded), got the entry ${shown}`);
    }
  }
}

const LOG_LEVELS: readonly string[] = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'];

/** OTEL_LOG_LEVEL, checked: undefined when unset. */
export function parseLogLevel(env: EnvSource): string | undefined {
  const raw = read(env, 'OTEL_LOG_LEVEL');
  return raw === undefined ? undefined : oneOf('OTEL_LOG_LEVEL', raw, LOG_LEVELS);
}

function oneOf<T extends string>(name: string, raw: string, allowed: readonly string[]): T {
  const value = raw.toLowerCase();
  if (!allowed.includes(value)) {
    throw new TelemetryConfigError(name, `unknown value ${JSON.stringify(raw)}; expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/**
 * OTEL_METRICS_EXPORTER: a comma list of `prometheus`, `otlp`, `none`. Unset means `otlp`
 * (the OTel spec default, as in sdk-node); `none` alone means no reader. Unlike sdk-node,
 * an unknown name (console, grpc typo, ...) is an error rather than a warning.
 */
export function parseExporterList(env: EnvSource): ExporterName[] {
  const name = 'OTEL_METRICS_EXPORTER';
  const raw = read(env, name);
  if (raw === undefined) return ['otlp'];
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => oneOf<ExporterName | 'none'>(name, entry, EXPORTER_NAMES));
  if (entries.includes('none')) {
    if (entries.length > 1) throw new TelemetryConfigError(name, `"none" cannot be combined with other exporters`);
    return [];
  }
  return [...new Set(entries as ExporterName[])];
}

function resolvePrometheus(options: PrometheusOptions, env: EnvSource): ResolvedPrometheus {
  const rawPort = read(env, 'OTEL_EXPORTER_PROMETHEUS_PORT');
  const port =
    options.port !== undefined
      ? checkNumber('prometheus.port', options.port, 0, 65535)
      : rawPort !== undefined
        ? parseInteger('OTEL_EXPORTER_PROMETHEUS_PORT', rawPort, 0, 65535)
        : DEFAULT_PROMETHEUS_PORT;
  const path = options.path ?? DEFAULT_PROMETHEUS_PATH;
  if (!path.startsWith('/')) throw new TelemetryConfigError('prometheus.path', `must start with "/", got ${JSON.stringify(path)}`);
  if (options.bearerToken !== undefined && options.bearerToken === '') {
    throw new TelemetryConfigError('prometheus.bearerToken', 'must not be empty');
  }
  const rawHost = read(env, 'OTEL_EXPORTER_PROMETHEUS_HOST');
  const host =
    options.host !== undefined
      ? checkHost('prometheus.host', options.host)
      : rawHost !== undefined
        ? checkHost('OTEL_EXPORTER_PROMETHEUS_HOST', rawHost)
        : undefined;
  return {
    host,
    port,
    path,
    server: options.server ?? true,
    withoutScopeInfo: options.withoutScopeInfo ?? false,
    withoutTargetInfo: options.withoutTargetInfo ?? false,
    bearerToken: options.bearerToken,
    scrapeTimeoutMs: checkNumber('prometheus.scrapeTimeoutMs', options.scrapeTimeoutMs ?? DEFAULT_SCRAPE_TIMEOUT_MS, 1, MAX_TIMER_MS),
    scrapeCacheMs: checkNumber('prometheus.scrapeCacheMs', options.scrapeCacheMs ?? DEFAULT_SCRAPE_CACHE_MS, 0, MAX_TIMER_MS),
    maxConcurrentScrapes: checkNumber(
      'prometheus.maxConcurrentScrapes',
      options.maxConcurrentScrapes ?? DEFAULT_MAX_CONCURRENT_SCRAPES,
      1,
      MAX_CONCURRENT_SCRAPES_LIMIT,
    ),
  };
}

function resolveOtlp(options: OtlpOptions, env: EnvSource): ResolvedOtlp {
  const protocolVar = read(env, 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL') !== undefined
    ? 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const rawProtocol = read(env, protocolVar);
  const protocol =
    options.protocol !== undefined
      ? oneOf<OtlpProtocol>('otlp.protocol', options.protocol, PROTOCOLS)
      : rawProtocol !== undefined
        ? oneOf<OtlpProtocol>(protocolVar, rawProtocol, PROTOCOLS)
        : 'http/protobuf';

  const rawInterval = read(env, 'OTEL_METRIC_EXPORT_INTERVAL');
  const intervalMs = millisOption('otlp.intervalMs', options.intervalMs, 'OTEL_METRIC_EXPORT_INTERVAL', rawInterval) ?? DEFAULT_EXPORT_INTERVAL_MS;

  const rawTimeout = read(env, 'OTEL_METRIC_EXPORT_TIMEOUT');
  const explicitTimeout = millisOption('otlp.timeoutMs', options.timeoutMs, 'OTEL_METRIC_EXPORT_TIMEOUT', rawTimeout);
  // The reader requires timeout <= interval; clamp as sdk-node does rather than throw.
  const exportTimeoutMs = Math.min(explicitTimeout ?? DEFAULT_EXPORT_TIMEOUT_MS, intervalMs);

  // Endpoint, headers, request timeout and compression are read by the OTLP exporter
  // itself when not given in code (it warns through diag and falls back on bad values);
  // validate them here so a typo fails at startup.
  const specificEndpoint = read(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT');
  if (specificEndpoint !== undefined) checkMetricsUrl('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', specificEndpoint);
  const genericEndpoint = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (genericEndpoint !== undefined) checkUrl('OTEL_EXPORTER_OTLP_ENDPOINT', genericEndpoint);
  for (const name of ['OTEL_EXPORTER_OTLP_METRICS_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT']) {
    const raw = read(env, name);
    if (raw !== undefined) parseInteger(name, raw, 1, MAX_TIMER_MS);
  }
  for (const name of ['OTEL_EXPORTER_OTLP_METRICS_HEADERS', 'OTEL_EXPORTER_OTLP_HEADERS']) {
    const raw = read(env, name);
    if (raw !== undefined) checkHeaderList(name, raw);
  }
  for (const name of ['OTEL_EXPORTER_OTLP_METRICS_COMPRESSION', 'OTEL_EXPORTER_OTLP_COMPRESSION']) {
    const raw = read(env, name);
    if (raw !== undefined) oneOf(name, raw, ['none', 'gzip']);
  }
  otlpTemporalityFromEnv(env);

  const url = options.url !== undefined ? checkMetricsUrl('otlp.url', options.url) : undefined;
  return {
    protocol,
    url,
    destination: url ?? specificEndpoint ?? (genericEndpoint !== undefined ? `${genericEndpoint.replace(/\/$/, '')}/v1/metrics` : DEFAULT_OTLP_URL),
    headers: options.headers,
    intervalMs,
    exportTimeoutMs,
    requestTimeoutMs: options.timeoutMs !== undefined ? exportTimeoutMs : undefined,
    compression: options.compression !== undefined ? oneOf<'none' | 'gzip'>('otlp.compression', options.compression, ['none', 'gzip']) : undefined,
    temporality: options.temporality !== undefined ? oneOf<OtlpTemporality>('otlp.temporality', options.temporality, TEMPORALITIES) : undefined,
  };
}

export interface ResolvedCluster {
  workerTimeoutMs: number;
}

/** The `cluster` option, checked: undefined when cluster mode is off. */
export function resolveCluster(option: ClusterOptions | boolean | undefined): ResolvedCluster | undefined {
  const options = asOptions(option);
  if (options === undefined) return undefined;
  return { workerTimeoutMs: checkNumber('cluster.workerTimeoutMs', options.workerTimeoutMs ?? DEFAULT_CLUSTER_WORKER_TIMEOUT_MS, 1, MAX_TIMER_MS) };
}

function asOptions<T extends object>(value: T | boolean | undefined): T | undefined {
  if (value === undefined || value === false) return undefined;
  return value === true ? ({} as T) : value;
}

/**
 * Resolves startTelemetry options against an environment, without side effects.
 * Code options win over environment variables; environment variables win over defaults.
 * When neither `prometheus` nor `otlp` is given in code, OTEL_METRICS_EXPORTER picks the
 * readers. OTEL_SDK_DISABLED=true yields no readers. Throws TelemetryConfigError naming
 * the variable for any value it cannot use.
 */
export function resolveConfig(options: TelemetryOptions = {}, env: EnvSource = {}): ResolvedConfig {
  const disabled = read(env, 'OTEL_SDK_DISABLED');
  if (disabled !== undefined && oneOf('OTEL_SDK_DISABLED', disabled, ['true', 'false']) === 'true') {
    return { exporters: [], prometheus: undefined, otlp: undefined };
  }
  const fromCode = options.prometheus !== undefined || options.otlp !== undefined;
  const exporters: ExporterName[] = fromCode
    ? (['prometheus', 'otlp'] as const).filter((name) => asOptions(options[name]) !== undefined)
    : parseExporterList(env);
  const prometheusOptions = fromCode ? asOptions(options.prometheus) : exporters.includes('prometheus') ? {} : undefined;
  const otlpOptions = fromCode ? asOptions(options.otlp) : exporters.includes('otlp') ? {} : undefined;
  return {
    exporters,
    prometheus: prometheusOptions ? resolvePrometheus(prometheusOptions, env) : undefined,
    otlp: otlpOptions ? resolveOtlp(otlpOptions, env) : undefined,
  };
}
