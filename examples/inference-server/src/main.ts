/**
 * Runs the example server: `pnpm --filter @ryot/example-inference-server start`.
 * PORT (default 8000) and HOST (default 0.0.0.0, for containers) pick the address;
 * OTEL_* variables configure telemetry (Prometheus on the same port at /metrics by default).
 *
 * WORKERS=N runs it under node:cluster in cluster mode: N workers share PORT, and the primary serves one /metrics
 * for all of them on METRICS_PORT (default 9464), merging the workers' metrics at each scrape. A worker that dies is
 * replaced; SIGTERM drains every worker (in-flight requests finish, their final counts reach the primary) and exits.
 * RYOT_EXAMPLE_STEP_SCALE (default 1) multiplies the models' step and prefill times: a slower or faster replica.
 */
import cluster from 'node:cluster';
import { configure } from '@ryot/metrics';
import { parseExporterList, startTelemetry } from '@ryot/exporters';
import { describeListenError, fail, integerFlag, parseCli, UsageError } from './cli.js';
import { createInferenceServer, type InferenceServer } from './server/server.js';
import { DEFAULT_MODELS, DEMO_FAULTS, NO_FAULTS } from './engine/model-spec.js';
import { EXAMPLE_RYOT_OPTIONS } from './ryot-options.js';

// SLO targets (goodput), prices (cost) and tenants from API keys (in every worker: each records its own requests).
configure(EXAMPLE_RYOT_OPTIONS);

const PROGRAM = 'example server';
const HELP = `Usage: pnpm --filter @ryot/example-inference-server start

The example OpenAI-compatible inference server (a simulated engine), instrumented with Ryot.
Configured by environment variables:
  PORT                    port to listen on (default 8000; 0 picks a free one)
  HOST                    address to bind (default 0.0.0.0)
  RYOT_EXAMPLE_FAULTS     'off' disables the injected faults
  RYOT_EXAMPLE_STEP_SCALE multiplies every model's step and prefill time (default 1)
  WORKERS                 N > 0: cluster mode, N workers sharing PORT (default 0: one process)
  METRICS_PORT            cluster mode: the primary's /metrics port (default 9464)
  OTEL_METRICS_EXPORTER   prometheus (default: /metrics on the same port), otlp, or both
  OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT, ...   as for any OpenTelemetry SDK
`;

let port: number;
let workers: number;
let metricsPort: number;
let stepScale: number;
try {
  if (parseCli(process.argv.slice(2), { help: { type: 'boolean', short: 'h' } }).help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  port = integerFlag('PORT', process.env['PORT'] ?? '8000', 0, 65_535);
  workers = integerFlag('WORKERS', process.env['WORKERS'] ?? '0', 0, 1024);
  metricsPort = integerFlag('METRICS_PORT', process.env['METRICS_PORT'] ?? '9464', 0, 65_535);
  stepScale = Number(process.env['RYOT_EXAMPLE_STEP_SCALE'] ?? '1');
  if (!(stepScale > 0 && Number.isFinite(stepScale))) {
    throw new UsageError(`RYOT_EXAMPLE_STEP_SCALE must be a number above 0, got '${process.env['RYOT_EXAMPLE_STEP_SCALE']}'`);
  }
} catch (error) {
  if (error instanceof UsageError) fail(`${PROGRAM}: ${error.message} (see --help)`, 2);
  throw error;
}

const clustered = workers > 0;
const host = process.env['HOST'] ?? '0.0.0.0';
// Prometheus is served on the server's own port at /metrics; OTEL_METRICS_EXPORTER=otlp (or
// prometheus,otlp) adds or replaces it with OTLP push, as in the collector-sidecar manifest.
// In cluster mode the primary serves it on METRICS_PORT instead: the workers share PORT.
const exporters = process.env['OTEL_METRICS_EXPORTER'] ? parseExporterList(process.env) : ['prometheus'];
let telemetry: Awaited<ReturnType<typeof startTelemetry>>;
try {
  telemetry = await startTelemetry({
    serviceName: process.env['OTEL_SERVICE_NAME'] ?? 'ryot-example-inference-server',
    prometheus: exporters.includes('prometheus') ? (clustered ? { host, port: metricsPort } : { server: false }) : false,
    otlp: exporters.includes('otlp'),
    ...(clustered ? { cluster: true } : {}),
    // In cluster mode the workers drain before they flush, and the primary waits for them (below).
    handleSignals: !clustered,
  });
} catch (error) {
  const message = clustered && cluster.isPrimary ? describeListenError((error as { cause?: unknown }).cause, metricsPort, 'METRICS_PORT=<n>') : undefined;
  if (message === undefined) throw error;
  fail(`${PROGRAM}: ${message}`, 1);
}

if (clustered && cluster.isPrimary) {
  let stopping = false;
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    console.error(`worker ${worker.id} exited (${signal ?? code}); starting another`);
    cluster.fork();
  });
  process.once('SIGTERM', () => {
    stopping = true;
    const running = Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined);
    const exited = running.map((worker) => new Promise((resolve) => worker.once('exit', resolve)));
    for (const worker of running) worker.process.kill('SIGTERM');
    void Promise.all(exited)
      .then(() => telemetry.shutdown())
      .finally(() => process.exit(0));
  });
  for (let i = 0; i < workers; i++) cluster.fork();
  console.log(`ryot example inference server: ${workers} workers on port ${port} (metrics: ${telemetry.prometheus?.url})`);
} else {
  let server: InferenceServer;
  try {
    server = await createInferenceServer({
      port,
      host,
      faults: process.env['RYOT_EXAMPLE_FAULTS'] === 'off' ? NO_FAULTS : DEMO_FAULTS,
      models: DEFAULT_MODELS.map((model) => ({ ...model, stepMs: model.stepMs * stepScale, prefillMsPerToken: model.prefillMsPerToken * stepScale })),
      metricsHandler: telemetry.prometheus?.handler,
      simulateGpu: !telemetry.gpu,
    });
  } catch (error) {
    await telemetry.shutdown();
    const message = describeListenError(error, port, 'PORT=<n>');
    if (message === undefined) throw error;
    fail(`${PROGRAM}: ${message}`, 1);
  }
  if (clustered) {
    process.once('SIGTERM', () => {
      // Stop accepting, let in-flight requests finish (idle keep-alive connections are closed as they appear),
      // then send the final counts to the primary.
      const idle = setInterval(() => server.server.closeIdleConnections(), 100);
      const drained = new Promise<void>((resolve) => server.server.close(() => resolve()));
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
      void Promise.race([drained, deadline])
        .then(() => {
          clearInterval(idle);
          return telemetry.shutdown();
        })
        .finally(() => process.exit(0));
    });
    console.log(`worker ${cluster.worker?.id} (pid ${process.pid}) serving ${server.url}`);
  } else {
    console.log(`ryot example inference server on ${server.url} (metrics: ${server.url}/metrics)`);
  }
}
