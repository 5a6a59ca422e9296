import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseExposition } from '@ryot/metrics/testing';
import { describe, expect, it } from 'vitest';
import { expectOneLineUsageError, runTsEntry } from '../../../test/helpers/run-entry.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const demoArgs = ['--import', 'tsx', 'src/demo/main.ts', '--duration', '3', '--concurrency', '6', '--seed', '3'];

/** Runs a TS entry point of this package; resolves with its exit code and output whatever the code. */
const runEntry = (file: string, args: string[], env: Record<string, string> = {}) => runTsEntry(packageDir, file, args, env);

const DURATION = String.raw`(?:\d+µs|\d+(?:\.\d+)?ms|\d+\.\d+s|-)`;

/**
 * Runs the short demo with --keep-running until it prints "Still serving" (its summary is out and its server still
 * answers), hands its output and server URL to `use`, and kills it afterwards whatever happened; `stop` sends SIGINT
 * and resolves with the exit code.
 */
async function withKeepRunningDemo(use: (demo: { stdout: string; serverUrl: string; stop(): Promise<number | null> }) => Promise<void>): Promise<void> {
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
    const serverUrl = /on (http:\/\/127\.0\.0\.1:\d+) serving/.exec(stdout)![1]!;
    await use({ stdout, serverUrl, stop: () => (child.kill('SIGINT'), exit) });
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/**
 * A printed whole percentage of met/judged: within half a percent of it, except that it is 100% only when every
 * judged request met, 0% only when none did (99% and <1% stand for the values that would round to them).
 */
function expectPercentOf(cell: string, met: number, judged: number, what: string): void {
  const ratio = met / judged;
  const shown = `${what}: ${cell} for ${met}/${judged}`;
  if (met === judged) return void expect(cell, shown).toBe('100%');
  if (met === 0) return void expect(cell, shown).toBe('0%');
  if (cell === '<1%') return void expect(ratio, shown).toBeLessThan(0.005);
  const printed = Number(/^(\d+)%$/.exec(cell)?.[1]);
  expect(printed, shown).toBeGreaterThan(0);
  expect(printed, shown).toBeLessThan(100);
  if (printed === 99 && ratio >= 0.995) return;
  expect(Math.abs(printed - ratio * 100), shown).toBeLessThanOrEqual(0.5 + 1e-9);
}

/**
 * A printed dollar amount of `usd`, to the rounding of its form: three significant digits below $10, cents below
 * $1 000, whole dollars above ($12k: thousands).
 */
function expectUsdOf(cell: string, usd: number, what: string): void {
  const match = /^\$([\d.]+)(k?)$/.exec(cell);
  expect(match, `${what}: ${cell}`).not.toBeNull();
  const printed = Number(match![1]) * (match![2] ? 1000 : 1);
  const halfUnit = usd < 10 ? 0.5 * 10 ** (Math.floor(Math.log10(usd)) - 2) : usd < 1000 ? 0.005 : usd < 100_000 ? 0.5 : 500;
  expect(Math.abs(printed - usd), `${what}: ${cell} for $${usd}`).toBeLessThanOrEqual(halfUnit * (1 + 1e-9));
}

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
    await withKeepRunningDemo(async ({ stdout, serverUrl, stop }) => {
      const web = /In a browser: +(http:\/\/127\.0\.0\.1:\d+\/) /.exec(stdout)?.[1];
      expect(web, stdout).toBeDefined();
      // The same URL is printed at the start, so the load can be watched live.
      expect(stdout).toContain(`live charts in a browser: ${web}`);
      const state = (await (await fetch(`${web}api/state?since=0`)).json()) as { target: string; status: { state: string }; points: { models: { model: string }[] }[] };
      expect(state.target).toBe(`${serverUrl}/metrics`);
      expect(state.status.state).toBe('ok');
      expect(state.points.at(-1)!.models.map((m) => m.model)).toEqual(expect.arrayContaining(['llama-3.1-8b-instruct', 'mistral-7b-instruct', 'qwen2.5-32b-instruct']));
      expect(await stop()).toBe(0);
    });
  }, 90_000);

  it("prints per model the requests by status, goodput, preemptions and spend of the server's /metrics once the load is over", async () => {
    await withKeepRunningDemo(async ({ stdout, serverUrl }) => {
      // The load is over and the summary printed: nothing the server counts changes any more.
      const exposition = parseExposition(await (await fetch(`${serverUrl}/metrics`)).text());
      const total = (name: string, labels: Record<string, string>) =>
        exposition.get(name).reduce((sum, sample) => (Object.entries(labels).every(([k, v]) => sample.labels[k] === v) ? sum + sample.value : sum), 0);
      expect(total('ryot_inference_requests_in_flight', {})).toBe(0);
      const lines = stdout.split('\n');
      const header = lines.find((line) => line.startsWith('model '))!.split(/ {2,}/);
      const column = (title: string) => header.indexOf(title);
      const rows = lines.filter((line) => /^(llama|mistral|qwen)/.test(line)).map((line) => line.trim().split(/ {2,}/));
      expect(rows.map((cells) => cells[0])).toEqual(['llama-3.1-8b-instruct', 'mistral-7b-instruct', 'qwen2.5-32b-instruct']);
      for (const cells of rows) {
        const model = cells[0]!;
        const byStatus = ['success', 'error', 'timeout', 'cancelled'].map((status) => `${status[0]}:${total('ryot_inference_requests_total', { model, status })}`);
        expect(cells[column('requests s/e/t/c')], model).toBe(byStatus.join(' '));
        const met = total('ryot_goodput_requests_total', { model, slo: 'all', met: 'true' });
        const missed = total('ryot_goodput_requests_total', { model, slo: 'all', met: 'false' });
        expect(met + missed, `${model}: every model has targets, and served requests`).toBeGreaterThan(0);
        expectPercentOf(cells[column('goodput server | client')]!.split(' | ')[0]!, met, met + missed, model);
        expect(cells[column('preempt')], model).toBe(String(total('ryot_preemptions_total', { model })));
        const spend = total('ryot_cost_usd_total', { model });
        expect(spend, model).toBeGreaterThan(0);
        expectUsdOf(cells[column('spend')]!, spend, model);
      }
    });
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
