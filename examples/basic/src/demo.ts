/**
 * A few simulated streaming requests recorded with @ryot/metrics, then the Prometheus
 * text a scrape would return. Run it with `pnpm demo` from the repository root.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { metrics } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import {
  enqueue,
  modelInfo,
  recordBatch,
  recordCacheLookup,
  recordModelLoad,
  ryotViews,
  systemInfo,
  trackTokenGeneration,
  updateGpuMetrics,
} from '@ryot/metrics';

const HELP = `Usage: pnpm demo:basic

Records a few simulated streaming requests with @ryot/metrics (two models, one simulated OOM,
two clients that disconnect early) and prints the Prometheus text a scrape would return.
No options.
`;
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(HELP);
  process.exit(0);
}
if (args.length > 0) {
  process.stderr.write(`pnpm demo:basic: takes no options, got '${args[0]}' (see pnpm demo:basic --help)\n`);
  process.exit(2);
}

const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, withoutTargetInfo: true });
const provider = new MeterProvider({ readers: [exporter], views: ryotViews() });
metrics.setGlobalMeterProvider(provider);

interface SimulatedModel {
  name: string;
  prefillMs: number;
  stepMs: number;
}
const MODELS: SimulatedModel[] = [
  { name: 'llama-3-8b', prefillMs: 30, stepMs: 8 },
  { name: 'mistral-7b', prefillMs: 45, stepMs: 12 },
];

/** A lazy token stream: prefill, then one token per decode step; fails now and then. */
async function* generate(model: SimulatedModel, tokens: number, fail: boolean): AsyncGenerator<string> {
  await sleep(model.prefillMs);
  for (let i = 0; i < tokens; i++) {
    if (fail && i === Math.floor(tokens / 2)) throw new Error('CUDA out of memory (simulated)');
    await sleep(model.stepMs + Math.random() * 4);
    yield `tok${i}`;
  }
}

const streamFor = (model: SimulatedModel) => trackTokenGeneration({ model: model.name })(generate);

async function main(): Promise<void> {
  systemInfo.info({ example: 'basic' });
  for (const model of MODELS) {
    recordModelLoad(model.name, 2 + Math.random() * 8);
    modelInfo.info({ model: model.name, quantization: 'fp16' });
  }
  const requests = MODELS.flatMap((model, m) =>
    Array.from({ length: 6 }, async (_, i) => {
      const ticket = enqueue(model.name);
      await sleep(i * 5);
      ticket.dequeue();
      recordCacheLookup({ model: model.name, hit: i % 3 !== 0 });
      recordBatch({ model: model.name, size: 1 + i });
      const stream = streamFor(model)(model, 10 + i * 3, i === 5 && m === 1);
      let count = 0;
      try {
        for await (const token of stream) {
          void token;
          if (++count === 12 && i === 4) break; // a client that disconnects early
        }
      } catch {
        // the simulated OOM: recorded as an error by the wrapper
      }
    }),
  );
  await Promise.all(requests);
  updateGpuMetrics({ model: 'llama-3-8b', gpuId: 0, usedBytes: 14.2e9, reservedBytes: 16e9, utilization: 71 });

  const { resourceMetrics } = await exporter.collect();
  process.stdout.write(new PrometheusSerializer('', false, undefined, true, true).serialize(resourceMetrics));
  process.stdout.write('\n# 12 simulated requests: 9 success, 2 cancelled (clients that disconnected after 12 tokens), 1 error (a simulated OOM mid-stream).\n');
  await provider.shutdown();
}

void main();
