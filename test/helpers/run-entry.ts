/**
 * Runs a TypeScript entry point (a demo, an example server, a CLI) as a child process through tsx, as a user's
 * `pnpm` script would: resolves with its exit code and output whatever the code, never throws for a non-zero exit.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'vitest';

const run = promisify(execFile);

export interface EntryResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node --import tsx <file> <args>` in `cwd`, with OTEL_METRICS_EXPORTER=none unless `env` says otherwise. */
export async function runTsEntry(cwd: string, file: string, args: string[] = [], env: Record<string, string> = {}): Promise<EntryResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', file, ...args], {
      cwd,
      env: { ...process.env, OTEL_METRICS_EXPORTER: 'none', ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A usage error as the examples report it: exit 2, nothing on stdout, one line on stderr, no stack trace. */
export function expectOneLineUsageError(result: EntryResult): string {
  const shown = JSON.stringify(result, null, 2);
  expect(result.code, shown).toBe(2);
  expect(result.stdout, shown).toBe('');
  expect(result.stderr, shown).toMatch(/^[^\n]+\n$/);
  expect(result.stderr, shown).not.toMatch(/\bat .+:\d+|Error\b|ERR_/);
  return result.stderr;
}
