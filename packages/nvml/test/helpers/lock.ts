/**
 * One builder at a time across test processes (vitest forks, parallel worktrees): a lock
 * directory created with mkdir, which is atomic. Synchronous, for beforeAll hooks.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Returns `done()` when it is already there; otherwise takes `lockDir`, checks again, runs
 * `build()` and returns `done()`. A lock older than `timeoutMs` belongs to a builder that died.
 */
export function buildOnce<T>(lockDir: string, done: () => T | undefined, build: () => void, timeoutMs = 300_000): T {
  const ready = done();
  if (ready !== undefined) return ready;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      const built = done();
      if (built !== undefined) return built;
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > timeoutMs) rmSync(lockDir, { recursive: true, force: true });
      } catch {
        // the holder just released it
      }
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lockDir}`);
      sleepSync(250);
    }
  }
  try {
    if (done() === undefined) build();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
  const result = done();
  if (result === undefined) throw new Error(`${lockDir}: the build finished but produced nothing`);
  return result;
}
