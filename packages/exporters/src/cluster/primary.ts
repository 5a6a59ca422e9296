import type { Cluster, Worker } from 'node:cluster';
import { diag, type MeterProvider } from '@opentelemetry/api';
import type { ScopeMetrics } from '@opentelemetry/sdk-metrics';
import { EXPORTERS_METER_NAME, createInstruments } from '@ryot/metrics/instrumentation';
import { reportThroughDiagOrStderr } from '../export-health.js';
import { EXPORTERS_VERSION } from '../version.js';
import { SnapshotDecoder, SnapshotTableError } from './codec.js';
import { AttributeInterner, isMonotonic, mergeRuleOf, mergeSources, type MergeSource } from './merge.js';
import { isClusterMessage, type ClusterMessage } from './messages.js';

/** What happened to each worker at the last collection (the `state` label of `ryot_cluster_workers`). */
export const WORKER_STATES = ['answered', 'timed_out', 'failed', 'starting'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];
export type WorkerCounts = Readonly<Record<WorkerState, number>>;

/** A worker that has not said hello this long after it was forked is reported once: its metrics reach nobody. */
const NOT_READY_WARNING_MS = 30_000;

export interface ClusterPrimaryOptions {
  /** The primary's own `service.instance.id`: the label of its own series under the `per_worker` rule. */
  readonly instanceId: string;
  /** Longest wait for the workers' answers at one collection. */
  readonly workerTimeoutMs: number;
  /** Where the cluster self-metrics are recorded. */
  readonly meterProvider: MeterProvider;
}

interface WorkerEntry {
  readonly worker: Worker;
  readonly forkedAt: number;
  /** Set by its hello: from then on it is asked at every collection. */
  instanceId: string | undefined;
  /** Its latest answer, and the collection it answered. */
  latest: ScopeMetrics[] | undefined;
  latestId: number;
  /** Its attribute table, built up from its snapshots; `needsFullTable` once a snapshot did not fit it. */
  readonly decoder: SnapshotDecoder;
  needsFullTable: boolean;
  /** The collection in progress waiting on it. */
  waiting: { id: number; settle: (state: WorkerState) => void } | undefined;
  retired: boolean;
  warned: boolean;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * The primary side of cluster mode. At each collection it asks every ready worker for a snapshot and waits at most
 * `workerTimeoutMs`; a worker that answers late, fails or is gone is represented by its previous answer, so its
 * counters never drop out of the sum. When a worker exits, the monotonic part of its last answer (counters and
 * histograms) is folded into a retired total that stays in every later merge: a merged counter only goes back when
 * the primary itself restarts, which Prometheus sees as the ordinary counter reset of one target.
 */
export class ClusterPrimary {
  private readonly workers = new Map<number, WorkerEntry>();
  private readonly interner = new AttributeInterner();
  private retired: ScopeMetrics[] = [];
  private collections = 0;
  private counts: WorkerCounts = { answered: 0, timed_out: 0, failed: 0, starting: 0 };
  private readonly exits;
  private readonly detach: () => void;

  constructor(
    clusterApi: Cluster,
    private readonly options: ClusterPrimaryOptions,
  ) {
    const meter = options.meterProvider.getMeter(EXPORTERS_METER_NAME, EXPORTERS_VERSION);
    const instruments = createInstruments(meter, ['clusterWorkers', 'clusterWorkerExits']);
    this.exits = instruments.clusterWorkerExits;
    instruments.clusterWorkers.addCallback((result) => {
      for (const state of WORKER_STATES) result.observe(this.counts[state], { state });
    });

    const onFork = (worker: Worker) => this.track(worker);
    const onMessage = (worker: Worker, message: unknown) => {
      if (isClusterMessage(message)) this.receive(worker, message);
    };
    const onExit = (worker: Worker) => {
      if (!worker.isConnected()) this.retire(worker.id);
      // A channel that outlives its process is not waited for (its last messages are lost either way).
      else void delay(1000).then(() => this.retire(worker.id));
    };
    const onDisconnect = (worker: Worker) => {
      if (worker.isDead()) this.retire(worker.id);
    };
    clusterApi.on('fork', onFork);
    clusterApi.on('message', onMessage);
    clusterApi.on('exit', onExit);
    clusterApi.on('disconnect', onDisconnect);
    // Workers forked before this primary's telemetry started may have said hello to nobody: ask them again.
    for (const worker of Object.values(clusterApi.workers ?? {})) {
      if (!worker) continue;
      this.track(worker);
      if (!worker.isConnected()) continue;
      try {
        worker.send({ ryotCluster: 1, type: 'announce' } satisfies ClusterMessage, undefined, () => undefined);
      } catch {
        // its channel just closed: it is on its way out
      }
    }
    this.detach = () => {
      clusterApi.off('fork', onFork);
      clusterApi.off('message', onMessage);
      clusterApi.off('exit', onExit);
      clusterApi.off('disconnect', onDisconnect);
    };
  }

  /** The outcome of the last collection per state. */
  get lastCollection(): WorkerCounts {
    return this.counts;
  }

  /**
   * Asks every ready worker for its metrics and waits for the answers, at most `workerTimeoutMs` and never past
   * `deadline` (performance.now() time). Resolves once every worker answered or the wait is over; never rejects.
   */
  async gather(deadline: number): Promise<void> {
    const id = ++this.collections;
    const now = performance.now();
    const counts: Record<WorkerState, number> = { answered: 0, timed_out: 0, failed: 0, starting: 0 };
    const asked: Promise<WorkerState>[] = [];
    for (const entry of this.workers.values()) {
      if (entry.instanceId === undefined) {
        counts.starting++;
        this.warnIfNeverReady(entry, now);
        continue;
      }
      asked.push(this.ask(entry, id));
    }
    if (asked.length > 0) {
      const wait = Math.max(0, Math.min(this.options.workerTimeoutMs, deadline - now));
      const answers = Promise.all(asked);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([answers, new Promise<void>((resolve) => (timer = setTimeout(resolve, wait)))]);
      clearTimeout(timer);
      for (const entry of this.workers.values()) if (entry.waiting?.id === id) entry.waiting.settle('timed_out');
      for (const state of await answers) counts[state]++;
    }
    this.counts = counts;
  }

  /** The primary's own metrics merged with every worker's latest answer and the retired workers' totals. */
  merge(local: readonly ScopeMetrics[]): ScopeMetrics[] {
    const sources: MergeSource[] = [{ instanceId: this.options.instanceId, scopeMetrics: local }];
    if (this.retired.length > 0) sources.push({ instanceId: this.options.instanceId, scopeMetrics: this.retired });
    for (const entry of this.workers.values()) {
      if (entry.latest !== undefined && entry.instanceId !== undefined) sources.push({ instanceId: entry.instanceId, scopeMetrics: entry.latest });
    }
    return mergeSources(sources, { interner: this.interner });
  }

  stop(): void {
    this.detach();
    for (const entry of this.workers.values()) entry.waiting?.settle('timed_out');
  }

  private track(worker: Worker): void {
    if (this.workers.has(worker.id)) return;
    this.workers.set(worker.id, {
      worker,
      forkedAt: performance.now(),
      instanceId: undefined,
      latest: undefined,
      latestId: 0,
      decoder: new SnapshotDecoder(),
      needsFullTable: false,
      waiting: undefined,
      retired: false,
      warned: false,
    });
  }

  private ask(entry: WorkerEntry, id: number): Promise<WorkerState> {
    return new Promise((resolve) => {
      const settle = (state: WorkerState) => {
        if (entry.waiting?.id === id) entry.waiting = undefined;
        resolve(state);
      };
      entry.waiting = { id, settle };
      if (!entry.worker.isConnected()) return settle('timed_out');
      try {
        const message: ClusterMessage = entry.needsFullTable ? { ryotCluster: 1, type: 'collect', id, full: true } : { ryotCluster: 1, type: 'collect', id };
        entry.worker.send(message, undefined, (error: Error | null) => {
          if (error) settle('timed_out');
        });
      } catch {
        settle('timed_out');
      }
    });
  }

  private receive(worker: Worker, message: ClusterMessage): void {
    this.track(worker);
    const entry = this.workers.get(worker.id)!;
    if (message.type === 'hello') {
      entry.instanceId = message.instanceId;
      return;
    }
    if (message.type === 'failed') {
      if (entry.waiting?.id === message.id) entry.waiting.settle('failed');
      return;
    }
    if (message.type !== 'snapshot') return;
    let decoded: ScopeMetrics[];
    try {
      decoded = entry.decoder.decode(message.snapshot);
      if (message.snapshot.t === 0) entry.needsFullTable = false;
    } catch (error) {
      // The next collection asks for the whole table; until then the previous answer stands.
      if (error instanceof SnapshotTableError) entry.needsFullTable = true;
      else diag.warn(`@ryot/exporters: cluster worker ${entry.instanceId ?? worker.id} sent a snapshot that could not be read`, error);
      if (entry.waiting?.id === message.id) entry.waiting.settle('failed');
      return;
    }
    // A late answer still replaces an older one: the counts it carries are at least as high.
    if (message.id >= entry.latestId) {
      entry.latest = decoded;
      entry.latestId = message.id;
    }
    if (entry.waiting?.id === message.id) entry.waiting.settle('answered');
  }

  private warnIfNeverReady(entry: WorkerEntry, now: number): void {
    if (entry.warned || now - entry.forkedAt < NOT_READY_WARNING_MS || !entry.worker.isConnected()) return;
    entry.warned = true;
    reportThroughDiagOrStderr(
      'error',
      `@ryot/exporters: cluster worker ${entry.worker.id} (pid ${entry.worker.process.pid}) has not started Ryot telemetry ` +
        `${Math.round((now - entry.forkedAt) / 1000)} s after it was forked; its metrics are not in /metrics. Call startTelemetry({ cluster: true, ... }) in every worker.`,
    );
  }

  /** Folds an exited worker's counters and histograms into the retired totals and forgets the worker. */
  private retire(workerId: number): void {
    const entry = this.workers.get(workerId);
    if (!entry || entry.retired) return;
    entry.retired = true;
    entry.waiting?.settle('timed_out');
    this.workers.delete(workerId);
    this.exits.add(1);
    if (entry.latest === undefined || entry.instanceId === undefined) return;
    const monotonic = entry.latest
      .map(({ scope, metrics }) => ({ scope, metrics: metrics.filter((metric) => isMonotonic(metric) && mergeRuleOf(metric) === 'sum') }))
      .filter(({ metrics }) => metrics.length > 0);
    this.retired = mergeSources([
      { instanceId: this.options.instanceId, scopeMetrics: this.retired },
      { instanceId: entry.instanceId, scopeMetrics: monotonic },
    ]);
  }
}
