import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectOneLineUsageError, runTsEntry } from '../../../test/helpers/run-entry.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const push = (args: string[], env: Record<string, string> = {}) => runTsEntry(packageDir, 'src/push.ts', args, env);

describe('pnpm example:otlp-push command line', () => {
  it('--help prints the usage and the variables it reads, and exits 0 without pushing', async () => {
    const { code, stdout, stderr } = await push(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: pnpm example:otlp-push\n/);
    for (const variable of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_METRIC_EXPORT_INTERVAL', 'OTEL_SERVICE_NAME', 'RYOT_EXAMPLE_SECONDS']) {
      expect(stdout).toContain(variable);
    }
    expect(stdout).not.toContain('pushing');
    expect(stderr).toBe('');
  });

  it('a flag: one line saying it takes none, exit 2, no stack trace', async () => {
    expect(expectOneLineUsageError(await push(['--seconds', '5']))).toBe(
      "pnpm example:otlp-push: takes no options (environment variables instead), got '--seconds' (see --help)\n",
    );
  });

  it.each([
    ['RYOT_EXAMPLE_SECONDS', 'abc', 'a number'],
    ['RYOT_EXAMPLE_SECONDS', '-5', 'a number'],
    ['OTEL_METRIC_EXPORT_INTERVAL', '5s', 'a whole number'],
    ['OTEL_METRIC_EXPORT_INTERVAL', '0', 'a whole number'],
  ])('%s=%s: one line naming the variable, exit 2, no stack trace', async (variable, value, what) => {
    expect(expectOneLineUsageError(await push([], { [variable]: value }))).toBe(
      `pnpm example:otlp-push: ${variable} must be ${what} above 0, got '${value}' (see --help)\n`,
    );
  });
});
