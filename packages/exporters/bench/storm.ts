import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export interface StormResult {
  count: number;
  statuses: Record<string, number>;
  /** Failures other than an HTTP status (connection reset, ...), by message. */
  errors: Record<string, number>;
  wallMs: number;
  p50Ms: number;
  maxMs: number;
  /** Body bytes received as sent (compressed when the server compressed). */
  bytes: number;
}

export interface MeasuredStorm extends StormResult {
  /** This process's event-loop delay while the storm ran, in ms. */
  loopDelayMaxMs: number;
  loopDelayP99Ms: number;
}

const client = fileURLToPath(new URL('./scrape-storm-client.ts', import.meta.url));
const packageRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * Runs `count` concurrent (or, with `sequential`, consecutive) scrapes of `url` from a separate process while this
 * process (the server) measures its own event-loop delay with monitorEventLoopDelay.
 */
export async function stormFromChild(url: string, count: number, token?: string, options: { sequential?: boolean } = {}): Promise<MeasuredStorm> {
  const child = spawn(process.execPath, ['--import', 'tsx', client, url, String(count), ...(token ? [token] : [])], {
    cwd: packageRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...(options.sequential ? { SCRAPES_SEQUENTIAL: '1' } : {}) },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // Measure only once the child has started (tsx compiles it first).
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  loop.disable();
  if (code !== 0) throw new Error(`scrape-storm client exited ${code}: ${stderr}`);
  const result = JSON.parse(stdout) as StormResult;
  return { ...result, loopDelayMaxMs: loop.max / 1e6, loopDelayP99Ms: loop.percentile(99) / 1e6 };
}
