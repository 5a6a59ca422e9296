#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { HELP, parseConfig, type Config } from './args.js';
import { parseExposition, type Exposition } from './parse.js';
import { renderTable, sortRows, SORT_KEYS, type ScreenStatus } from './render.js';
import { computeDevices, computeModelRows, type DeviceRow, type ModelRow } from './rows.js';
import { scrape } from './scrape.js';
import { displayTarget, isLoopback, startWebView, type WebView } from './web/server.js';

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

interface Snapshot {
  exposition: Exposition;
  /** performance.now() when the response arrived (see ScrapeResult.at). */
  at: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `--once`: two scrapes an interval apart, one plain frame on stdout. */
async function runOnce(config: Config): Promise<number> {
  const snapshots: Snapshot[] = [];
  for (let i = 0; i < 2; i++) {
    if (i > 0) await sleep(config.intervalMs);
    const result = await scrape(config.url, { timeoutMs: config.timeoutMs, ...(config.token ? { token: config.token } : {}) });
    if (!result.ok) {
      process.stderr.write(`ryot top: cannot scrape ${config.url}: ${result.error}\n`);
      return 1;
    }
    snapshots.push({ exposition: parseExposition(result.text), at: result.at });
  }
  const [previous, current] = snapshots as [Snapshot, Snapshot];
  const rows = sortRows(computeModelRows(previous.exposition, current.exposition, (current.at - previous.at) / 1000), config.sortBy);
  const status: ScreenStatus = {
    url: config.url,
    intervalMs: config.intervalMs,
    state: 'ok',
    parseErrors: current.exposition.errors.length,
    sortBy: config.sortBy,
  };
  const width = process.stdout.isTTY ? process.stdout.columns || 120 : 160;
  process.stdout.write(`${renderTable(rows, computeDevices(current.exposition), status, width, { keys: false })}\n`);
  return 0;
}

const SCREEN_ENTER = '\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J';
const SCREEN_LEAVE = '\x1b[?25h\x1b[?1049l';

/** The interactive loop. Resolves with the exit code once the user quits. */
function runLive(config: Config): Promise<number> {
  const out = process.stdout;
  const input = process.stdin;
  const interactive = out.isTTY === true;
  let previous: Snapshot | undefined;
  let current: Snapshot | undefined;
  let rows: ModelRow[] = [];
  let devices: DeviceRow[] = [];
  let status: ScreenStatus = { url: config.url, intervalMs: config.intervalMs, state: 'connecting', sortBy: config.sortBy };
  let sortBy = config.sortBy;
  let paused = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let finish: (code: number) => void = () => {};

  const draw = () => {
    if (stopped) return;
    const frame = renderTable(sortRows(rows, sortBy), devices, { ...status, now: Date.now(), sortBy, paused }, out.columns || 80, {
      color: config.color && interactive,
    });
    if (!interactive) {
      out.write(`${frame}\n\n`);
      return;
    }
    let lines = frame.split('\n');
    const height = out.rows || 24;
    if (lines.length > height) lines = [...lines.slice(0, height - 1), lines[lines.length - 1]!];
    out.write(`\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\n')}\x1b[J`);
  };

  const tick = async () => {
    const started = performance.now();
    const result = await scrape(config.url, { timeoutMs: config.timeoutMs, ...(config.token ? { token: config.token } : {}) });
    if (stopped) return;
    if (result.ok) {
      const exposition = parseExposition(result.text);
      previous = current;
      current = { exposition, at: result.at };
      rows = computeModelRows(previous?.exposition, exposition, previous ? (result.at - previous.at) / 1000 : 0);
      devices = computeDevices(exposition);
      status = {
        url: config.url,
        intervalMs: config.intervalMs,
        state: 'ok',
        lastSuccessAt: Date.now(),
        scrapeMs: result.ms,
        parseErrors: exposition.errors.length,
        warmingUp: previous === undefined,
      };
    } else {
      status = {
        url: config.url,
        intervalMs: config.intervalMs,
        state: 'error',
        error: result.error,
        failures: (status.state === 'error' ? (status.failures ?? 1) : 0) + 1,
        ...(status.lastSuccessAt !== undefined ? { lastSuccessAt: status.lastSuccessAt } : {}),
      };
    }
    if (!paused) draw();
    timer = setTimeout(() => void tick(), Math.max(0, config.intervalMs - (performance.now() - started)));
  };

  const restore = () => {
    if (stopped) return;
    stopped = true;
    if (timer) clearTimeout(timer);
    out.off('resize', draw);
    input.off('data', onKey);
    if (input.isTTY) input.setRawMode(false);
    input.pause();
    if (interactive) out.write(SCREEN_LEAVE);
  };

  const quit = (code: number) => {
    restore();
    finish(code);
  };

  function onKey(data: Buffer | string) {
    for (const ch of data.toString()) {
      if (ch === 'q' || ch === 'Q' || ch === '\x03' || ch === '\x04') return quit(0);
      if (ch === 's' || ch === 'S') sortBy = SORT_KEYS[(SORT_KEYS.indexOf(sortBy) + 1) % SORT_KEYS.length]!;
      else if (ch === 'p' || ch === 'P' || ch === ' ') paused = !paused;
      else continue;
      draw();
    }
  }

  return new Promise<number>((resolve) => {
    finish = resolve;
    const onSignal = (signal: NodeJS.Signals) => quit(signal === 'SIGINT' ? 0 : 128 + (signal === 'SIGTERM' ? 15 : 1));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.once('SIGHUP', onSignal);
    process.once('exit', restore);
    process.once('uncaughtException', (error) => {
      restore();
      process.stderr.write(`ryot top: ${error.stack ?? String(error)}\n`);
      resolve(1);
    });
    if (interactive) {
      out.write(SCREEN_ENTER);
      out.on('resize', draw);
    }
    if (input.isTTY) input.setRawMode(true);
    input.setEncoding('utf8');
    input.on('data', onKey);
    input.resume();
    draw();
    void tick();
  });
}

/** `--web`: serves the page until SIGINT/SIGTERM/SIGHUP, then closes the listener and the scrape loop. */
async function runWeb(config: Config, web: NonNullable<Config['web']>): Promise<number> {
  const options = {
    target: config.url,
    intervalMs: config.intervalMs,
    timeoutMs: config.timeoutMs,
    host: web.host,
    ...(config.token ? { token: config.token } : {}),
  };
  let view: WebView;
  try {
    // The default port is only a preference: when it is taken, any free port will do.
    view = await startWebView({ ...options, port: web.port, fallbackToFreePort: !web.portGiven });
  } catch (error) {
    process.stderr.write(`ryot top --web: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  process.stdout.write(`ryot top --web: open ${view.url}  (watching ${displayTarget(config.url)} every ${config.intervalMs / 1000}s; Ctrl-C stops)\n`);
  if (!isLoopback(web.host)) {
    process.stderr.write(`ryot top --web: listening on ${web.host}: anyone who can reach this port can see these metrics (no authentication)\n`);
  }
  return new Promise<number>((resolve) => {
    let closing = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (closing) return;
      closing = true;
      void view.close().then(() => resolve(signal === 'SIGINT' ? 0 : 128 + (signal === 'SIGTERM' ? 15 : 1)));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.once('SIGHUP', onSignal);
  });
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === '-v' || command === '--version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (command !== 'top') {
    process.stderr.write(command === undefined ? HELP : `ryot: unknown command '${command}' (ryot top --help lists the options)\n`);
    return 2;
  }
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(rest);
  } catch (error) {
    // One line: node:util's parseArgs explains some mistakes over several.
    const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
    process.stderr.write(`ryot top: ${message} (ryot top --help lists the options)\n`);
    return 2;
  }
  if (config === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (config === 'version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (config.web) return runWeb(config, config.web);
  return config.once ? runOnce(config) : runLive(config);
}

main(process.argv.slice(2)).then(
  (code) => {
    // Let the last writes (the restored screen) reach the terminal before exiting.
    process.stdout.write('', () => process.exit(code));
  },
  (error: unknown) => {
    process.stderr.write(`ryot top: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
