/** Per-chunk cost of @ryot/ai-sdk: a model's stream of text-delta parts read plain and through the middleware. */
import type { RyotApi } from '@ryot/metrics';
import { BENCH_PATHS, benchRyot, compareChunks } from '../../../test/helpers/chunk-bench.js';
import { ryotMiddleware } from '../src/index.js';

const CHUNKS = 10_000;
type Part = { type: string; id?: string; delta?: string; usage?: unknown; finishReason?: unknown };
const parts: Part[] = [
  { type: 'stream-start' },
  ...Array.from({ length: CHUNKS }, (_, i) => ({ type: 'text-delta', id: 't', delta: ` tok${i}` })),
  { type: 'finish', usage: { inputTokens: { total: 10 }, outputTokens: { total: CHUNKS } }, finishReason: { unified: 'stop', raw: 'stop' } },
];
const model = { provider: 'bench.chat', modelId: 'bench' };
function source(): ReadableStream<Part> {
  let i = 0;
  return new ReadableStream<Part>({ pull: (controller) => (i < parts.length ? controller.enqueue(parts[i++]!) : controller.close()) }, { highWaterMark: 0 });
}
async function drain(stream: ReadableStream<Part>): Promise<void> {
  const reader = stream.getReader();
  while (!(await reader.read()).done);
}

async function run(api: RyotApi, semconv: boolean | undefined): Promise<void> {
  if (semconv === undefined) return drain(source());
  const middleware = ryotMiddleware({ ryot: api, genAiSemconv: semconv, legacyGenAiSystem: false });
  const result = await middleware.wrapStream({ doStream: async () => ({ stream: source() }), params: {}, model });
  return drain(result.stream);
}

console.log(`@ryot/ai-sdk per-chunk cost, ${CHUNKS} parts, median of 15 interleaved rounds; overhead: median [min..max] over rounds\n`);
for (const path of BENCH_PATHS) {
  const { api, provider } = benchRyot(path);
  await compareChunks(`model stream parts (${path})`, CHUNKS, { plain: () => run(api, undefined), instrumented: () => run(api, false) });
  await compareChunks(`model stream parts +semconv (${path})`, CHUNKS, { plain: () => run(api, undefined), instrumented: () => run(api, true) });
  await provider.shutdown();
}
