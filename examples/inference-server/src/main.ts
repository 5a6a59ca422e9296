/**
 * Runs the example server: `pnpm --filter @ryot/example-inference-server start`.
 * PORT (default 8000) and HOST (default 0.0.0.0, for containers) pick the address;
 * OTEL_* variables configure telemetry (Prometheus on the same port at /metrics by default).
 */
import { configure } from '@ryot/metrics';
import { parseExporterList, startTelemetry } from '@ryot/exporters';
import { createInferenceServer } from './server/server.js';
import { DEMO_FAULTS, NO_FAULTS } from './engine/model-spec.js';
import { EXAMPLE_RYOT_OPTIONS } from './ryot-options.js';

// SLO targets (goodput), prices (cost) and tenants from API keys.
configure(EXAMPLE_RYOT_OPTIONS);

// Prometheus is served on the server's own port at /metrics; OTEL_METRICS_EXPORTER=otlp (or
// prometheus,otlp) adds or replaces it with OTLP push, as in the collector-sidecar manifest.
const exporters = process.env['OTEL_METRICS_EXPORTER'] ? parseExporterList(process.env) : ['prometheus'];
const telemetry = await startTelemetry({
  serviceName: process.env['OTEL_SERVICE_NAME'] ?? 'ryot-example-inference-server',
  prometheus: exporters.includes('prometheus') ? { server: false } : false,
  otlp: exporters.includes('otlp'),
  handleSignals: true,
});
const server = await createInferenceServer({
  port: Number(process.env['PORT'] ?? 8000),
  host: process.env['HOST'] ?? '0.0.0.0',
  faults: process.env['RYOT_EXAMPLE_FAULTS'] === 'off' ? NO_FAULTS : DEMO_FAULTS,
  metricsHandler: telemetry.prometheus?.handler,
  simulateGpu: !telemetry.gpu,
});
console.log(`ryot example inference server on ${server.url} (metrics: ${server.url}/metrics)`);
