import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { DEFAULT_HISTORY_MS, ScrapeLoop } from './history.js';
import { FAVICON_SVG, PAGE_HTML } from './html.js';

export interface WebViewOptions {
  /** The /metrics URL to watch (already normalized, see normalizeUrl). */
  readonly target: string;
  /** Time between scrapes (default 1000). */
  readonly intervalMs?: number;
  /** Give up on a scrape after this long (default 3000). */
  readonly timeoutMs?: number;
  /** Sent to the target as `Authorization: Bearer <token>`; never sent to the page. */
  readonly token?: string;
  /** Address to listen on (default 127.0.0.1: only this machine). */
  readonly host?: string;
  /** Port to listen on (default 0: any free port). */
  readonly port?: number;
  /** When `port` is taken, listen on any free port instead of failing (the CLI's default port is only a preference). */
  readonly fallbackToFreePort?: boolean;
  /** How far back the page can look (default 15 minutes). */
  readonly historyMs?: number;
  /** Where app.js and app.css are (default: `web/` beside the built module). */
  readonly assetsDir?: string;
}

export interface WebView {
  /** The page's address, e.g. http://127.0.0.1:9465/ */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export class WebViewError extends Error {}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The target as shown on the page: without user:password. */
export function displayTarget(target: string): string {
  try {
    const url = new URL(target);
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return target;
  }
}

function defaultAssetsDir(): string {
  // Both the library (dist/index.*) and the CLI (dist/cli.js) are built into dist/, beside dist/web/.
  return fileURLToPath(new URL('./web/', import.meta.url));
}

function readAssets(dir: string): { js: string; css: string } {
  try {
    return { js: readFileSync(`${dir}/app.js`, 'utf8'), css: readFileSync(`${dir}/app.css`, 'utf8') };
  } catch {
    throw new WebViewError(`the page's assets are missing from ${dir} (app.js, app.css): build @ryot/top first`);
  }
}

const SECURITY_HEADERS = {
  // Everything comes from this server: the page works offline and cannot load or send anything elsewhere.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Bodies above this are gzipped when the client accepts it: a page's first poll carries the whole history. */
const GZIP_ABOVE_BYTES = 32 * 1024;

function send(res: ServerResponse, status: number, type: string, body: string, cache = 'no-store'): void {
  let payload: Buffer = Buffer.from(body);
  const headers: Record<string, string | number> = { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': cache, vary: 'accept-encoding' };
  if (payload.length > GZIP_ABOVE_BYTES && /\bgzip\b/.test(String(res.req.headers['accept-encoding'] ?? ''))) {
    payload = gzipSync(payload, { level: 6 });
    headers['content-encoding'] = 'gzip';
  }
  headers['content-length'] = payload.length;
  res.writeHead(status, headers);
  res.end(res.req.method === 'HEAD' ? undefined : payload);
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): WebViewError {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return new WebViewError(`port ${port} is in use (pick another with --port N, or --port 0 for any free port)`);
    case 'EACCES':
      return new WebViewError(`not allowed to listen on ${where} (ports below 1024 need privileges)`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new WebViewError(`cannot listen on ${where}: no such local address (--host)`);
    default:
      return new WebViewError(`cannot listen on ${where}: ${error.message}`);
  }
}

/**
 * Serves the live page for one target: one scrape loop (one scrape per interval, whatever the number of open pages),
 * the page and its assets, and GET /api/state?since=N with the points the page has not seen yet.
 */
export async function startWebView(options: WebViewOptions): Promise<WebView> {
  const host = options.host ?? '127.0.0.1';
  const intervalMs = options.intervalMs ?? 1000;
  const assets = readAssets(options.assetsDir ?? defaultAssetsDir());
  const loop = new ScrapeLoop({
    url: options.target,
    intervalMs,
    timeoutMs: options.timeoutMs ?? 3000,
    historyMs: options.historyMs ?? DEFAULT_HISTORY_MS,
    ...(options.token ? { token: options.token } : {}),
  });
  const target = displayTarget(options.target);
  let port = 0;

  // A page on another site could point a DNS name at 127.0.0.1 and read this server (DNS rebinding): on loopback,
  // answer only requests addressed to a loopback name.
  const allowedHost = (header: string | undefined): boolean => {
    if (!isLoopback(host)) return true;
    if (!header) return false;
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(header);
    return m !== null && isLoopback(m[1]!.toLowerCase()) && (m[2] === undefined || Number(m[2]) === port);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (!allowedHost(req.headers.host)) return send(res, 403, 'text/plain; charset=utf-8', 'Forbidden: this page answers to 127.0.0.1 and localhost only\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed\n');
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    switch (url.pathname) {
      case '/':
        return send(res, 200, 'text/html; charset=utf-8', PAGE_HTML);
      case '/app.js':
        return send(res, 200, 'text/javascript; charset=utf-8', assets.js);
      case '/app.css':
        return send(res, 200, 'text/css; charset=utf-8', assets.css);
      case '/favicon.svg':
        return send(res, 200, 'image/svg+xml', FAVICON_SVG, 'max-age=86400');
      case '/api/state': {
        const sinceText = url.searchParams.get('since') ?? '0';
        if (!/^\d{1,15}$/.test(sinceText)) return send(res, 400, 'text/plain; charset=utf-8', 'since: a scrape number\n');
        const head = JSON.stringify({ target, intervalMs, historyMs: loop.historyMs, now: Date.now(), status: loop.currentStatus });
        return send(res, 200, 'application/json', `${head.slice(0, -1)},"points":${loop.pointsJsonAfter(Number(sinceText))}}`);
      }
      default:
        return send(res, 404, 'text/plain; charset=utf-8', 'Not found\n');
    }
  };

  const server = createServer(handle);
  server.keepAliveTimeout = 5_000;
  const listen = (at: number) =>
    new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => reject(error);
      server.once('error', onError);
      server.listen(at, host, () => {
        server.off('error', onError);
        resolve();
      });
    });
  try {
    await listen(options.port ?? 0).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE' || !options.fallbackToFreePort) throw error;
      return listen(0);
    });
  } catch (error) {
    throw listenError(error as NodeJS.ErrnoException, host, options.port ?? 0);
  }
  port = (server.address() as AddressInfo).port;
  loop.start();
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        loop.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
