/**
 * `pnpm demo`: the example server on a free port, ~20 s of mixed load, then a per-model
 * summary computed from the scraped histograms next to the clients' own stopwatches.
 */
import { createHash } from 'node:crypto';
import { configure } from '@ryot/metrics';
import { startTelemetry } from '@ryot/exporters';
import { startWebView, type WebView } from '@ryot/top';
import { describeListenError, fail, integerFlag, parseCli, secondsFlag, UsageError } from '../cli.js';
import { DEMO_FAULTS } from '../engine/model-spec.js';
import { seededRandom } from '../engine/rng.js';
import { EXAMPLE_RYOT_OPTIONS, EXAMPLE_SLO } from '../ryot-options.js';
import { createInferenceServer, type InferenceServer } from '../server/server.js';
import { DEMO_TENANTS, runLoad } from './load.js';
import { startProgress } from './progress.js';
import { scrapeWhenSettled } from './settled-scrape.js';
import { renderSummary, renderTenants, summarize, tenantSpend } from './summary.js';

const PROGRAM = 'pnpm demo';
const HELP = `Usage: pnpm demo [options]

Starts the example inference server (an OpenAI-compatible API over a simulated engine,
instrumented with Ryot), drives mixed load at it with a progress bar, then prints a per-model
summary from the scraped /metrics next to the load generator's own stopwatches.

Options:
  --duration <s>      seconds of load (default 20)
  --concurrency <n>   closed-loop clients (default 16)
  --port <n>          port for the server (default 0: a free one)
  --seed <n>          seed of the simulated engine and the load (default 7)
  --keep-running      keep serving after the summary (for pnpm top, curl, Prometheus), and serve
                      live charts of it in a browser (ryot top --web) from the start; Ctrl-C stops
  -h, --help          this help
`;

function parseOptions() {
  try {
    const values = parseCli(process.argv.slice(2), {
      duration: { type: 'string', default: '20' },
      concurrency: { type: 'string', default: '16' },
      'keep-running': { type: 'boolean', default: false },
      port: { type: 'string', default: '0' },
      seed: { type: 'string', default: '7' },
      help: { type: 'boolean', short: 'h', default: false },
    });
    if (values.help) {
      process.stdout.write(HELP);
      process.exit(0);
    }
    return {
      durationSeconds: secondsFlag('--duration', values.duration),
      concurrency: integerFlag('--concurrency', values.concurrency, 1, 10_000),
      port: integerFlag('--port', values.port, 0, 65_535),
      seed: integerFlag('--seed', values.seed, 0),
      keepRunning: values['keep-running'],
    };
  } catch (error) {
    if (error instanceof UsageError) fail(`${PROGRAM}: ${error.message} (see ${PROGRAM} --help)`, 2);
    throw error;
  }
}

const options = parseOptions();
// SLO targets (goodput), prices (cost) and tenants from API keys, as the example server declares them.
configure(EXAMPLE_RYOT_OPTIONS);
const telemetry = await startTelemetry({
  serviceName: 'ryot-demo',
  prometheus: { server: false, withoutScopeInfo: true },
});
let server: InferenceServer;
try {
  server = await createInferenceServer({
    port: options.port,
    faults: DEMO_FAULTS,
    seed: options.seed,
    metricsHandler: telemetry.prometheus?.handler,
    simulateGpu: !telemetry.gpu,
  });
} catch (error) {
  await telemetry.shutdown();
  const message = describeListenError(error, options.port, '--port');
  if (message === undefined) throw error;
  fail(`${PROGRAM}: ${message}`, 1);
}
const models = [...server.engines.keys()];
console.log(`Ryot demo: example inference server on ${server.url} serving ${models.join(', ')}`);
// With --keep-running the demo also serves `ryot top --web` for its own /metrics, from the start: the load can be
// watched as it happens, and the page stays up afterwards.
let web: WebView | undefined;
if (options.keepRunning) {
  web = await startWebView({ target: `${server.url}/metrics` });
  console.log(`  live charts in a browser: ${web.url}`);
}
console.log(`  ${options.concurrency} clients for ${options.durationSeconds}s: streaming and non-streaming, chat and completions, a few aborted streams and invalid requests`);

let sent = 0;
const stopProgress = startProgress(options.durationSeconds * 1000, () => sent);
const startedAt = performance.now();
const clients = await runLoad({
  baseUrl: server.url,
  models,
  concurrency: options.concurrency,
  durationMs: options.durationSeconds * 1000,
  random: seededRandom(options.seed + 1),
  onRequest: () => sent++,
  targetsFor: (model) => EXAMPLE_SLO.models?.[model] ?? EXAMPLE_SLO.default,
});
const elapsedSeconds = (performance.now() - startedAt) / 1000;
stopProgress();

const metricsText = await scrapeWhenSettled(`${server.url}/metrics`);
const invalid = clients.get('invalid');
console.log('');
console.log(renderSummary(summarize(metricsText, clients, elapsedSeconds), invalid ? [...invalid.outcomes.values()].reduce((a, b) => a + b, 0) : 0));
console.log('');
// The tenant labels are digests of the keys (EXAMPLE_TENANTS hashes them without a salt): the demo knows its keys.
const digest = (key: string) => createHash('sha256').update('').update('\0').update(key).digest('hex').slice(0, 16);
console.log(renderTenants(tenantSpend(metricsText, new Map(DEMO_TENANTS.map(([key]) => [digest(key), key.replace('sk-demo-', '')])))));
console.log('');
console.log(`Scrape it:      curl -s ${server.url}/metrics | grep ^ryot_`);
console.log(`Watch it live:  pnpm top ${server.url}/metrics   (from the repository root, with --keep-running; q quits)`);
console.log(
  web
    ? `In a browser:   ${web.url}   (ryot top --web, served by this demo)`
    : `In a browser:   pnpm top --web ${server.url}/metrics   (with --keep-running the demo serves it itself)`,
);
console.log('Prometheus, rules and a Grafana dashboard: examples/prometheus, examples/grafana.');

if (options.keepRunning) {
  console.log(`\nStill serving on ${server.url} (Ctrl-C to stop).`);
  const stop = async () => {
    await web?.close();
    await server.close();
    await telemetry.shutdown();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
} else {
  await server.close();
  await telemetry.shutdown();
}
