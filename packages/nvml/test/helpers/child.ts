import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_DIR } from './build.js';

export const REPO_ROOT = join(PACKAGE_DIR, '..', '..');

export interface ChildResult<T> {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  json: T;
}

/** Runs a TS file in a fresh node process (tsx), returns its last JSON line. */
export function runChild<T>(file: string, env: Record<string, string | undefined>, timeoutMs = 20_000): ChildResult<T> {
  const result = spawnSync(process.execPath, ['--import', 'tsx', file], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  const lines = result.stdout.trim().split('\n').filter(Boolean);
  const last = lines[lines.length - 1];
  if (result.status !== 0 || last === undefined) {
    throw new Error(`child ${file} exited with ${result.status ?? result.signal}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
  return { status: result.status, signal: result.signal, stderr: result.stderr, json: JSON.parse(last) as T };
}

export const CHILD_SCRIPT = join(PACKAGE_DIR, 'test', 'fixtures', 'child.ts');
