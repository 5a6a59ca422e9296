import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectOneLineUsageError, runTsEntry } from '../../../test/helpers/run-entry.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const demoArgs = ['--import', 'tsx', 'src/demo/main.ts', '--duration', '3', '--concurrency', '6', '--seed', '3'];

/** Runs a TS entry point of this package; resolves with its exit code and output whatever the code. */
const runEntry = (file: string, args: string[], env: Record<string, string> = {}) => runTsEntry(packageDir, file, args, env);

const DURATION = String.raw`(?:\d+µs|\d+(?:\.\d+)?ms|\d+\.\d+s|-)`;

describe('pnpm demo (short run)', () => {
  it('serves load, then prints a per-model summary from the scraped histograms, a legend, and how to scrape it', async () => {
    const { code, stdout } = await runEntry('src/demo/main.ts', demoArgs.slice(3));
    expect(code).toBe(0);
    const rows = stdout.split('\n').filter((line) => /^(llama|mistral|qwen)/.test(line));
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      const success = Number(/s:(\d+)/.exec(row)![1]);
      expect(success).toBeGreaterThan(0);
      // Server TTFT p50 / p95 | client p50 / p95, each a duration (the server's never '-' after successes).
      expect(row).toMatch(new RegExp(String.raw`s:\d+ e:\d+ t:\d+ c:\d+ +(?!-)${DURATION} / ${DURATION} \| ${DURATION} / ${DURATION}`));
      // Goodput from the server's counters (a percentage: every model has targets) and the clients' view, the
      // preemptions, and the spend from the price table (every model has prices and served requests).
      expect(row).toMatch(/ <?\d+% \| (<?\d+%|-) +\d+ +\$[\d.]+ *$/);
      expect(Number(/\$([\d.]+) *$/.exec(row)![1])).toBeGreaterThan(0);
    }
    // Durations never spell a whole second in milliseconds.
    expect(stdout).not.toMatch(/\b1000ms\b/);
    expect(stdout).toMatch(/^requests s\/e\/t\/c +requests by outcome: success \/ error \/ timeout \/ cancelled/m);
    expect(stdout).toMatch(/^tok\/s +tokens generated per second of the run/m);
    expect(stdout).toMatch(/^goodput +requests that met every SLO target/m);
    // The spend by tenant: every line a label (a 16-digit digest, with the demo's name for it, or other).
    const tenantLines = stdout.slice(stdout.indexOf('Spend by tenant')).split('\n').slice(1).filter((line) => /requests/.test(line));
    expect(tenantLines.length).toBeGreaterThan(0);
    for (const line of tenantLines) expect(line).toMatch(/^ {2}(other|[a-z]+ \([0-9a-f]{16}\)) +\d+ requests +\$[\d.]+$/);
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

  it('--help prints the options and exits 0', async () => {
    const { code, stdout } = await runEntry('src/demo/main.ts', ['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: pnpm demo \[options\]/);
    for (const flag of ['--duration', '--concurrency', '--port', '--seed', '--keep-running']) expect(stdout).toContain(flag);
  });

  it('a bad flag or value: one line on stderr naming the flag, exit 2', async () => {
    expect(await runEntry('src/demo/main.ts', ['--verbose'])).toMatchObject({ code: 2, stdout: '', stderr: "pnpm demo: unknown option '--verbose' (see pnpm demo --help)\n" });
    expect(await runEntry('src/demo/main.ts', ['--port', '70000'])).toMatchObject({
      code: 2,
      stderr: "pnpm demo: --port must be a whole number from 0 to 65535, got '70000' (see pnpm demo --help)\n",
    });
    expect((await runEntry('src/demo/main.ts', ['--duration', '0'])).stderr).toBe("pnpm demo: --duration must be a number of seconds above 0, got '0' (see pnpm demo --help)\n");
  });

  it('a busy --port: one line naming the flag to change, exit 1 (the demo and the server alike)', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const demo = await runEntry('src/demo/main.ts', ['--port', String(port)]);
      expect(demo).toMatchObject({ code: 1, stdout: '', stderr: `pnpm demo: port ${port} is already in use; pick another with --port (0 picks a free one)\n` });
      const server = await runEntry('src/main.ts', [], { PORT: String(port), HOST: '127.0.0.1' });
      expect(server).toMatchObject({ code: 1, stderr: `example server: port ${port} is already in use; pick another with PORT=<n> (0 picks a free one)\n` });
    } finally {
      blocker.close();
    }
  });
});

describe('the example server command line (src/main.ts)', () => {
  it('--help prints every variable it reads and exits 0 without listening', async () => {
    const { code, stdout, stderr } = await runEntry('src/main.ts', ['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: pnpm --filter @ryot\/example-inference-server start\n/);
    for (const variable of ['PORT', 'HOST', 'RYOT_EXAMPLE_FAULTS', 'RYOT_EXAMPLE_STEP_SCALE', 'WORKERS', 'METRICS_PORT', 'OTEL_METRICS_EXPORTER']) {
      expect(stdout).toContain(`  ${variable} `);
    }
    expect(stdout).not.toContain('ryot example inference server on');
    expect(stderr).toBe('');
  });

  it.each([
    ['PORT', 'http', '0 to 65535'],
    ['PORT', '70000', '0 to 65535'],
    ['WORKERS', '-1', '0 to 1024'],
    ['WORKERS', 'two', '0 to 1024'],
    ['METRICS_PORT', '99999', '0 to 65535'],
    ['METRICS_PORT', '9464.5', '0 to 65535'],
  ])('%s=%s: one line naming the variable, exit 2, no stack trace', async (variable, value, range) => {
    const result = await runEntry('src/main.ts', [], { [variable]: value, HOST: '127.0.0.1' });
    expect(expectOneLineUsageError(result)).toBe(`example server: ${variable} must be a whole number from ${range}, got '${value}' (see --help)\n`);
  });

  it('an unknown flag: one line naming it, exit 2', async () => {
    expect(expectOneLineUsageError(await runEntry('src/main.ts', ['--port', '8000']))).toBe("example server: unknown option '--port' (see --help)\n");
  });
});
