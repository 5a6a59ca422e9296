/**
 * Simulates an LLM service for a while and pushes its Ryot metrics over OTLP/HTTP.
 *
 *   docker run --rm -p 4318:4318 -p 8889:8889 \
 *     -v "$PWD/otel-collector.yaml:/etc/otelcol-contrib/config.yaml" otel/opentelemetry-collector-contrib
 *   pnpm --filter @ryot/example-otlp-push start
 *
 * Everything is also configurable through OTEL_* variables (OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, OTEL_METRIC_EXPORT_INTERVAL, OTEL_SERVICE_NAME...).
 * RYOT_EXAMPLE_SECONDS sets how long it runs (default 30).
 */
import { DiagConsoleLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { startTelemetry } from '@ryot/exporters';
import { trackTokenGeneration, trackInferenceRequest } from '@ryot/metrics';

const HELP = `Usage: pnpm example:otlp-push

Simulates a chat model and an embedding model and pushes their Ryot metrics over OTLP/HTTP,
then flushes and exits. Configured by environment variables:
  OTEL_EXPORTER_OTLP_ENDPOINT   the collector (default http://localhost:4318)
  OTEL_METRIC_EXPORT_INTERVAL   ms between exports (default 5000)
  OTEL_SERVICE_NAME             service.name (default otlp-push-example)
  RYOT_EXAMPLE_SECONDS          how long it runs (default 30)
`;
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(HELP);
  process.exit(0);
}

function usageError(problem: string): never {
  process.stderr.write(`pnpm example:otlp-push: ${problem} (see --help)\n`);
  process.exit(2);
}

/** A number above 0 from an environment variable, or its default; anything else is a one-line usage error. */
function positiveEnv(name: string, fallback: number, integer: boolean): number {
  const text = process.env[name]?.trim();
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!(value > 0 && Number.isFinite(value)) || (integer && !/^\d+$/.test(text))) {
    usageError(`${name} must be ${integer ? 'a whole number' : 'a number'} above 0, got '${process.env[name]}'`);
  }
  return value;
}

if (args.length > 0) usageError(`takes no options (environment variables instead), got '${args[0]}'`);
const seconds = positiveEnv('RYOT_EXAMPLE_SECONDS', 30, false);
const intervalMs = positiveEnv('OTEL_METRIC_EXPORT_INTERVAL', 5000, true);

diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN); // shows failed exports

const telemetry = await startTelemetry({
  serviceName: process.env.OTEL_SERVICE_NAME ?? 'otlp-push-example',
  // Unset fields fall back to OTEL_* variables, then to http://localhost:4318/v1/metrics.
  otlp: { intervalMs },
  handleSignals: true,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const stream = trackTokenGeneration({ model: (model: string) => model })(async function* (model: string, tokens: number) {
  await sleep(20 + Math.random() * 80); // time to first token
  for (let i = 0; i < tokens; i++) {
    if (i > 0) await sleep(2 + Math.random() * 8);
    yield `${model}-token-${i}`;
  }
});
const embed = trackInferenceRequest({ model: 'bge-small' })(async (fail: boolean) => {
  await sleep(5 + Math.random() * 20);
  if (fail) throw new Error('embedding backend unavailable');
  return new Float32Array(384);
});

console.log(`pushing ${telemetry.exporters.join(', ') || 'nothing (no exporter)'} for ${seconds}s; Ctrl-C flushes and exits`);
const end = Date.now() + seconds * 1000;
let requests = 0;
while (Date.now() < end) {
  const model = Math.random() < 0.7 ? 'llama-3-8b' : 'mistral-7b';
  await Promise.all([
    (async () => {
      for await (const _token of stream(model, 5 + Math.floor(Math.random() * 30))) void _token;
    })(),
    embed(Math.random() < 0.05).catch(() => undefined),
  ]);
  requests += 2;
}
await telemetry.shutdown(); // the final export carries everything since the last interval
console.log(`done: ${requests} requests recorded and flushed`);
