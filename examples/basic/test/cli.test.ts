import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectOneLineUsageError, runTsEntry } from '../../../test/helpers/run-entry.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('pnpm demo:basic command line', () => {
  it.each(['--help', '-h'])('%s prints the usage and exits 0 without running the demo', async (flag) => {
    const { code, stdout, stderr } = await runTsEntry(packageDir, 'src/demo.ts', [flag]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: pnpm demo:basic\n/);
    expect(stdout).toContain('No options.');
    // The demo itself would print the exposition.
    expect(stdout).not.toContain('ryot_inference_requests_total');
    expect(stderr).toBe('');
  });

  it.each(['--port', 'extra'])('%s: one line naming it, exit 2, no stack trace', async (arg) => {
    const stderr = expectOneLineUsageError(await runTsEntry(packageDir, 'src/demo.ts', [arg, '9464']));
    expect(stderr).toBe(`pnpm demo:basic: takes no options, got '${arg}' (see pnpm demo:basic --help)\n`);
  });
});
