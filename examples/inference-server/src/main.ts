/**
 * Runs the example server: `pnpm --filter @ryot/example-inference-server start`.
 * PORT (default 8000) and HOST (default 0.0.0.0, for containers) pick the address;
 * OTEL_* variables configure telemetry (Prometheus on the same port at /metrics by default).
 */
import { configure } from '@ryot/metrics';
import { parseExporterList, startTelemetry } from '@ryot/exporters';
import { describeListenError, fail, integerFlag, parseCli, UsageError } from './cli.js';
import { createInferenceServer, type InferenceServer } from './server/server.js';
import { DEMO_FAULTS, NO_FAULTS } from './engine/model-spec.js';
import { EXAMPLE_RYOT_OPTIONS } from './ryot-options.js';

// SLO targets (goodput), prices (cost) and tenants from API keys.
configure(EXAMPLE_RYOT_OPTIONS);

const PROGRAM = 'example server';
const HELP = `Usage: pnpm --filter @ryot/example-inference-server start

The example OpenAI-compatible inference server (a simulated engine), instrumented with Ryot.
Configured by environment variables:
  PORT                    port to listen on (default 8000; 0 picks a free one)
  HOST                    address to bind (default 0.0.0.0)
  RYOT_EXAMPLE_FAULTS     'off' disables the injected faults
  OTEL_METRICS_EXPORTER   prometheus (default: /metrics on the same port), otlp, or both
  OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT, ...   as for any OpenTelemetry SDK
`;

let port: number;
try {
  if (parseCli(process.argv.slice(2), { help: { type: 'boolean', short: 'h' } }).help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  port = integerFlag('PORT', process.env['PORT'] ?? '8000', 0, 65_535);
} catch (error) {
  if (error instanceof UsageError) fail(`${PROGRAM}: ${error.message} (see --help)`, 2);
  throw error;
}

// Prometheus is served on the server's own port at /metrics; OTEL_METRICS_EXPORTER=otlp (or
// prometheus,otlp) adds or replaces it with OTLP push, as in the collector-sidecar manifest.
const exporters = process.env['OTEL_METRICS_EXPORTER'] ? parseExporterList(process.env) : ['prometheus'];
const telemetry = await startTelemetry({
  serviceName: process.env['OTEL_SERVICE_NAME'] ?? 'ryot-example-inference-server',
  prometheus: exporters.includes('prometheus') ? { server: false } : false,
  otlp: exporters.includes('otlp'),
  handleSignals: true,
});
let server: InferenceServer;
try {
  server = await createInferenceServer({
    port,
    host: process.env['HOST'] ?? '0.0.0.0',
    faults: process.env['RYOT_EXAMPLE_FAULTS'] === 'off' ? NO_FAULTS : DEMO_FAULTS,
    metricsHandler: telemetry.prometheus?.handler,
    simulateGpu: !telemetry.gpu,
  });
} catch (error) {
  await telemetry.shutdown();
  const message = describeListenError(error, port, 'PORT=<n>');
  if (message === undefined) throw error;
  fail(`${PROGRAM}: ${message}`, 1);
}
console.log(`ryot example inference server on ${server.url} (metrics: ${server.url}/metrics)`);
