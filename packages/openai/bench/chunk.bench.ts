/**
 * Per-chunk cost of @ryot/openai against iterating the same stream uninstrumented, and against the
 * raw OTel records a per-chunk metric needs anyway (performance.now() + histogram.record per gap).
 *
 *   overhead/chunk = (instrumented − plain) / chunks
 *   raw record/chunk = (plain + hand-written records − plain) / chunks
 *   ratio = overhead / raw record   (target ≤ 1.15)
 *
 * Two sources: the openai SDK's own Stream.fromSSEResponse over an in-memory SSE Response, and an
 * in-memory async iterator of parsed chunks (no SSE parsing, so the difference is not drowned in it).
 * Prints numbers only; timings on shared machines are noisy, nothing is asserted.
 */
import { performance } from 'node:perf_hooks';
import type { Attributes, Histogram } from '@opentelemetry/api';
import type { RyotApi } from '@ryot/metrics';
import { ClientRequest, METRICS, MeasuredIterator, RYOT_METER_NAME, createInstrument, hookStream, resolveClientOptions } from '@ryot/metrics/instrumentation';
import { Stream } from 'openai/core/streaming';
import { BENCH_PATHS, benchRyot, medians, samplesMs, spreadNs } from '../../../test/helpers/chunk-bench.js';
import { readChatChunk } from '../src/chat-format.js';
import { OPENAI_SCOPE } from '../src/version.js';

const CHUNKS = 10_000;
const ROUNDS = 15;
/** The Ryot instance under test and the raw instruments, on the aggregation path being measured (set per path below). */
let bench: { api: RyotApi; rawItl: Histogram; rawChunk: Histogram };
const rawAttributes: Attributes = { model: 'bench-raw' };
// The same attribute set the instrumentation records (attribute count drives the SDK's hashing cost).
const rawGenAiAttributes: Attributes = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'bench-raw',
  'gen_ai.response.model': 'bench',
  'server.address': 'localhost',
  'server.port': 443,
};

const chunkObjects = Array.from({ length: CHUNKS }, (_, i) => ({
  id: 'chatcmpl-bench',
  object: 'chat.completion.chunk',
  created: 0,
  model: 'bench',
  choices: [{ index: 0, delta: { content: ` tok${i}` }, finish_reason: null }],
}));
const sseBytes = new TextEncoder().encode(chunkObjects.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('') + 'data: [DONE]\n\n');

function sseResponse(): Response {
  let offset = 0;
  return new Response(
    new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= sseBytes.length) return controller.close();
        controller.enqueue(sseBytes.subarray(offset, offset + 16384));
        offset += 16384;
      },
    }),
    { headers: { 'content-type': 'text/event-stream' } },
  );
}

async function* memoryChunks(): AsyncGenerator<unknown> {
  for (let i = 0; i < CHUNKS; i++) yield chunkObjects[i];
}

function measurement(semconv: boolean): ClientRequest {
  const options = resolveClientOptions({ ryot: bench.api, genAiSemconv: semconv, legacyGenAiSystem: false }, 'openai');
  return new ClientRequest({ options, scope: OPENAI_SCOPE, operation: 'chat', requestModel: 'bench', streaming: true, server: { address: 'localhost', port: 443 }, readChunk: readChatChunk });
}

type Variant = (semconv: boolean) => Promise<void>;

function hasContent(chunk: unknown): boolean {
  const content = (chunk as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content;
  return typeof content === 'string' && content.length > 0;
}

async function consumeRaw(iterable: AsyncIterable<unknown>, records: 0 | 1 | 2): Promise<void> {
  let last = -1;
  for await (const chunk of iterable) {
    if (records === 0) continue;
    if (!hasContent(chunk)) continue;
    const now = performance.now();
    if (last >= 0) {
      bench.rawItl.record((now - last) / 1000, rawAttributes);
      if (records === 2) bench.rawChunk.record((now - last) / 1000, rawGenAiAttributes);
    }
    last = now;
  }
}

const sdk = {
  plain: async () => consumeRaw(Stream.fromSSEResponse(sseResponse(), new AbortController()), 0),
  raw: async (semconv: boolean) => consumeRaw(Stream.fromSSEResponse(sseResponse(), new AbortController()), semconv ? 2 : 1),
  instrumented: async (semconv: boolean) => {
    const stream = Stream.fromSSEResponse(sseResponse(), new AbortController());
    hookStream(stream as unknown as Parameters<typeof hookStream>[0], measurement(semconv));
    for await (const chunk of stream) void chunk;
  },
} satisfies Record<string, Variant>;

const memory = {
  plain: async () => consumeRaw(memoryChunks(), 0),
  raw: async (semconv: boolean) => consumeRaw(memoryChunks(), semconv ? 2 : 1),
  instrumented: async (semconv: boolean) => {
    const iterator = new MeasuredIterator(memoryChunks(), measurement(semconv), undefined);
    for await (const chunk of iterator) void chunk;
  },
} satisfies Record<string, Variant>;

async function compare(name: string, variants: Record<'plain' | 'raw' | 'instrumented', Variant>, semconv: boolean): Promise<void> {
  const samples = await samplesMs({ plain: () => variants.plain(semconv), raw: () => variants.raw(semconv), instrumented: () => variants.instrumented(semconv) }, ROUNDS);
  const ms = medians(samples);
  const ns = (value: number) => (value * 1e6) / CHUNKS;
  const plain = ns(ms.plain);
  const raw = ns(ms.raw);
  const instrumented = ns(ms.instrumented);
  const rawRecord = raw - plain;
  const overhead = instrumented - plain;
  console.log(
    `${name.padEnd(50)} plain ${plain.toFixed(0).padStart(5)} ns/chunk | + raw OTel records ${rawRecord.toFixed(0).padStart(4)} ns | + @ryot/openai ${spreadNs(samples.instrumented, samples.plain, CHUNKS).padStart(16)} ns | overhead / raw record ${(overhead / rawRecord).toFixed(2)}× | instrumented / plain ${(instrumented / plain).toFixed(2)}×`,
  );
}

console.log(`@ryot/openai per-chunk cost, ${CHUNKS} chunks, median of ${ROUNDS} interleaved rounds; overhead: median [min..max] over rounds (target: overhead ≤ 1.15× raw record)\n`);
for (const path of BENCH_PATHS) {
  const { api, provider } = benchRyot(path);
  const meter = provider.getMeter(RYOT_METER_NAME);
  bench = { api, rawItl: createInstrument(meter, METRICS.interTokenLatency), rawChunk: createInstrument(meter, METRICS.genAiClientTimePerOutputChunk) };
  await compare(`SDK Stream.fromSSEResponse (${path})`, sdk, false);
  await compare(`SDK Stream.fromSSEResponse +semconv (${path})`, sdk, true);
  await compare(`in-memory chunks (${path})`, memory, false);
  await compare(`in-memory chunks +semconv (${path})`, memory, true);
  await provider.shutdown();
}
