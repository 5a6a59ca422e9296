import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('pnpm demo (short run)', () => {
  it('serves load, then prints a per-model summary from the scraped histograms and how to scrape it', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/demo/main.ts', '--duration', '3', '--concurrency', '6', '--seed', '3'], {
      cwd: packageDir,
      env: { ...process.env, OTEL_METRICS_EXPORTER: 'none' },
      timeout: 60_000,
    });
    const rows = stdout.split('\n').filter((line) => /^(llama|mistral|qwen)/.test(line));
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      const success = Number(/s:(\d+)/.exec(row)![1]);
      expect(success).toBeGreaterThan(0);
      // Server TTFT p50 is a number of ms or s, not the "—" shown for an empty histogram.
      expect(row).toMatch(/s:\d+ e:\d+ t:\d+ c:\d+ +[\d.]+m?s \/ [\d.]+m?s \| [\d.]+m?s/);
    }
    expect(stdout).toMatch(/Scrape it: +curl -s http:\/\/127\.0\.0\.1:\d+\/metrics/);
    expect(stdout).toMatch(/pnpm top http:\/\/127\.0\.0\.1:\d+\/metrics/);
  }, 90_000);
});
