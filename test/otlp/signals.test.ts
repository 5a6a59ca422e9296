import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { METRICS } from '@ryot/metrics/instrumentation';
import { OtlpReceiver } from './receiver.js';

const fixture = fileURLToPath(new URL('./fixtures/signal-app.ts', import.meta.url));
const tsconfig = fileURLToPath(new URL('./fixtures/tsconfig.json', import.meta.url));

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('handleSignals', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s flushes the final export and exits 0', async (signal) => {
    const receiver = await new OtlpReceiver().start();
    cleanups.push(() => receiver.stop());
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, receiver.url], {
      env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(async () => void child.kill('SIGKILL'));
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('ready otlp')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`fixture exited early (${code}):\n${output}`)));
    });
    expect(receiver.received).toHaveLength(0); // 60 s interval: nothing pushed yet
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    expect(await exited).toBe(0);
    expect(receiver.lastSum(METRICS.requests.name, { model: 'signal-model', status: 'success' })).toBe(3);
  });
});
