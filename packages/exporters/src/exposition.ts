import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { diag } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { CollectionResult, MetricProducer, ResourceMetrics, ScopeMetrics } from '@opentelemetry/sdk-metrics';
import { FastFamilySerializer, fastSerializable } from './fast-serializer.js';

const gzipAsync = promisify(gzip);

export class ScrapeTimeoutError extends Error {
  override readonly name = 'ScrapeTimeoutError';
}

/** One collected and serialized exposition, shared by every scrape it serves. */
export interface Exposition {
  /** The text exposition, UTF-8 encoded once. */
  readonly body: Buffer;
  /** performance.now() when its collection started: the state it shows is at least this old. */
  readonly collectedAt: number;
  /** The body gzip-compressed (off the event loop, on libuv's thread pool), computed once on first use. */
  gzipped(): Promise<Buffer>;
}

/**
 * Replaces the reader's collection: given the local collection and a deadline (performance.now() time) for any
 * waiting it does, returns what is served (cluster mode merges its workers' metrics in here).
 */
export type CollectHook = (collectLocal: () => Promise<CollectionResult>, deadline: number) => Promise<CollectionResult>;

export interface ExpositionSourceOptions {
  withoutScopeInfo: boolean;
  withoutTargetInfo: boolean;
  /** Deadline of one collect-and-serialize. */
  timeoutMs: number;
  /** How long after its collection started a finished exposition may serve new scrapes; 0: never. */
  cacheMs: number;
  /** Extra producers the reader collects beside the SDK (OTel's `metricProducers`). */
  metricProducers?: MetricProducer[];
  collect?: CollectHook;
}

export interface ExpositionSource {
  readonly reader: PrometheusExporter;
  /**
   * Joins the collection in flight, reuses one that started less than cacheMs ago, or starts one. `waitBudgetMs`
   * bounds the waiting a collect hook does in a collection this call starts (default: the whole timeout).
   */
  shared(waitBudgetMs?: number): Promise<Exposition>;
  /** A collection of its own, neither joined nor cached. */
  fresh(): Promise<Exposition>;
  /** Collect-and-serialize runs started so far (shared and fresh). */
  readonly collections: number;
}

/** Rejects with ScrapeTimeoutError once `deadline` (performance.now() time) has passed. */
export function beforeDeadline<T>(promise: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ScrapeTimeoutError(`${what} did not finish within the scrape timeout`)), Math.max(0, deadline - performance.now()));
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A coarse key under which every metric whose Prometheus family name could coincide with
 * another's lands in the same slice: OTel 3.x merges same-named families across scopes
 * within one serialize() call, and a family split across two calls would repeat its TYPE
 * line, which Prometheus rejects.
 */
function familyKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '').replace(/total$/, '');
}

/** The collected metrics cut into per-family slices, target_info's family first. */
function slices(resourceMetrics: ResourceMetrics): ResourceMetrics[] {
  const groups = new Map<string, ScopeMetrics[]>([['targetinfo', []]]);
  for (const scopeMetrics of resourceMetrics.scopeMetrics) {
    for (const metric of scopeMetrics.metrics) {
      const key = familyKey(metric.descriptor.name);
      const group = groups.get(key) ?? [];
      groups.set(key, group);
      const last = group.at(-1);
      if (last?.scope === scopeMetrics.scope) last.metrics.push(metric);
      else group.push({ scope: scopeMetrics.scope, metrics: [metric] });
    }
  }
  const resource = resourceMetrics.resource;
  return [...groups.values()].filter((group) => group.length > 0).map((scopeMetrics) => ({ resource, scopeMetrics }));
}

/**
 * OTel's PrometheusSerializer run one metric family at a time with a turn of the event
 * loop between families, so a large exposition never blocks the loop in one piece
 * (measured: 100 models, 24k samples, 5 MB: one serialize() call blocks ~80 ms; the
 * largest single family ~12 ms). The deadline is checked between families. The
 * concatenation equals one serialize() call's output.
 */
async function serializeInSlices(
  resourceMetrics: ResourceMetrics,
  serializers: { withTargetInfo: PrometheusSerializer; withoutTargetInfo: PrometheusSerializer; fast: FastFamilySerializer; targetInfo: boolean },
  deadline: number,
): Promise<Buffer> {
  const parts = slices(resourceMetrics);
  if (parts.length === 0) return Buffer.from(serializers.withTargetInfo.serialize(resourceMetrics), 'utf8');
  const buffers: Buffer[] = [];
  if (serializers.targetInfo) buffers.push(Buffer.from(serializers.fast.targetInfo(resourceMetrics.resource), 'utf8'));
  for (const [index, part] of parts.entries()) {
    if (index > 0) {
      await nextTurn();
      if (performance.now() > deadline) throw new ScrapeTimeoutError('serialization did not finish within the scrape timeout');
    }
    const [only] = part.scopeMetrics;
    const single = part.scopeMetrics.length === 1 && only!.metrics.length === 1 ? only!.metrics[0]! : undefined;
    const text = single && fastSerializable(single) ? serializers.fast.family(single, only!.scope) : serializers.withoutTargetInfo.serialize(part);
    buffers.push(Buffer.from(text.endsWith('\n') ? text : `${text}\n`, 'utf8'));
  }
  return Buffer.concat(buffers);
}

class ShutdownAwarePrometheusReader extends PrometheusExporter {
  constructor(
    options: { withoutScopeInfo: boolean; withoutTargetInfo: boolean; metricProducers?: MetricProducer[] },
    private readonly onShutdownStarted: () => void,
  ) {
    super({ preventServerStart: true, ...options });
  }

  override onShutdown(): Promise<void> {
    this.onShutdownStarted();
    return super.onShutdown();
  }
}

/**
 * The Prometheus pull reader plus single-flight, briefly cached exposition of its metrics:
 * concurrent scrapes share one collect-and-serialize, and a finished one serves scrapes
 * that arrive within `cacheMs` of its collection's start. A reader shutdown drops the cache.
 */
export function createExpositionSource(options: ExpositionSourceOptions): ExpositionSource {
  let inFlight: Promise<Exposition> | undefined;
  let cached: Exposition | undefined;
  let collections = 0;
  let readerShutDown = false;
  const reader = new ShutdownAwarePrometheusReader(
    {
      withoutScopeInfo: options.withoutScopeInfo,
      withoutTargetInfo: options.withoutTargetInfo,
      ...(options.metricProducers ? { metricProducers: options.metricProducers } : {}),
    },
    () => {
      readerShutDown = true;
      cached = undefined;
    },
  );
  const serializers = {
    withTargetInfo: new PrometheusSerializer(undefined, false, undefined, options.withoutTargetInfo, options.withoutScopeInfo),
    withoutTargetInfo: new PrometheusSerializer(undefined, false, undefined, true, options.withoutScopeInfo),
    fast: new FastFamilySerializer(options.withoutScopeInfo),
    targetInfo: !options.withoutTargetInfo,
  };

  async function produce(waitBudgetMs?: number): Promise<Exposition> {
    collections++;
    const collectedAt = performance.now();
    const deadline = collectedAt + options.timeoutMs;
    const collectLocal = () => reader.collect({ timeoutMillis: options.timeoutMs });
    const collection = options.collect
      ? options.collect(collectLocal, collectedAt + Math.min(options.timeoutMs, waitBudgetMs ?? options.timeoutMs))
      : collectLocal();
    const { resourceMetrics, errors } = await beforeDeadline(collection, deadline, 'collection');
    for (const error of errors) {
      // A failing observable callback loses its own series only; the rest is still served.
      diag.warn('@ryot/exporters: an observable callback failed during a scrape', error);
    }
    const body = await serializeInSlices(resourceMetrics, serializers, deadline);
    let compressed: Promise<Buffer> | undefined;
    return { body, collectedAt, gzipped: () => (compressed ??= gzipAsync(body)) };
  }

  function shared(waitBudgetMs?: number): Promise<Exposition> {
    if (inFlight) return inFlight;
    if (cached && performance.now() - cached.collectedAt < options.cacheMs) return Promise.resolve(cached);
    cached = undefined;
    const run = produce(waitBudgetMs);
    inFlight = run;
    run.then(
      (exposition) => {
        if (options.cacheMs > 0 && !readerShutDown) cached = exposition;
      },
      () => undefined,
    ).finally(() => {
      if (inFlight === run) inFlight = undefined;
    });
    return run;
  }

  return {
    reader,
    shared,
    fresh: () => produce(),
    get collections() {
      return collections;
    },
  };
}
