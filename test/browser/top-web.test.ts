/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * `ryot top --web` in a real browser: Debian's chromium, headless, driven by playwright-core, against the example
 * inference server under scripted load. The numbers the page shows are checked against values this file computes
 * itself from the very expositions the web view scraped (a recording proxy sits between them), with its own
 * parsing and its own histogram_quantile. The time window is checked on a scripted /api/state (ten minutes of history
 * cannot be waited for), by where the drawn line's step falls. Screenshots (light and dark) stay in the temp dir
 * printed below.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, readSse, startTestServer, testModel } from '../../examples/inference-server/test/helpers.js';
import type { WebPoint, WebState } from '../../packages/top/src/web/types.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  const message = `${CHROMIUM} not found: the browser tests of ryot top --web need Debian's chromium (apt-get install chromium; .ci/run installs it)`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`[skip] ${message}`);
}

const cli = fileURLToPath(new URL('../../packages/top/dist/cli.js', import.meta.url));
const INTERVAL_MS = 500;
const GiB = 1024 ** 3;
/** What @ryot/nvml would add on a GPU machine: one device, fixed values. */
const HW_GPU = [
  'hw_gpu_memory_usage{hw_id="0",hw_name="NVIDIA H100 80GB HBM3",hw_type="gpu"} 42949672960',
  'hw_gpu_memory_limit{hw_id="0",hw_name="NVIDIA H100 80GB HBM3",hw_type="gpu"} 85899345920',
  'hw_gpu_utilization{hw_id="0",hw_name="NVIDIA H100 80GB HBM3",hw_type="gpu"} 0.78',
  '',
].join('\n');

/** Every per-model panel of packages/top/src/web/page/panels.ts: the load below gives each of them values. */
const MODEL_PANEL_IDS = ['requests', 'tokens', 'ttft', 'ttft-heatmap', 'itl', 'itl-heatmap', 'duration', 'load', 'queue-wait', 'cache', 'gpu-memory', 'gpu-util', 'goodput', 'spend'];

type Upstream = Awaited<ReturnType<typeof startTestServer>>;
/** SLO targets and prices for the upstream: slow's TTFT target sits among its TTFTs, so its goodput is a real share. */
const ACCOUNTING = {
  slo: { default: { tpotSeconds: 0.05 }, models: { slow: { ttftSeconds: 0.02, tpotSeconds: 0.05 } } },
  prices: { default: { inputPerMillion: 3, outputPerMillion: 15 } },
};

const dir = mkdtempSync(join(tmpdir(), 'ryot-top-web-'));
const closers: (() => Promise<unknown> | unknown)[] = [];
let context: BrowserContext | undefined;

// ---- an independent reading of the exposition (not @ryot/top's parser) ------------------------------------------

interface Line {
  labels: Record<string, string>;
  value: number;
}

function lines(text: string, name: string): Line[] {
  const out: Line[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="([^"]*)"/g)) labels[key!] = value!;
    out.push({ labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return out;
}

const key = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort());

/** Σ over the model's series of the per-series increase (a series that went down restarted from 0). */
function increase(before: string, after: string, name: string, match: Record<string, string>): number {
  const fits = (l: Line) => Object.entries(match).every(([k, v]) => l.labels[k] === v);
  const old = new Map(lines(before, name).filter(fits).map((l) => [key(l.labels), l.value]));
  let total = 0;
  for (const l of lines(after, name).filter(fits)) {
    const was = old.get(key(l.labels)) ?? 0;
    total += l.value < was ? l.value : l.value - was;
  }
  return total;
}

/** The window's cumulative buckets of `base` for a model: [le, count] sorted by le. */
function windowBuckets(before: string, after: string, base: string, model: string): [number, number][] {
  const les = [...new Set(lines(after, `${base}_bucket`).filter((l) => l.labels.model === model).map((l) => l.labels.le!))];
  return les
    .map((le) => [le === '+Inf' ? Infinity : Number(le), increase(before, after, `${base}_bucket`, { model, le })] as [number, number])
    .sort((a, b) => a[0] - b[0]);
}

/** Prometheus' histogram_quantile over cumulative buckets, written out again for the test. */
function quantile(q: number, buckets: [number, number][]): number | undefined {
  let running = 0;
  const cumulative = buckets.map(([le, n]) => [le, (running = Math.max(running, n))] as [number, number]);
  const total = cumulative[cumulative.length - 1]?.[1] ?? 0;
  if (total === 0 || cumulative.length < 2) return undefined;
  const rank = q * total;
  const i = cumulative.findIndex(([, n]) => n >= rank);
  if (i === cumulative.length - 1) return cumulative[i - 1]![0];
  const [upper, count] = cumulative[i]!;
  const [lower, below] = i === 0 ? [0, 0] : cumulative[i - 1]!;
  return lower + (upper - lower) * ((rank - below) / (count - below));
}

/** "24.3ms" → 0.0243 (the page's seconds format). */
function seconds(text: string): number {
  const m = /^([\d.]+)(µs|ms|s|m)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * { µs: 1e-6, ms: 1e-3, s: 1, m: 60 }[m[2] as 'µs' | 'ms' | 's' | 'm'];
}

// ---- the target: the example server behind a recording proxy ----------------------------------------------------

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

async function startProxy(upstream: () => Upstream) {
  const served: string[] = [];
  const server = createServer((_, res) => {
    upstream()
      .metrics()
      .then(
        (text) => {
          served.push(text);
          res.setHeader('content-type', 'text/plain; version=0.0.4; charset=utf-8');
          res.end(`${text}${HW_GPU}`);
        },
        () => {
          // The upstream is being swapped or closed: a failed scrape, still one answer per attempt.
          served.push('');
          res.statusCode = 502;
          res.end();
        },
      );
  });
  const port = await listen(server);
  closers.push(() => new Promise((r) => (server.close(r), server.closeAllConnections())));
  return { url: `http://127.0.0.1:${port}/metrics`, served };
}

/** Closed-loop clients: streaming chats to fast and slow; every fifth on slow walks away after two chunks. */
function startLoad(upstream: () => Upstream): () => Promise<void> {
  let running = true;
  let n = 0;
  const chat = (model: string) => ({ model, stream: true, max_tokens: 8, messages: [{ role: 'user', content: 'hello there' }] });
  const client = async () => {
    while (running) {
      const i = n++;
      const model = i % 2 === 0 ? 'fast' : 'slow';
      const url = `${upstream().server.url}/v1/chat/completions`;
      try {
        if (model === 'slow' && i % 5 === 1) {
          const controller = new AbortController();
          const response = await post(url, chat(model), { signal: controller.signal });
          const reader = response.body!.getReader();
          await reader.read();
          await reader.read();
          controller.abort();
          await reader.cancel().catch(() => undefined);
        } else {
          await readSse(await post(url, chat(model)));
        }
      } catch {
        await new Promise((r) => setTimeout(r, 20)); // the server is being swapped
      }
    }
  };
  const clients = Array.from({ length: 6 }, client);
  return async () => {
    running = false;
    await Promise.all(clients);
  };
}

async function startWeb(target: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  return (await startWebProcess(target, env)).url;
}

async function startWebProcess(target: string, env: NodeJS.ProcessEnv = {}): Promise<{ url: string; child: ChildProcessWithoutNullStreams }> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [cli, 'top', '--web', '--port', '0', '-i', `${INTERVAL_MS}ms`, target], {
    env: { ...process.env, RYOT_TOP_TOKEN: '', ...env },
  });
  closers.push(() => child.exitCode === null && child.kill('SIGKILL'));
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const deadline = Date.now() + 10_000;
  let url: string | undefined;
  while (!(url = /open (http:\/\/\S+)/.exec(stdout)?.[1])) {
    if (Date.now() > deadline) throw new Error(`ryot top --web did not start: ${stdout}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { url, child };
}

interface Watched {
  page: Page;
  errors: string[];
  foreign: string[];
}

/** Opens the page, collecting console errors, page errors and any request to another origin. */
async function open(url: string, colorScheme: 'light' | 'dark' = 'light'): Promise<Watched> {
  const page = await context!.newPage();
  await page.emulateMedia({ colorScheme });
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => !r.url().startsWith(url) && foreign.push(r.url()));
  await page.goto(url);
  return { page, errors, foreign };
}

const seqOf = async (page: Page) => Number(await page.locator('#status').getAttribute('data-seq'));

/** Colored pixels on a canvas (what was drawn on it). */
const inked = (page: Page, selector: string) =>
  page.locator(selector).evaluate((canvas: HTMLCanvasElement) => {
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
    return n;
  });

describe.skipIf(!hasChromium)('ryot top --web in chromium', () => {
  let upstream: Upstream;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let stopLoad: () => Promise<void>;
  let web: string;

  beforeAll(async () => {
    console.log(`ryot top --web browser test: screenshots in ${dir}`);
    upstream = await startTestServer({ models: [testModel('fast'), testModel('slow', { stepMs: 8 })] }, ACCOUNTING);
    closers.push(() => upstream.close());
    proxy = await startProxy(() => upstream);
    stopLoad = startLoad(() => upstream);
    closers.push(() => stopLoad());
    web = await startWeb(proxy.url);
    const profile = mkdtempSync(join(tmpdir(), 'ryot-top-web-profile-'));
    closers.push(() => rmSync(profile, { recursive: true, force: true }));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    closers.push(() => context?.close());
  }, 60_000);

  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  }, 30_000);

  it('draws every model with the numbers of the scraped histograms, pauses, and marks a restart', async () => {
    const { page, errors, foreign } = await open(web);
    // Wait for a window with finished requests on both models.
    await page.waitForFunction(
      () => ['fast', 'slow'].every((m) => document.querySelector(`#overview tr[data-model="${m}"] td[data-cell="ttftP95"]`)?.getAttribute('data-value')),
      undefined,
      { timeout: 20_000 },
    );
    await page.waitForFunction(() => Number(document.querySelector('#status')?.getAttribute('data-seq')) >= 5, undefined, { timeout: 20_000 });

    // One section per model, named after it, with its charts drawn.
    expect(await page.locator('section.model h2').allTextContents()).toEqual(['fast', 'slow']);
    expect(await page.locator('#overview tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-model')))).toEqual(['fast', 'slow']);
    for (const model of ['fast', 'slow']) {
      for (const panel of MODEL_PANEL_IDS) {
        const figure = `section.model[data-model="${model}"] figure[data-panel="${panel}"]`;
        expect(await page.locator(figure).isVisible(), `${model} ${panel}`).toBe(true);
        expect(await inked(page, `${figure} canvas`), `${model} ${panel} drawn`).toBeGreaterThan(500);
      }
    }
    // The device section from hw_gpu_*: 40 GiB of 80 GiB, 78 %.
    expect(await page.locator('#gpu').isVisible()).toBe(true);
    expect(await page.locator('#gpu figure[data-panel="memory"] .legend').textContent()).toBe('GPU 0 NVIDIA H100 80GB HBM3 40G');
    expect(await page.locator('#gpu figure[data-panel="memory-share"] [data-series="0"]').getAttribute('data-value')).toBe(String((40 * GiB) / (80 * GiB)));
    expect(await page.locator('#gpu figure[data-panel="utilization"] [data-series="0"] b').textContent()).toBe('78%');

    // Pause: the shown scrape, its window and every number stay put while the server keeps scraping.
    await page.locator('#pause').click();
    expect(await page.locator('#status').getAttribute('data-state')).toBe('paused');
    const seq = await seqOf(page);
    const windowSeconds = Number(await page.locator('#status').getAttribute('data-window-seconds'));
    const frozen = await page.evaluate(() => [document.querySelector('#overview')!.textContent, ...[...document.querySelectorAll('canvas')].map((c) => c.toDataURL())]);
    await page.waitForTimeout(INTERVAL_MS * 4);
    expect(await seqOf(page)).toBe(seq);
    expect(await page.evaluate(() => [document.querySelector('#overview')!.textContent, ...[...document.querySelectorAll('canvas')].map((c) => c.toDataURL())])).toEqual(frozen);
    const server = (await (await fetch(`${web}api/state?since=${seq}`)).json()) as { status: { attempts: number } };
    expect(server.status.attempts).toBeGreaterThan(seq + 1);

    // Expected values from the two expositions of that window: scrape attempt k is the proxy's k-th answer.
    const before = proxy.served[seq - 2]!;
    const after = proxy.served[seq - 1]!;
    for (const model of ['fast', 'slow']) {
      const row = page.locator(`#overview tr[data-model="${model}"]`);
      const cell = async (name: string) => {
        const td = row.locator(`td[data-cell="${name}"]`);
        return { value: Number(await td.getAttribute('data-value')), text: (await td.textContent())! };
      };
      for (const [base, prefix] of [
        ['ryot_inference_ttft_seconds', 'ttft'],
        ['ryot_inference_inter_token_latency_seconds', 'itl'],
      ] as const) {
        const buckets = windowBuckets(before, after, base, model);
        for (const [q, suffix] of [
          [0.5, 'P50'],
          [0.95, 'P95'],
          [0.99, 'P99'],
        ] as const) {
          const expected = quantile(q, buckets)!;
          expect(expected, `${model} ${prefix}${suffix}`).toBeGreaterThan(0);
          const shown = await cell(`${prefix}${suffix}`);
          expect(shown.value, `${model} ${prefix}${suffix}`).toBeCloseTo(expected, 9);
          // The text has three significant digits.
          expect(Math.abs(seconds(shown.text) - expected) / expected, `${model} ${prefix}${suffix} '${shown.text}'`).toBeLessThan(0.006);
        }
      }
      const requests = increase(before, after, 'ryot_inference_requests_total', { model });
      expect(requests).toBeGreaterThan(0);
      expect((await cell('requestsPerSecond')).value).toBeCloseTo(requests / windowSeconds, 6);
      expect((await cell('tokensPerSecond')).value).toBeCloseTo(increase(before, after, 'ryot_tokens_generated_total', { model }) / windowSeconds, 6);
      // Goodput: met ÷ judged over the window's slo="all" counters; spend: the window's dollars at an hourly rate.
      const judged = increase(before, after, 'ryot_goodput_requests_total', { model, slo: 'all' });
      expect(judged, `${model} goodput judged`).toBeGreaterThan(0);
      expect((await cell('goodput')).value).toBeCloseTo(increase(before, after, 'ryot_goodput_requests_total', { model, slo: 'all', met: 'true' }) / judged, 9);
      const spend = increase(before, after, 'ryot_cost_usd_total', { model });
      expect(spend).toBeGreaterThan(0);
      expect((await cell('spendPerHour')).value).toBeCloseTo((spend / windowSeconds) * 3600, 6);
      const spendLegend = page.locator(`section.model[data-model="${model}"] figure[data-panel="spend"] [data-series="spend"] b`);
      expect(await spendLegend.textContent()).toBe((await cell('spendPerHour')).text);
      // Queue wait: the window's quantiles of the queue-wait histogram (requests queue behind maxBatch 4).
      const figureOf = (panel: string) => page.locator(`section.model[data-model="${model}"] figure[data-panel="${panel}"]`);
      const legendValue = async (panel: string, series: string) => Number(await figureOf(panel).locator(`[data-series="${series}"]`).getAttribute('data-value'));
      const waits = windowBuckets(before, after, 'ryot_inference_queue_wait_seconds', model);
      for (const [q, series] of [
        [0.5, 'p50'],
        [0.95, 'p95'],
        [0.99, 'p99'],
      ] as const) {
        const expected = quantile(q, waits)!;
        expect(expected, `${model} queue wait ${series}`).toBeGreaterThan(0);
        expect(await legendValue('queue-wait', series), `${model} queue wait ${series}`).toBeCloseTo(expected, 9);
      }
      expect((await cell('queueWaitP95')).value).toBeCloseTo(quantile(0.95, waits)!, 9);
      // Cache hit ratio: hits ÷ lookups over the window (the same prompt every time: all but the first lookup hit).
      const lookups = increase(before, after, 'ryot_cache_lookups_total', { model });
      expect(lookups, `${model} cache lookups`).toBeGreaterThan(0);
      const hitRatio = increase(before, after, 'ryot_cache_hits_total', { model }) / lookups;
      expect(await legendValue('cache', 'cache')).toBeCloseTo(hitRatio, 9);
      expect((await cell('cacheHitRatio')).value).toBeCloseTo(hitRatio, 9);
      // GPU utilization of the model: the simulated allocator's gauge as it was scraped.
      const utilization = lines(after, 'ryot_gpu_utilization_percent').filter((l) => l.labels.model === model);
      expect(utilization, `${model} gpu utilization series`).toHaveLength(1);
      expect(await legendValue('gpu-util', 'util')).toBe(utilization[0]!.value);
      // The chart legends show the same numbers as the table.
      const legend = page.locator(`section.model[data-model="${model}"] figure[data-panel="ttft"] [data-series="p95"] b`);
      expect(await legend.textContent()).toBe((await cell('ttftP95')).text);
      const success = page.locator(`section.model[data-model="${model}"] figure[data-panel="requests"] [data-series="success"]`);
      expect(Number(await success.getAttribute('data-value'))).toBeCloseTo(increase(before, after, 'ryot_inference_requests_total', { model, status: 'success' }) / windowSeconds, 6);
    }
    // slow's walk-aways show as cancelled.
    expect(await page.locator('section.model[data-model="slow"] figure[data-panel="requests"] [data-series="cancelled"]').count()).toBe(1);

    const backgrounds: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      backgrounds.push(await page.evaluate(() => getComputedStyle(document.body).backgroundColor));
      await page.screenshot({ path: join(dir, `live-${scheme}.png`), fullPage: true });
    }
    // prefers-color-scheme: a light page and a dark one.
    expect(backgrounds).toEqual(['rgb(246, 247, 249)', 'rgb(15, 18, 23)']);
    await page.emulateMedia({ colorScheme: 'light' });

    // The model filter hides a model's row and section.
    await page.locator('#models .chip[data-model="slow"]').click();
    expect(await page.locator('section.model h2').allTextContents()).toEqual(['fast']);
    expect(await page.locator('#overview tbody tr').count()).toBe(1);
    await page.locator('#models .chip[data-model="*"]').click();
    expect(await page.locator('section.model h2').allTextContents()).toEqual(['fast', 'slow']);

    // Resume: updates again.
    await page.locator('#pause').click();
    await page.waitForFunction((shown) => Number(document.querySelector('#status')?.getAttribute('data-seq')) > shown, seq, { timeout: 5_000 });

    // The target restarts (fresh counters behind the same URL): a notice, a marker, and no negative rate.
    const old = upstream;
    upstream = await startTestServer({ models: [testModel('fast'), testModel('slow', { stepMs: 8 })] }, ACCOUNTING);
    closers.push(() => upstream.close());
    await old.close();
    await page
      .waitForFunction(() => document.querySelector('#banner')?.getAttribute('data-kind') === 'notice', undefined, { timeout: 10_000 })
      .catch(async (error: unknown) => {
        throw new Error(`no restart notice; status '${await page.locator('#status').textContent()}', banner '${await page.locator('#banner').textContent()}': ${String(error)}`);
      });
    expect(await page.locator('#banner').textContent()).toContain('the target restarted');
    const rates = await page.locator('figure[data-panel="requests"] [data-series]').evaluateAll((items) => items.map((i) => Number(i.getAttribute('data-value') || 0)));
    expect(rates.length).toBeGreaterThan(0);
    for (const rate of rates) expect(rate).toBeGreaterThanOrEqual(0);
    await page.screenshot({ path: join(dir, 'restart-light.png'), fullPage: true });

    await page.selectOption('#window', String(60_000));
    expect(await page.locator('section.model').count()).toBe(2);
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
  }, 90_000);

  it('the time window sets the charts\' time axis: a scripted history drawn over 1, 5 and 15 minutes', async () => {
    // Ten minutes of history the page gets from a scripted /api/state: one point a second, 8 tok/s until 30 s before
    // the last point, 2 tok/s after. The server's clock is kept 5 s behind the last point, so the axis ends at it.
    const end = Math.floor(Date.now() / 1000) * 1000;
    const points: WebPoint[] = Array.from({ length: 600 }, (_, i) => {
      const t = end - (599 - i) * 1000;
      return { seq: i + 1, t, windowSeconds: 1, parseErrors: 0, devices: [], models: [{ model: 'scripted', tokensPerSecond: t < end - 30_000 ? 8 : 2 }] };
    });
    const page = await context!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route('**/api/state*', (route) => {
      const since = Number(new URL(route.request().url()).searchParams.get('since'));
      const state: WebState = {
        target: 'http://scripted.invalid/metrics',
        intervalMs: 1000,
        historyMs: 15 * 60_000,
        now: end - 5000,
        status: { state: 'ok', attempts: points.length, lastSuccessAt: end },
        points: points.filter((p) => p.seq > since),
      };
      return route.fulfill({ contentType: 'application/json', body: JSON.stringify(state) });
    });
    await page.goto(web);
    const canvas = 'section.model[data-model="scripted"] figure[data-panel="tokens"] canvas';
    await page.waitForFunction((selector) => document.querySelector(selector)?.closest('figure')?.querySelector('[data-series="tokens"]')?.getAttribute('data-value') === '2', canvas, { timeout: 10_000 });

    /** The first plot column (CSS px from the plot's left edge) where the --c-1 line is below the axis' middle (5 tok/s), and the plot's width. */
    const stepAt = () =>
      page.locator(canvas).evaluate((element: HTMLCanvasElement) => {
        const [left, right, top, bottom] = [54, 8, 6, 18]; // charts.ts PAD
        const ratio = element.width / element.clientWidth;
        const probe = document.createElement('canvas').getContext('2d')!;
        probe.fillStyle = getComputedStyle(document.documentElement).getPropertyValue('--c-1').trim();
        probe.fillRect(0, 0, 1, 1);
        const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
        const data = element.getContext('2d')!.getImageData(0, 0, element.width, element.height).data;
        const lineY = (x: number) => {
          const ys: number[] = [];
          for (let y = Math.ceil(top * ratio); y < element.height - bottom * ratio; y++) {
            const i = (y * element.width + x) * 4;
            if (data[i + 3]! > 200 && Math.abs(data[i]! - r!) + Math.abs(data[i + 1]! - g!) + Math.abs(data[i + 2]! - b!) < 60) ys.push(y);
          }
          return ys.length ? ys.reduce((a, v) => a + v, 0) / ys.length : undefined;
        };
        // Axis top 10 (8 × 1.05 rounded up): 8 tok/s sits at 20 % of the plot height from the top, 2 at 80 %.
        const middle = top * ratio + (element.height - (top + bottom) * ratio) / 2;
        for (let x = Math.ceil(left * ratio) + 2; x < element.width - right * ratio; x++) {
          const y = lineY(x);
          if (y !== undefined && y > middle) return { step: x / ratio - left, width: element.clientWidth - left - right };
        }
        return undefined;
      });

    // The axis spans the window, or the whole history when it is shorter (10 min + one interval within 15 min).
    for (const [windowMs, spanMs] of [
      [60_000, 60_000],
      [5 * 60_000, 5 * 60_000],
      [15 * 60_000, 600_000],
      [60_000, 60_000],
    ] as const) {
      await page.selectOption('#window', String(windowMs));
      const drawn = await stepAt();
      expect(drawn, `${windowMs} ms window`).toBeDefined();
      // The line drops from 8 to 2 between the points at end − 31 s and end − 30 s: its midpoint at end − 30.5 s.
      const expected = (1 - 30_500 / spanMs) * drawn!.width;
      expect(Math.abs(drawn!.step - expected), `${windowMs} ms window: step at ${drawn!.step} px, expected ${expected.toFixed(1)} px`).toBeLessThanOrEqual(3);
    }
    await page.screenshot({ path: join(dir, 'window-scripted-light.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 60_000);

  it('says why when the target is unreachable, answers 404 on a wrong path or refuses without a token', async () => {
    const dead = createServer();
    const deadPort = await listen(dead);
    await new Promise((r) => dead.close(r));
    const unreachable = await open(await startWeb(`http://127.0.0.1:${deadPort}/metrics`), 'dark');
    await unreachable.page.waitForFunction(() => document.querySelector('#banner')?.textContent?.includes('connection refused'), undefined, { timeout: 10_000 });
    expect(await unreachable.page.locator('#banner').textContent()).toContain(`Cannot scrape http://127.0.0.1:${deadPort}/metrics: connection refused (is the service running and exporting on this port?)`);
    expect(await unreachable.page.locator('#empty').textContent()).toContain('the target has not answered');
    expect(await unreachable.page.locator('section.model').count()).toBe(0);
    expect(await unreachable.page.locator('#status').getAttribute('data-state')).toBe('error');
    await unreachable.page.screenshot({ path: join(dir, 'unreachable-dark.png'), fullPage: true });

    const guarded = createServer((req, res) => {
      if (req.url !== '/metrics') res.statusCode = 404;
      else if (req.headers.authorization !== 'Bearer s3cret') res.statusCode = 401;
      res.end('ryot_inference_requests_in_flight{model="guarded"} 2\n');
    });
    const guardedPort = await listen(guarded);
    closers.push(() => new Promise((r) => (guarded.close(r), guarded.closeAllConnections())));
    const refused = await open(await startWeb(`http://127.0.0.1:${guardedPort}/metrics`));
    await refused.page.waitForFunction(() => document.querySelector('#banner')?.textContent?.includes('401'), undefined, { timeout: 10_000 });
    expect(await refused.page.locator('#banner').textContent()).toContain('HTTP 401 Unauthorized (needs a token? --token or RYOT_TOP_TOKEN)');
    await refused.page.screenshot({ path: join(dir, 'unauthorized-light.png'), fullPage: true });
    const wrongPath = await open(await startWeb(`http://127.0.0.1:${guardedPort}/stats`, { RYOT_TOP_TOKEN: 's3cret' }));
    await wrongPath.page.waitForFunction(() => document.querySelector('#banner')?.textContent?.includes('404'), undefined, { timeout: 10_000 });
    expect(await wrongPath.page.locator('#banner').textContent()).toContain(`Cannot scrape http://127.0.0.1:${guardedPort}/stats: HTTP 404 Not Found (wrong path? Ryot serves /metrics)`);
    expect(await wrongPath.page.locator('#status').getAttribute('data-state')).toBe('error');
    expect(await wrongPath.page.locator('section.model').count()).toBe(0);
    await wrongPath.page.screenshot({ path: join(dir, 'wrong-path-light.png'), fullPage: true });
    const allowed = await open(await startWeb(`http://127.0.0.1:${guardedPort}/metrics`, { RYOT_TOP_TOKEN: 's3cret' }));
    await allowed.page.waitForFunction(() => document.querySelector('#overview tr[data-model="guarded"] td[data-cell="inFlight"]')?.textContent === '2', undefined, { timeout: 10_000 });
    expect(await allowed.page.locator('#banner').isHidden()).toBe(true);
    // Only a gauge: its chart is drawn, the latency and rate panels without values are not.
    const guardedSection = allowed.page.locator('section.model[data-model="guarded"]');
    expect(await guardedSection.locator('figure[data-panel="load"]').isVisible()).toBe(true);
    expect(await guardedSection.locator('figure[data-panel="ttft"]').isHidden()).toBe(true);

    // A URL that answers, but with no Ryot series.
    const other = createServer((_, res) => res.end('# a different exporter\nup 1\nprocess_cpu_seconds_total 3\n'));
    const otherPort = await listen(other);
    closers.push(() => new Promise((r) => (other.close(r), other.closeAllConnections())));
    const foreignTarget = await startWebProcess(`http://127.0.0.1:${otherPort}/metrics`);
    const notRyot = await open(foreignTarget.url);
    await notRyot.page.waitForFunction(() => document.querySelector('#empty')?.textContent?.startsWith('No Ryot model metrics'), undefined, { timeout: 10_000 });
    // The server behind the page stops: the page says so.
    foreignTarget.child.kill('SIGINT');
    await notRyot.page.waitForFunction(() => document.querySelector('#status')?.getAttribute('data-state') === 'lost', undefined, { timeout: 10_000 });
    expect(await notRyot.page.locator('#banner').textContent()).toContain('Lost contact with the ryot top --web server');
    notRyot.errors.splice(0); // the browser logs the refused polls as console errors: expected once the server is gone
    for (const w of [unreachable, refused, wrongPath, allowed, notRyot]) {
      expect(w.errors).toEqual([]);
      expect(w.foreign).toEqual([]);
    }
  }, 60_000);
});
