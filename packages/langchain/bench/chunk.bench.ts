/** Per-chunk cost of @ryot/langchain: handleLLMNewToken per token, against the same loop without the handler. */
import type { RyotApi } from '@ryot/metrics';
import { BENCH_PATHS, benchRyot, compareChunks } from '../../../test/helpers/chunk-bench.js';
import { RyotCallbackHandler } from '../src/index.js';

const CHUNKS = 10_000;
const tokens = Array.from({ length: CHUNKS }, (_, i) => ` tok${i}`);
const idx = { prompt: 0, completion: 0 };
let sink = 0;

async function run(api: RyotApi, semconv: boolean | undefined): Promise<void> {
  if (semconv === undefined) {
    for (const token of tokens) sink += token.length;
    return;
  }
  const handler = new RyotCallbackHandler({ ryot: api, genAiSemconv: semconv, legacyGenAiSystem: false });
  handler.handleChatModelStart({ lc: 1, type: 'not_implemented', id: ['bench'] }, [], 'run', undefined, { invocation_params: { model: 'bench', stream: true } }, undefined, { ls_provider: 'openai' });
  for (const token of tokens) {
    sink += token.length;
    handler.handleLLMNewToken(token, idx, 'run');
  }
  handler.handleLLMEnd({ generations: [] }, 'run');
}

console.log(`@ryot/langchain per-token cost, ${CHUNKS} tokens, median of 15 interleaved rounds; overhead: median [min..max] over rounds\n`);
for (const path of BENCH_PATHS) {
  const { api, provider } = benchRyot(path);
  await compareChunks(`handleLLMNewToken (${path})`, CHUNKS, { plain: () => run(api, undefined), instrumented: () => run(api, false) });
  await compareChunks(`handleLLMNewToken +semconv (${path})`, CHUNKS, { plain: () => run(api, undefined), instrumented: () => run(api, true) });
  await provider.shutdown();
}
if (sink < 0) console.log(sink);
