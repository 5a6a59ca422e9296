import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const demoArgs = ['--import', 'tsx', 'src/demo/main.ts', '--duration', '3', '--concurrency', '6', '--seed', '3'];

describe('pnpm demo (short run)', () => {
  it('serves load, then prints a per-model summary from the scraped histograms and how to scrape it', async () => {
    const { stdout } = await run(process.execPath, demoArgs, {
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
      // Goodput from the server's counters (a percentage: every model has targets) and the clients' view, the
      // preemptions, and the spend from the price table (every model has prices and served requests).
      expect(row).toMatch(/ \d+% \| (\d+%|—) +\d+ +\$\d+\.\d+ *$/);
      expect(Number(/\$(\d+\.\d+) *$/.exec(row)![1])).toBeGreaterThan(0);
    }
    // The spend by tenant: every line a label (a 16-digit digest, with the demo's name for it, or other).
    const tenantLines = stdout.slice(stdout.indexOf('Spend by tenant')).split('\n').slice(1).filter((line) => /requests/.test(line));
    expect(tenantLines.length).toBeGreaterThan(0);
    for (const line of tenantLines) expect(line).toMatch(/^ {2}(other|[a-z]+ \([0-9a-f]{16}\)) +\d+ requests +\$\d+\.\d+$/);
    expect(stdout).toMatch(/Scrape it: +curl -s http:\/\/127\.0\.0\.1:\d+\/metrics/);
    expect(stdout).toMatch(/pnpm top http:\/\/127\.0\.0\.1:\d+\/metrics/);
    expect(stdout).toMatch(/In a browser: +pnpm top --web http:\/\/127\.0\.0\.1:\d+\/metrics/);
  }, 90_000);

  it('with --keep-running serves the web view of its own /metrics, prints its URL beside the pnpm top hint, and stops on SIGINT', async () => {
    const child = spawn(process.execPath, [...demoArgs, '--keep-running'], { cwd: packageDir, env: { ...process.env, OTEL_METRICS_EXPORTER: 'none' } });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 60_000;
      while (!stdout.includes('Still serving')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the demo did not reach "Still serving":\n${stdout}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const web = /In a browser: +(http:\/\/127\.0\.0\.1:\d+\/) /.exec(stdout)?.[1];
      expect(web, stdout).toBeDefined();
      // The same URL is printed at the start, so the load can be watched live.
      expect(stdout).toContain(`live charts in a browser: ${web}`);
      const server = /on (http:\/\/127\.0\.0\.1:\d+) serving/.exec(stdout)![1];
      const state = (await (await fetch(`${web}api/state?since=0`)).json()) as { target: string; status: { state: string }; points: { models: { model: string }[] }[] };
      expect(state.target).toBe(`${server}/metrics`);
      expect(state.status.state).toBe('ok');
      expect(state.points.at(-1)!.models.map((m) => m.model)).toEqual(expect.arrayContaining(['llama-3.1-8b-instruct', 'mistral-7b-instruct', 'qwen2.5-32b-instruct']));
      child.kill('SIGINT');
      expect(await exit).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});
