/**
 * `ryot top --web` through the built CLI, over real loopback HTTP: flags, what it serves, the JSON the page polls,
 * one scrape per interval whatever the number of pages, error states, and a clean stop on SIGINT.
 * (The page itself is tested in a real browser: test/browser/top-web.test.ts.)
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { request, type IncomingHttpHeaders, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWebView } from '../src/web/server.js';
import type { WebState } from '../src/web/types.js';
import { buildIfMissing, cli, closeAll, freePort, listen, pkgDir, runCli, serveCounting } from './helpers.js';

const servers: Server[] = [];
const children: ChildProcessWithoutNullStreams[] = [];

beforeAll(buildIfMissing, 60_000);
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await closeAll(servers);
});

interface Web {
  child: ChildProcessWithoutNullStreams;
  /** The page's URL, from the first line on stdout. */
  url: string;
  output: () => { stdout: string; stderr: string };
  exit: Promise<number | null>;
  state: (since?: number) => Promise<WebState>;
}

/** Starts `ryot top --web --port 0 …` and waits for the line with the page's URL. */
async function startWeb(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Web> {
  const child = spawn(process.execPath, [cli, 'top', '--web', '--port', '0', ...args], { env: { ...process.env, RYOT_TOP_TOKEN: '', ...env } });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 10_000;
  let url: string | undefined;
  while (!(url = /open (http:\/\/\S+)/.exec(stdout)?.[1])) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no URL from ryot top --web; stdout: ${stdout} stderr: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const page = url;
  return {
    child,
    url: page,
    output: () => ({ stdout, stderr }),
    exit,
    state: async (since = 0) => (await (await fetch(`${page}api/state?since=${since}`)).json()) as WebState,
  };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 2000)}`);
}

/** A raw GET (fetch neither lets a test set Host nor shows the encoded body). */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.once('error', reject);
    req.end();
  });
}

const getWithHost = async (url: string, host: string) => (await rawGet(url, { host })).status;

describe('ryot top --web', () => {
  it('serves the page and its assets from loopback, with a same-origin-only CSP', async () => {
    const target = await serveCounting(servers);
    const web = await startWeb([`127.0.0.1:${target.port}`, '-i', '200ms']);
    expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(web.output().stdout).toContain(`watching http://127.0.0.1:${target.port}/metrics every 0.2s`);
    const html = await fetch(web.url);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.headers.get('content-security-policy')).toContain("default-src 'none'; script-src 'self'");
    const body = await html.text();
    expect(body).toContain('<script src="/app.js" defer></script>');
    // Nothing is loaded from anywhere else: every src/href is a path on this server.
    for (const [, ref] of body.matchAll(/(?:src|href)="([^"]+)"/g)) expect(ref).toMatch(/^\/[a-z]/);
    const js = await fetch(`${web.url}app.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await js.text()).length).toBeGreaterThan(5000);
    expect((await fetch(`${web.url}app.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await fetch(`${web.url}nope`)).status).toBe(404);
    expect((await fetch(`${web.url}api/state?since=x`)).status).toBe(400);
    expect((await fetch(web.url, { method: 'POST' })).status).toBe(405);
    // DNS rebinding: a request addressed to another name is refused; localhost and 127.0.0.1 are fine.
    const port = new URL(web.url).port;
    expect(await getWithHost(web.url, 'attacker.example:80')).toBe(403);
    expect(await getWithHost(web.url, `localhost:${port}`)).toBe(200);
  });

  it('computes each point with the terminal view’s numbers, and the JSON matches the counters by hand', async () => {
    const target = await serveCounting(servers);
    const web = await startWeb([`http://127.0.0.1:${target.port}/metrics`, '--interval', '200ms']);
    const state = await until(() => web.state(), (s) => s.points.length >= 3, 'three points');
    expect(state.target).toBe(`http://127.0.0.1:${target.port}/metrics`);
    expect(state.intervalMs).toBe(200);
    expect(state.status.state).toBe('ok');
    const [first, , third] = state.points as [WebState['points'][0], unknown, WebState['points'][0]];
    expect(first.windowSeconds).toBeUndefined();
    // Each scrape adds 9 successes, 1 error, 100 tokens and 10 TTFTs (5 ≤ 0.05 s, 5 in (0.05, 0.1]) for llama-3-8b.
    const llama = third.models.find((m) => m.model === 'llama-3-8b')!;
    const seconds = third.windowSeconds!;
    expect(seconds).toBeGreaterThan(0);
    expect(llama.statusRates!.success! * seconds).toBeCloseTo(9, 9);
    expect(llama.statusRates!.error! * seconds).toBeCloseTo(1, 9);
    expect(llama.tokensPerSecond! * seconds).toBeCloseTo(100, 9);
    expect(llama.errorPercent).toBeCloseTo(10, 9);
    expect(llama.inFlight).toBe(7);
    // p50: rank 5 → 0.05 × 5 / 5; p95: rank 9.5 → 0.05 + 0.05 × 4.5 / 5; p99: rank 9.9 → 0.05 + 0.05 × 4.9 / 5.
    expect(llama.ttftP50).toBeCloseTo(0.05, 12);
    expect(llama.ttftP95).toBeCloseTo(0.095, 12);
    expect(llama.ttftP99).toBeCloseTo(0.099, 12);
    expect(llama.heat!.ttft).toEqual([
      [0.05, 5],
      [0.1, 5],
      [null, 0],
    ]);
    expect(third.models.map((m) => m.model)).toEqual(['llama-3-8b', 'qwen "2.5"']);
    // ?since=N returns only what came after N.
    const later = await web.state(third.seq);
    expect(later.points.every((p) => p.seq > third.seq)).toBe(true);
  });

  it('scrapes once per interval, however many pages poll', async () => {
    const target = await serveCounting(servers);
    const web = await startWeb([`127.0.0.1:${target.port}`, '-i', '250ms']);
    await until(() => web.state(), (s) => s.status.state === 'ok', 'the first scrape');
    const hitsBefore = target.hits();
    const started = performance.now();
    let polls = 0;
    // Five pages polling as fast as they can for a second and a half.
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        while (performance.now() - started < 1500) {
          await web.state(1_000_000);
          polls++;
        }
      }),
    );
    const elapsed = performance.now() - started;
    const scrapes = target.hits() - hitsBefore;
    expect(polls).toBeGreaterThan(20);
    // A scrape starts at most once per 250 ms whatever the polling: 1.5 s allows 6 (7 counting one in flight).
    expect(scrapes).toBeLessThanOrEqual(Math.floor(elapsed / 250) + 1);
  });

  it('reports an unreachable target, a wrong path and a 401 in the status the page shows, never the token', async () => {
    const dead = await freePort();
    const unreachable = await startWeb([`127.0.0.1:${dead}`, '-i', '100ms']);
    const down = await until(() => unreachable.state(), (s) => (s.status.failures ?? 0) >= 2, 'two failures');
    expect(down.status).toMatchObject({ state: 'error', error: 'connection refused (is the service running and exporting on this port?)' });
    expect(down.status.lastSuccessAt).toBeUndefined();
    expect(down.points).toEqual([]);

    const secured = await listen(servers, (req, res) => {
      if (req.url !== '/metrics') res.statusCode = 404;
      else if (req.headers.authorization !== 'Bearer s3cret') res.statusCode = 401;
      res.end('ryot_inference_requests_in_flight{model="m"} 1\n');
    });
    const wrongPath = await startWeb([`http://127.0.0.1:${secured}/stats`, '-i', '100ms']);
    expect((await until(() => wrongPath.state(), (s) => s.status.state === 'error', 'the 404')).status.error).toBe(
      'HTTP 404 Not Found (wrong path? Ryot serves /metrics)',
    );
    const noToken = await startWeb([`http://127.0.0.1:${secured}/metrics`, '-i', '100ms']);
    expect((await until(() => noToken.state(), (s) => s.status.state === 'error', 'the 401')).status.error).toBe(
      'HTTP 401 Unauthorized (needs a token? --token or RYOT_TOP_TOKEN)',
    );
    const withToken = await startWeb([`http://127.0.0.1:${secured}/metrics`, '-i', '100ms'], { RYOT_TOP_TOKEN: 's3cret' });
    const ok = await until(() => withToken.state(), (s) => s.status.state === 'ok', 'a scrape with the token');
    expect(ok.points[0]!.models[0]).toMatchObject({ model: 'm', inFlight: 1 });
    // The page never sees the token.
    const page = await (await fetch(`${withToken.url}api/state?since=0`)).text();
    expect(page).not.toContain('s3cret');
    expect(ok.target).toBe(`http://127.0.0.1:${secured}/metrics`);
  });

  it('stops on SIGINT with exit 0 and frees its port', async () => {
    const target = await serveCounting(servers);
    const web = await startWeb([`127.0.0.1:${target.port}`, '-i', '200ms']);
    await until(() => web.state(), (s) => s.points.length >= 1, 'a point');
    // An open keep-alive connection must not hold the process.
    await fetch(web.url);
    web.child.kill('SIGINT');
    expect(await web.exit).toBe(0);
    await expect(fetch(web.url)).rejects.toThrow();
    const hits = target.hits();
    await new Promise((r) => setTimeout(r, 500));
    expect(target.hits()).toBe(hits);
  });

  it('rejects bad flags with one line and exit 2, and says so when the port is taken', async () => {
    const cases: [string[], string][] = [
      [['--web', '--port', 'http'], "bad --port 'http' (0 to 65535; 0 picks a free port)"],
      [['--web', '--port', '70000'], "bad --port '70000' (0 to 65535; 0 picks a free port)"],
      [['--port', '8080'], '--port needs --web'],
      [['--host', '0.0.0.0'], '--host needs --web'],
      [['--web', '--once'], '--once and --web do not combine (--once prints one terminal frame)'],
      [['--web', 'http://user:pw@127.0.0.1:1/metrics'], 'no user:password in the URL, please (a bearer token goes in --token or RYOT_TOP_TOKEN)'],
    ];
    // node:util's own multi-line explanation arrives as one line too.
    const ambiguous = await runCli(['top', '--web', '--port', '-1']);
    expect(ambiguous.stderr).toMatch(/^ryot top: Option '--port' argument is ambiguous\. Did you forget .* \(ryot top --help lists the options\)\n$/);
    for (const [args, message] of cases) {
      const { code, stderr } = await runCli(['top', ...args]);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toBe(`ryot top: ${message} (ryot top --help lists the options)\n`);
    }
    const taken = await listen(servers, (_, res) => res.end());
    const { code, stderr } = await runCli(['top', '--web', '--port', String(taken), '127.0.0.1:1']);
    expect(code).toBe(1);
    expect(stderr).toBe(`ryot top --web: port ${taken} is in use (pick another with --port N, or --port 0 for any free port)\n`);
  });

  it('(library) takes any free port when the preferred one is taken, only if told to', async () => {
    const target = await serveCounting(servers);
    const taken = await listen(servers, (_, res) => res.end());
    const options = { target: `http://127.0.0.1:${target.port}/metrics`, port: taken, assetsDir: `${pkgDir}dist/web` };
    await expect(startWebView(options)).rejects.toThrow(`port ${taken} is in use`);
    const view = await startWebView({ ...options, fallbackToFreePort: true });
    try {
      expect(view.port).not.toBe(taken);
      expect(view.url).toBe(`http://127.0.0.1:${view.port}/`);
      expect((await fetch(view.url)).status).toBe(200);
    } finally {
      await view.close();
    }
  });

  it('(library) gzips a large history for clients that accept it', async () => {
    const target = await serveCounting(servers);
    const view = await startWebView({ target: `http://127.0.0.1:${target.port}/metrics`, intervalMs: 100, assetsDir: `${pkgDir}dist/web` });
    try {
      const plain = await until(() => rawGet(`${view.url}api/state?since=0`), (r) => r.body.length > 40_000, 'a history over 40 kB', 20_000);
      expect(plain.headers['content-encoding']).toBeUndefined();
      const zipped = await rawGet(`${view.url}api/state?since=0`, { 'accept-encoding': 'gzip, deflate' });
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect(zipped.body.length).toBeLessThan(plain.body.length / 5);
      const points = (body: Buffer) => (JSON.parse(body.toString()) as WebState).points.length;
      expect(points(gunzipSync(zipped.body))).toBeGreaterThanOrEqual(points(plain.body));
      // A poll for the newest point only stays small and plain.
      const newest = (JSON.parse(plain.body.toString()) as WebState).points.at(-1)!.seq;
      const poll = await rawGet(`${view.url}api/state?since=${newest}`, { 'accept-encoding': 'gzip' });
      expect(poll.headers['content-encoding']).toBeUndefined();
      expect(poll.body.length).toBeLessThan(5_000);
    } finally {
      await view.close();
    }
  }, 30_000);
});
