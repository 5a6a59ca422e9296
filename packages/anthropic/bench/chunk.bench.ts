/** Per-chunk cost of @ryot/anthropic: the SDK's own Stream over an in-memory SSE body, plain and instrumented. */
import type { RyotApi } from '@ryot/metrics';
import { ClientRequest, hookStream, resolveClientOptions } from '@ryot/metrics/instrumentation';
import { Stream } from '@anthropic-ai/sdk/core/streaming';
import { BENCH_PATHS, benchRyot, compareChunks } from '../../../test/helpers/chunk-bench.js';
import { streamReader } from '../src/messages-format.js';
import { ANTHROPIC_SCOPE } from '../src/version.js';

const CHUNKS = 10_000;
const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
const body = new TextEncoder().encode(
  event('message_start', { type: 'message_start', message: { model: 'bench', usage: { input_tokens: 10, output_tokens: 1 } } }) +
    Array.from({ length: CHUNKS }, (_, i) => event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ` tok${i}` } })).join('') +
    event('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: CHUNKS } }) +
    event('message_stop', { type: 'message_stop' }),
);
const response = () => new Response(new Blob([body]).stream(), { headers: { 'content-type': 'text/event-stream' } });

async function run(api: RyotApi, instrument: boolean, semconv: boolean): Promise<void> {
  const stream = Stream.fromSSEResponse(response(), new AbortController());
  if (instrument) {
    const options = resolveClientOptions({ ryot: api, genAiSemconv: semconv, legacyGenAiSystem: false }, 'anthropic');
    const request = new ClientRequest({ options, scope: ANTHROPIC_SCOPE, operation: 'chat', requestModel: 'bench', streaming: true, server: { address: 'localhost', port: 443 }, readChunk: streamReader() });
    hookStream(stream as unknown as Parameters<typeof hookStream>[0], request);
  }
  for await (const e of stream) void e;
}

console.log(`@ryot/anthropic per-chunk cost, ${CHUNKS} chunks, median of 15 interleaved rounds; overhead: median [min..max] over rounds\n`);
for (const path of BENCH_PATHS) {
  const { api, provider } = benchRyot(path);
  await compareChunks(`SDK Stream.fromSSEResponse (${path})`, CHUNKS, { plain: () => run(api, false, false), instrumented: () => run(api, true, false) });
  await compareChunks(`SDK Stream.fromSSEResponse +semconv (${path})`, CHUNKS, { plain: () => run(api, false, false), instrumented: () => run(api, true, true) });
  await provider.shutdown();
}
