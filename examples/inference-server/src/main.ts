/**
 * Runs the example server: `pnpm --filter @ryot/example-inference-server start`.
 * PORT (default 8000) and HOST (default 0.0.0.0, for containers) pick the address;
 * OTEL_* variables configure telemetry (Prometheus on the same port at /metrics by default).
 */
import { startTelemetry } from '@ryot/exporters';
import { createInferenceServer } from './server/server.js';
import { DEMO_FAULTS, NO_FAULTS } from './engine/model-spec.js';

const telemetry = await startTelemetry({
  serviceName: process.env['OTEL_SERVICE_NAME'] ?? 'ryot-example-inference-server',
  prometheus: { server: false },
  handleSignals: true,
});
const server = await createInferenceServer({
  port: Number(process.env['PORT'] ?? 8000),
  host: process.env['HOST'] ?? '0.0.0.0',
  faults: process.env['RYOT_EXAMPLE_FAULTS'] === 'off' ? NO_FAULTS : DEMO_FAULTS,
  metricsHandler: telemetry.prometheus?.handler,
});
console.log(`ryot example inference server on ${server.url} (metrics: ${server.url}/metrics)`);
