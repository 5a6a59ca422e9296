/**
 * The built CLI (dist/cli.js) against a real loopback HTTP server, interactively under a pseudo-terminal
 * (util-linux `script`) and with --once. `pnpm test` builds first; run alone, beforeAll builds when dist is missing.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildIfMissing, cli, closeAll, exposition, freePort, runCli as run, serveCounting } from './helpers.js';

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasScript) console.warn('packages/top: util-linux `script` not found; the pseudo-terminal tests are skipped');
const hasTmux = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;
if (!hasTmux) console.warn('packages/top: tmux not found; the resize test is skipped');

// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

const servers: Server[] = [];
const children: ChildProcessWithoutNullStreams[] = [];

const serve = async (port = 0) => (await serveCounting(servers, port)).port;

interface Pty {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  screen: () => string;
  waitFor: (predicate: (screen: string) => boolean, what: string, timeoutMs?: number) => Promise<string>;
  exit: Promise<number | null>;
}

/** Runs `node dist/cli.js top …` on a 120×40 pseudo-terminal. */
function runInPty(args: string[]): Pty {
  const command = `stty cols 120 rows 40; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} top ${args.join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, NO_COLOR: '' } });
  children.push(child);
  let raw = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (raw += chunk));
  child.stderr.on('data', (chunk: Buffer) => (raw += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  /** The last frame: each frame starts with cursor-home. */
  const screen = () => stripAnsi(raw.slice(raw.lastIndexOf('\x1b[H')));
  const waitFor = async (predicate: (s: string) => boolean, what: string, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const s = screen();
      if (predicate(s)) return s;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`timed out waiting for ${what}; last screen:\n${screen()}\nraw tail:\n${JSON.stringify(raw.slice(-600))}`);
  };
  return { child, output: () => raw, screen, waitFor, exit };
}

beforeAll(buildIfMissing, 60_000);

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await closeAll(servers);
});

describe.skipIf(!hasScript)('ryot top on a pseudo-terminal (script)', () => {
  it('shows live model rows, quits on q with exit 0, and restores the cursor and the screen', async () => {
    const port = await serve();
    const pty = runInPty([`http://127.0.0.1:${port}/metrics`, '--interval', '200ms']);
    const screen = await pty.waitFor((s) => /^llama-3-8b +\d+(\.\d+)? +10\.0%/m.test(s), 'a llama-3-8b row with rates');
    // Each scrape adds 10 llama requests (1 error), 100 tokens, 10 TTFTs: half ≤ 50 ms, half in (50, 100] ms.
    // p50: rank 5 of 10 → ≤0.05 (5): 0.05 × 5 / 5 = 50 ms; p95: rank 9.5 → 0.05 + 0.05 × 4.5 / 5 = 95 ms.
    expect(screen).toMatch(/^llama-3-8b +[\d.]+ +10\.0% +50\.0ms +95\.0ms +- +- +[\d.]+ +7 /m);
    expect(screen).toMatch(/^qwen "2\.5" +[\d.]+ +0% /m);
    expect(screen).toMatch(/^TOTAL /m);
    expect(screen).toMatch(/^● ok · scrape \d+ms/m);
    expect(screen).toContain('q quit');
    expect(pty.output()).toContain('\x1b[?1049h'); // alternate screen
    expect(pty.output()).toContain('\x1b[?25l'); // cursor hidden

    pty.child.stdin.write('s'); // sort by req/s: the busier llama first
    await pty.waitFor((s) => s.includes('s sort (req/s)'), 'the sort key to change');

    pty.child.stdin.write('q');
    expect(await pty.exit).toBe(0);
    const raw = pty.output();
    // The restore sequence comes after the last frame: cursor shown, alternate screen left.
    expect(raw.lastIndexOf('\x1b[?25h')).toBeGreaterThan(raw.lastIndexOf('\x1b[?25l'));
    expect(raw.lastIndexOf('\x1b[?1049l')).toBeGreaterThan(raw.lastIndexOf('\x1b[H'));
  }, 10_000);

  it('says clearly that the URL is unreachable, keeps retrying, and shows rows once the server starts', async () => {
    const port = await freePort();
    const pty = runInPty([`127.0.0.1:${port}`, '-i', '200ms']);
    await pty.waitFor(
      (s) => s.includes(`✖ cannot scrape http://127.0.0.1:${port}/metrics: connection refused`) && /never reached, [2-9]\d* failures/.test(s),
      'the unreachable message with at least two failures',
    );
    await serve(port);
    const screen = await pty.waitFor((s) => /^llama-3-8b +\d/m.test(s), 'rows after the server came up');
    expect(screen).not.toContain('cannot scrape');
    pty.child.stdin.write('\x03'); // Ctrl-C in raw mode arrives as a byte
    expect(await pty.exit).toBe(0);
    expect(pty.output().lastIndexOf('\x1b[?25h')).toBeGreaterThan(pty.output().lastIndexOf('\x1b[?25l'));
  }, 10_000);
});

describe.skipIf(!hasTmux)('ryot top in tmux (a real terminal emulator)', () => {
  const socket = `ryot-top-test-${process.pid}`;
  const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  const capture = () => tmux('capture-pane', '-p', '-t', 'top').stdout;
  async function until(predicate: (screen: string) => boolean, what: string): Promise<string> {
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const screen = capture();
      if (predicate(screen)) return screen;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}; screen:\n${capture()}`);
  }
  afterEach(() => {
    tmux('kill-server');
  });

  it('redraws for the new width on resize, and q gives the shell its screen back', async () => {
    const port = await serve();
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} top 127.0.0.1:${port} -i 200ms; echo "EXIT=$?"; sleep 30`;
    expect(tmux('new-session', '-d', '-s', 'top', '-x', '132', '-y', '20', command).status).toBe(0);
    const wide = await until((s) => /^llama-3-8b +\d/m.test(s), 'rows at 132 columns');
    expect(wide).toMatch(/^MODEL +REQ\/S +ERR% +TTFT p50 +TTFT p95 +ITL p50 +ITL p95 +TOK\/S +INFL +QUEUE +CACHE +GPU MEM +GPU%/m);
    tmux('resize-window', '-t', 'top', '-x', '64', '-y', '12');
    const narrow = await until((s) => /^MODEL +REQ\/S +ERR% +TTFT p95 +ITL p95 +TOK\/S *$/m.test(s), 'the 64-column layout');
    for (const line of narrow.split('\n')) expect([...line.trimEnd()].length).toBeLessThanOrEqual(64);
    tmux('send-keys', '-t', 'top', 'q');
    const after = await until((s) => s.includes('EXIT=0'), 'exit 0');
    // Back on the normal screen: the table was on the alternate one and is gone.
    expect(after).not.toContain('MODEL');
  }, 10_000);
});

describe('ryot top --once and arguments', () => {
  it('--once prints one plain frame after two scrapes and exits 0', async () => {
    const port = await serve();
    const { code, stdout } = await run(['top', `http://127.0.0.1:${port}`, '--once', '--interval', '150ms']);
    expect(code).toBe(0);
    expect(stdout).not.toContain('\x1b');
    expect(stdout).toMatch(/^ryot top {2}http:\/\/127\.0\.0\.1:\d+\/metrics/);
    expect(stdout).toMatch(/^llama-3-8b +[\d.]+ +10\.0% +50\.0ms +95\.0ms/m);
    expect(stdout).not.toContain('q quit');
  });

  it('--once on an unreachable URL exits 1 with the reason on stderr', async () => {
    const port = await freePort();
    const { code, stderr } = await run(['top', `http://127.0.0.1:${port}/metrics`, '--once', '-i', '100ms']);
    expect(code).toBe(1);
    expect(stderr).toBe(`ryot top: cannot scrape http://127.0.0.1:${port}/metrics: connection refused (is the service running and exporting on this port?)\n`);
  });

  it('sends the bearer token from RYOT_TOP_TOKEN and explains a 401', async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      if (req.headers.authorization !== 'Bearer s3cret') {
        res.statusCode = 401;
        res.end();
        return;
      }
      res.end(exposition(seen.length));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    const denied = await run(['top', url, '--once', '-i', '100ms'], { RYOT_TOP_TOKEN: '' });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('HTTP 401 Unauthorized (needs a token? --token or RYOT_TOP_TOKEN)');
    const allowed = await run(['top', url, '--once', '-i', '100ms'], { RYOT_TOP_TOKEN: 's3cret' });
    expect(allowed.code).toBe(0);
    expect(seen.slice(-2)).toEqual(['Bearer s3cret', 'Bearer s3cret']);
  });

  it('rejects bad arguments with exit 2 and one line naming the flag, and prints help on --help', async () => {
    const bad = await run(['top', '--interval', 'fast']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("ryot top: bad --interval 'fast' (e.g. 1s, 500ms; at least 100ms) (ryot top --help lists the options)\n");
    const unknown = await run(['top', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^ryot top: Unknown option '--bogus'\.[^\n]* \(ryot top --help lists the options\)\n$/);
    expect((await run(['nope'])).stderr).toBe("ryot: unknown command 'nope' (ryot top --help lists the options)\n");
    const help = await run(['top', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: ryot top [url] [options]');
  });
});
