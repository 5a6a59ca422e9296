/** Runs examples/otlp-push/src/push.ts in a child process with the given environment, until it exits. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../examples/otlp-push/src/push.ts', import.meta.url));
// Maps @ryot/* to their sources so the example runs without a prior build.
const tsconfig = fileURLToPath(new URL('./fixtures/tsconfig.json', import.meta.url));

export interface PushRun {
  /** Kills the child (for afterEach cleanups; harmless once it exited). */
  kill(): void;
  /** Its exit code and everything it wrote. */
  readonly done: Promise<{ code: number | null; output: string }>;
}

export function runPushExample(env: Record<string, string>): PushRun {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    kill: () => void child.kill('SIGKILL'),
    done: new Promise((resolve) => child.once('exit', (code) => resolve({ code, output }))),
  };
}
