/**
 * Drives test/cluster/fixtures/cluster-app.ts: a node:cluster primary and its workers, each calling
 * startTelemetry({ cluster: true }), in child processes that the test stops (and that stop with it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../cluster/fixtures/cluster-app.ts', import.meta.url));
/** Maps every @ryot/* import to its source, as the test suite does. */
export const TEST_TSCONFIG = fileURLToPath(new URL('../tsconfig.json', import.meta.url));

export interface ClusterApp {
  /** The primary's /metrics. */
  readonly url: string;
  /** The primary's service.instance.id. */
  readonly instanceId: string;
  /** The cluster worker ids, in fork order. */
  readonly workers: number[];
  /** Sends a command and resolves with the primary's reply (rejects on `ok: false`). */
  command(cmd: string, fields?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Resolves with the next event of this type the primary prints (e.g. `stall-ended`), oldest unclaimed first. */
  event(type: string): Promise<Record<string, unknown>>;
  /** Everything the processes wrote so far. */
  output(): string;
  stop(): Promise<void>;
}

export async function startClusterApp(env: Record<string, string> = {}, readyTimeoutMs = 60_000): Promise<ClusterApp> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, TSX_TSCONFIG_PATH: TEST_TSCONFIG, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const replies = new Map<number, (line: Record<string, unknown>) => void>();
  const events: Record<string, unknown>[] = [];
  const eventWaiters: { type: string; resolve: (line: Record<string, unknown>) => void }[] = [];
  let onReady: ((line: Record<string, unknown>) => void) | undefined;
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (text) => {
    output += `${text}\n`;
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    if (line['event'] === 'ready') onReady?.(line);
    else if (typeof line['id'] === 'number') replies.get(line['id'])?.(line);
    else if (typeof line['event'] === 'string') {
      const waiter = eventWaiters.findIndex((w) => w.type === line['event']);
      if (waiter >= 0) eventWaiters.splice(waiter, 1)[0]!.resolve(line);
      else events.push(line);
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin!.end(); // the primary kills its workers and exits
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };

  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cluster app not ready within ${readyTimeoutMs} ms:\n${output}`)), readyTimeoutMs);
    onReady = (line) => {
      clearTimeout(timer);
      resolve(line);
    };
    void exited.then(() => reject(new Error(`cluster app exited before it was ready:\n${output}`)));
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });

  let nextId = 1;
  return {
    url: ready['url'] as string,
    instanceId: ready['instanceId'] as string,
    workers: ready['workers'] as number[],
    output: () => output,
    stop,
    command(cmd, fields = {}) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        replies.set(id, (line) => (line['ok'] ? resolve(line) : reject(new Error(`${cmd} failed: ${String(line['error'])}\n${output}`))));
        child.stdin!.write(`${JSON.stringify({ id, cmd, ...fields })}\n`);
      });
    },
    event(type) {
      const seen = events.findIndex((line) => line['event'] === type);
      if (seen >= 0) return Promise.resolve(events.splice(seen, 1)[0]!);
      return new Promise((resolve) => eventWaiters.push({ type, resolve }));
    },
  };
}
