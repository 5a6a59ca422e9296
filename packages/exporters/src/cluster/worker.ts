import { diag } from '@opentelemetry/api';
import { MetricReader, type MetricProducer } from '@opentelemetry/sdk-metrics';
import { reportThroughDiagOrStderr } from '../export-health.js';
import { SnapshotEncoder } from './codec.js';
import { isClusterMessage, type ClusterMessage } from './messages.js';

/** A pull reader nobody scrapes: the worker collects through it when the primary asks. */
export class SnapshotReader extends MetricReader {
  constructor(metricProducers?: MetricProducer[]) {
    super(metricProducers ? { metricProducers } : {});
  }

  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }

  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** How long a worker waits for its first collection before it says that no Ryot primary seems to be asking. */
const NO_PRIMARY_WARNING_MS = 60_000;
/** Upper bound on sending the final snapshot at shutdown. */
const FINAL_SEND_TIMEOUT_MS = 2_000;
const COLLECT_TIMEOUT_MS = 10_000;

export interface ClusterWorkerLink {
  /** Collects once more and sends it to the primary unasked, so an exit loses nothing; then stops answering. */
  stop(): Promise<void>;
}

type Channel = Pick<NodeJS.Process, 'on' | 'off' | 'send' | 'connected'>;

function send(channel: Channel, message: ClusterMessage): Promise<boolean> {
  return new Promise((resolve) => {
    if (!channel.connected || !channel.send) return resolve(false);
    try {
      // With a callback a closed channel is reported to it rather than as an 'error' event on process.
      channel.send(message, undefined, {}, (error: Error | null) => resolve(error === null || error === undefined));
    } catch {
      resolve(false);
    }
  });
}

/**
 * The worker side of cluster mode: says hello to the primary, answers each `collect` with a compact snapshot of
 * everything the reader collects (the SDK's instruments and the Ryot producer), and sends a final snapshot on stop.
 */
export function startClusterWorker(reader: SnapshotReader, instanceId: string, channel: Channel = process): ClusterWorkerLink {
  let stopped = false;
  const encoder = new SnapshotEncoder();
  const silence = setTimeout(() => {
    reportThroughDiagOrStderr(
      'error',
      `@ryot/exporters: cluster worker ${instanceId} has not been asked for its metrics in ${NO_PRIMARY_WARNING_MS / 1000} s, so they reach no /metrics. ` +
        'Call startTelemetry({ cluster: true, prometheus }) in the primary too; under a process manager that owns the primary (PM2 cluster mode), ' +
        'give each worker its own port or push OTLP instead (see "Running at scale" in the README).',
    );
  }, NO_PRIMARY_WARNING_MS);
  silence.unref();

  async function snapshotMessage(id: number, final: boolean): Promise<ClusterMessage> {
    try {
      const { resourceMetrics, errors } = await reader.collect({ timeoutMillis: COLLECT_TIMEOUT_MS });
      for (const error of errors) diag.warn('@ryot/exporters: an observable callback failed during a cluster collection', error);
      const snapshot = encoder.encode(resourceMetrics.scopeMetrics);
      return final ? { ryotCluster: 1, type: 'snapshot', id, snapshot, final: true } : { ryotCluster: 1, type: 'snapshot', id, snapshot };
    } catch (error) {
      diag.warn('@ryot/exporters: a cluster collection failed', error);
      return { ryotCluster: 1, type: 'failed', id, error: error instanceof Error ? error.message : String(error) };
    }
  }

  const hello: ClusterMessage = { ryotCluster: 1, type: 'hello', instanceId };
  const onMessage = (message: unknown): void => {
    if (stopped || !isClusterMessage(message)) return;
    if (message.type === 'announce') void send(channel, hello);
    if (message.type !== 'collect') return;
    clearTimeout(silence);
    if (message.full) encoder.reset();
    void snapshotMessage(message.id, false).then((reply) => send(channel, reply));
  };
  channel.on('message', onMessage);
  void send(channel, hello);

  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(silence);
      channel.off('message', onMessage);
      if (!channel.connected) return;
      const final = await snapshotMessage(Number.MAX_SAFE_INTEGER, true);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        send(channel, final),
        new Promise((resolve) => {
          timer = setTimeout(resolve, FINAL_SEND_TIMEOUT_MS);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
    },
  };
}
