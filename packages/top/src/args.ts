import { parseArgs } from 'node:util';
import { SORT_KEYS, type SortKey } from './render.js';

export const DEFAULT_URL = 'http://127.0.0.1:9464/metrics';

/** Where `--web` listens when --port is not given (if it is taken, any free port is used instead). */
export const DEFAULT_WEB_PORT = 9465;

export const HELP = `Usage: ryot top [url] [options]
       ryot top --web [--port N] [url] [options]

Live per-model view of a Ryot /metrics endpoint (Prometheus text format), in the terminal
or, with --web, as charts in a browser page served from this machine.
url defaults to ${DEFAULT_URL}; "host:port" and a URL without a path get /metrics.

Options:
  -i, --interval <d>   time between scrapes: 500ms, 1s, 2.5s, 1m (default 1s; minimum 100ms)
      --timeout <d>    give up on a scrape after this long (default 3s)
      --token <t>      bearer token (default: $RYOT_TOP_TOKEN)
  -s, --sort <key>     name | req | err | ttft | tok (default name)
      --once           scrape twice, --interval apart, print one frame and exit (1 if unreachable)
      --no-color       plain text
      --web            serve a live page with charts instead of the terminal table
      --port <n>       --web: port of the page (default ${DEFAULT_WEB_PORT}, or any free one if taken; 0: any free)
      --host <addr>    --web: address to listen on (default 127.0.0.1: this machine only)
  -h, --help           this help
  -v, --version        the version

Keys: q or Ctrl-C quit, s next sort column, p pause/resume the display.
`;

export class UsageError extends Error {}

/** '500ms', '1s', '2.5s', '1m', or a bare number of seconds → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(unit === 'ms' ? n : unit === 'm' ? n * 60_000 : n * 1000);
}

/** Accepts `host:port`, `http://host:port` and full URLs; a bare host or `/` path gets `/metrics`. */
export function normalizeUrl(input: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `http://${input}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`not a URL: ${input}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`only http and https URLs: ${input}`);
  // fetch() refuses them, and a page or a screen would show them: a token goes in --token.
  if (url.username || url.password) throw new UsageError('no user:password in the URL, please (a bearer token goes in --token or RYOT_TOP_TOKEN)');
  if (url.pathname === '/' && !withScheme.replace(/^[a-z]+:\/\/[^/]*/i, '').startsWith('/')) url.pathname = '/metrics';
  return url.toString();
}

export interface Config {
  url: string;
  intervalMs: number;
  timeoutMs: number;
  token?: string;
  once: boolean;
  color: boolean;
  sortBy: SortKey;
  /** Present with --web: where the page listens. `portGiven` false means DEFAULT_WEB_PORT, with a fallback. */
  web?: { host: string; port: number; portGiven: boolean };
}

function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`bad --port '${text}' (0 to 65535; 0 picks a free port)`);
  return Number(text);
}

/** Parses the arguments after `top`. Throws UsageError (or parseArgs' TypeError) for bad input. */
export function parseConfig(args: string[], env: NodeJS.ProcessEnv = process.env): Config | 'help' | 'version' {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      interval: { type: 'string', short: 'i' },
      timeout: { type: 'string' },
      token: { type: 'string' },
      sort: { type: 'string', short: 's' },
      once: { type: 'boolean' },
      'no-color': { type: 'boolean' },
      web: { type: 'boolean' },
      port: { type: 'string' },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.help) return 'help';
  if (values.version) return 'version';
  if (positionals.length > 1) throw new UsageError(`one URL at most, got ${positionals.length}`);
  const intervalMs = values.interval === undefined ? 1000 : parseDuration(values.interval);
  if (intervalMs === undefined || intervalMs < 100) throw new UsageError(`bad --interval '${values.interval}' (e.g. 1s, 500ms; at least 100ms)`);
  const timeoutMs = values.timeout === undefined ? 3000 : parseDuration(values.timeout);
  if (timeoutMs === undefined || timeoutMs < 1) throw new UsageError(`bad --timeout '${values.timeout}' (e.g. 3s)`);
  const sortBy = (values.sort ?? 'name') as SortKey;
  if (!SORT_KEYS.includes(sortBy)) throw new UsageError(`bad --sort '${values.sort}' (one of ${SORT_KEYS.join(', ')})`);
  const token = values.token ?? env.RYOT_TOP_TOKEN;
  if (!values.web && (values.port !== undefined || values.host !== undefined)) {
    throw new UsageError(`${values.port !== undefined ? '--port' : '--host'} needs --web`);
  }
  if (values.web && values.once) throw new UsageError('--once and --web do not combine (--once prints one terminal frame)');
  if (values.host !== undefined && !/^[a-z0-9.:[\]-]+$/i.test(values.host)) throw new UsageError(`bad --host '${values.host}' (an IP address or a host name)`);
  const web = values.web
    ? {
        host: (values.host ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1'),
        port: values.port === undefined ? DEFAULT_WEB_PORT : parsePort(values.port),
        portGiven: values.port !== undefined,
      }
    : undefined;
  return {
    url: normalizeUrl(positionals[0] ?? DEFAULT_URL),
    intervalMs,
    timeoutMs,
    ...(token ? { token } : {}),
    once: values.once === true,
    color: values['no-color'] !== true && !env.NO_COLOR,
    sortBy,
    ...(web ? { web } : {}),
  };
}
