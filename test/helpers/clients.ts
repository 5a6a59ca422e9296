import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Attributes } from '@opentelemetry/api';
import { MeterProvider, type DataPoint, type Histogram, type MetricData } from '@opentelemetry/sdk-metrics';
import { createRyot, type RyotApi } from '@ryot/metrics';
import { createTestRyot, findMetric, histogram } from '@ryot/metrics/testing';
import { createInferenceServer, type InferenceServer, type ModelSpec } from '@ryot/example-inference-server';
import type { ClientRequestSummary } from '@ryot/metrics/instrumentation';

export { histogram, value } from '@ryot/metrics/testing';

/**
 * What the client integrations' tests share: a client-side harness, the example server with a deterministic model,
 * a hand-written server for the failure cases it does not script, and checks every integration's tests make.
 */

/** The client side's own MeterProvider and Ryot instance (real clock), separate from the server's. */
export interface ClientHarness {
  provider: MeterProvider;
  api: RyotApi;
  summaries: ClientRequestSummary[];
  onRequestEnd: (summary: ClientRequestSummary) => void;
  metrics(): Promise<MetricData[]>;
  /** The instrumentation scope (`name@version`) each metric name was collected under. */
  scopes(): Promise<Record<string, string>>;
}

export function clientHarness(): ClientHarness {
  const test = createTestRyot({ clock: () => performance.now() });
  const summaries: ClientRequestSummary[] = [];
  return {
    provider: test.provider,
    api: test.api,
    summaries,
    onRequestEnd: (summary) => summaries.push(summary),
    metrics: test.metrics,
    async scopes() {
      const { resourceMetrics } = await test.reader.collect();
      return Object.fromEntries(
        resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics.map((metric) => [metric.descriptor.name, `${scope.scope.name}@${scope.scope.version}`])),
      );
    },
  };
}

export function points(all: MetricData[], name: string): DataPoint<unknown>[] {
  return (findMetric(all, name)?.dataPoints as DataPoint<unknown>[] | undefined) ?? [];
}

/** Sum of a counter over every series whose attributes include `subset`. */
export function total(all: MetricData[], name: string, subset: Attributes = {}): number {
  return points(all, name)
    .filter((p) => Object.entries(subset).every(([k, v]) => p.attributes[k] === v))
    .reduce((sum, p) => sum + (p.value as number), 0);
}

export const STEP_MS = 30;
export const PREFILL_MS_PER_TOKEN = 1;

/** A deterministic model: first token after STEP_MS + prompt × PREFILL_MS_PER_TOKEN, then one every STEP_MS (batch of one, no jitter). */
export function model(name: string, overrides: Partial<ModelSpec> = {}): ModelSpec {
  return {
    name,
    family: 'test',
    quantization: 'fp16',
    loadMs: 1,
    prefillMsPerToken: PREFILL_MS_PER_TOKEN,
    stepMs: STEP_MS,
    stepMsPerSequence: 0,
    maxBatch: 4,
    weightsBytes: 1024 * 1024,
    kvBytesPerToken: 16,
    reservedBytes: 4 * 1024 * 1024,
    gpuId: 0,
    ...overrides,
  };
}

/*
 * Tolerances for times measured against that model. Timers never fire early, so lower bounds are tight. Upper
 * bounds are loose because the whole suite runs in parallel on a shared 2-core machine, where a timer or a chunk
 * can be tens of ms late; a late chunk also shrinks the next gap, so gaps are checked through their mean
 * ((last − first) / count) and their count, not one by one.
 */
export const TTFT_EARLY_MS = 3;
export const TTFT_LATE_MS = 150;
export const GAP_EARLY_MS = 10;
export const GAP_LATE_MS = 40;

/** The TTFT the deterministic model gives a prompt of `promptTokens` (batch of one, no queue), in seconds. */
export function expectedTtftS(promptTokens: number): number {
  return (STEP_MS + promptTokens * PREFILL_MS_PER_TOKEN) / 1000;
}

export type StartedInferenceServer = InferenceServer & { shutdown(): Promise<void> };

/** The example inference server, recording into its own Ryot instance (never the client's). */
export async function startInferenceServer(defaultMaxTokens = 6): Promise<StartedInferenceServer> {
  const provider = new MeterProvider();
  const server = await createInferenceServer({
    models: [model('m1')],
    jitter: 0,
    defaultMaxTokens,
    api: createRyot({ meterProvider: provider }),
  });
  return Object.assign(server, {
    async shutdown() {
      await server.close();
      await provider.shutdown();
    },
  });
}

/**
 * The calling test file's example server: started (then `warmUp` run against it) before all its tests, shut down
 * after them; unless `checkUnhandledRejections` is false, each test also fails on an unhandled rejection
 * (expectNoUnhandledRejections). Returns an accessor: the server exists once the file's beforeAll hooks have run.
 */
export function useInferenceServer(
  outputTokens: number,
  options: { warmUp?: (server: StartedInferenceServer) => Promise<void>; checkUnhandledRejections?: boolean } = {},
): () => StartedInferenceServer {
  const { warmUp, checkUnhandledRejections = true } = options;
  let server: StartedInferenceServer | undefined;
  if (checkUnhandledRejections) expectNoUnhandledRejections();
  beforeAll(async () => {
    server = await startInferenceServer(outputTokens);
    await warmUp?.(server);
  });
  afterAll(async () => {
    await server?.shutdown();
  });
  return () => {
    if (!server) throw new Error('useInferenceServer: the server is not started yet (use it inside a test or hook)');
    return server;
  };
}

let promptCounter = 0;
/** A prompt unique to this call (no prefix-cache hits), ~`tokens` prompt tokens long (the server counts ceil(chars / 4)). */
export function uniquePrompt(tokens = 20): string {
  const id = `p${++promptCounter}-${process.pid}-${Date.now()} `;
  return (id + 'x'.repeat(tokens * 4)).slice(0, tokens * 4);
}

export interface TinyServer {
  url: string;
  requests: IncomingMessage[];
  close(): Promise<void>;
}

/** A hand-written HTTP server for the failure cases the example server does not script. `url` ends in /v1. */
export async function tinyServer(handler: (req: IncomingMessage, res: ServerResponse, index: number) => void): Promise<TinyServer> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    req.resume();
    req.on('end', () => handler(req, res, requests.length - 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Answers with `events` as one SSE response, each written `stepMs` after the previous write (the first `stepMs`
 * after the request ended), then ends it: a scripted stream whose chunk times are known (timers never fire early).
 */
export function writeSse(res: ServerResponse, events: string[], stepMs: number): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  let next = 0;
  const write = (): void => {
    if (res.destroyed) return;
    if (next === events.length) return void res.end();
    res.write(events[next++]);
    setTimeout(write, stepMs);
  };
  setTimeout(write, stepMs);
}

/**
 * A scripted OpenAI chat stream of one tool call: the head chunk (id, name, empty arguments), one chunk per
 * argument piece, the `tool_calls` finish chunk, the usage chunk and [DONE].
 */
export function chatToolCallEvents(name: string, argumentPieces: string[], usage: { prompt_tokens: number; completion_tokens: number }): string[] {
  const call = (fn: Record<string, unknown>, head: boolean) => ({ tool_calls: [{ index: 0, ...(head ? { id: 'call_1', type: 'function' } : {}), function: fn }] });
  return [
    chatChunkEvent({ role: 'assistant', content: null, ...call({ name, arguments: '' }, true) }),
    ...argumentPieces.map((piece) => chatChunkEvent(call({ arguments: piece }, false))),
    chatChunkEvent({}, 'tool_calls'),
    chatChunkEvent({}, null, { choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } }),
    'data: [DONE]\n\n',
  ];
}

/** One OpenAI `chat.completion.chunk` SSE event with this delta (and finish reason, usage, … in `extra`). */
export function chatChunkEvent(delta: Record<string, unknown>, finishReason: string | null = null, extra: Record<string, unknown> = {}): string {
  return `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 0, model: 'tiny', choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra })}\n\n`;
}

/** The four gen_ai.client.* histograms of the OTel GenAI conventions. */
export const GEN_AI_CLIENT_HISTOGRAMS = ['gen_ai.client.operation.duration', 'gen_ai.client.token.usage', 'gen_ai.client.operation.time_to_first_chunk', 'gen_ai.client.operation.time_per_output_chunk'];

/** Each of the four gen_ai.client.* histograms was collected under the integration's own scope (`name@version`). */
export async function expectGenAiClientScope(h: ClientHarness, scope: string): Promise<void> {
  const scopes = await h.scopes();
  for (const name of GEN_AI_CLIENT_HISTOGRAMS) expect(scopes[name], name).toBe(scope);
}

/** Fails each test of the calling file that let a promise rejection go unhandled (checked 50 ms after it). */
export function expectNoUnhandledRejections(): void {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(() => void process.on('unhandledRejection', onUnhandled));
  afterAll(() => void process.off('unhandledRejection', onUnhandled));
  beforeEach(() => {
    unhandled.length = 0;
  });
  afterEach(async () => {
    // Give stray promises a chance to surface, then prove there were none.
    await sleep(50);
    expect(unhandled).toEqual([]);
  });
}

/** A time in seconds within [expected − early, expected + late] ms: tight lower bounds, loose upper bounds. */
export function expectWithin(seconds: number | undefined, expectedS: number, earlyMs: number, lateMs: number): void {
  expect(seconds).toBeDefined();
  expect(seconds!).toBeGreaterThanOrEqual(expectedS - earlyMs / 1000);
  expect(seconds!).toBeLessThanOrEqual(expectedS + lateMs / 1000);
}

/**
 * A histogram of the gaps between chunks (inter-token latency, time per output chunk) of streams from the
 * deterministic model: exactly `gaps` observations, and their mean, (last − first) / count, within
 * [−GAP_EARLY_MS, +GAP_LATE_MS] of STEP_MS.
 */
export function expectGaps(gapHistogram: Histogram | undefined, gaps: number): void {
  expect(gapHistogram?.count).toBe(gaps);
  expectWithin(gapHistogram!.sum! / gapHistogram!.count, STEP_MS / 1000, GAP_EARLY_MS, GAP_LATE_MS);
}

/**
 * The request (one per harness) was recorded exactly once with `status` (and `errorType`), nothing left in flight,
 * one duration; with `genAiClient`, one gen_ai.client.operation.duration carrying the same error.type. Waits 20 ms
 * first: outcomes must stay single after the SDK's own cleanup has run.
 */
export async function expectRecordedOnce(
  h: ClientHarness,
  expected: { model?: string; status: string; errorType?: string | undefined; genAiClient?: boolean },
): Promise<void> {
  const { model, status, errorType, genAiClient = true } = expected;
  const scope = model === undefined ? {} : { model };
  await sleep(20);
  expect(h.summaries).toHaveLength(1);
  const all = await h.metrics();
  expect(total(all, 'ryot_inference_requests')).toBe(1);
  expect(total(all, 'ryot_inference_requests', { ...scope, status })).toBe(1);
  expect(total(all, 'ryot_inference_errors')).toBe(errorType ? 1 : 0);
  if (errorType) expect(total(all, 'ryot_inference_errors', { ...scope, error_type: errorType })).toBe(1);
  expect(total(all, 'ryot_inference_requests_in_flight', scope)).toBe(0);
  if (model !== undefined) expect(histogram(all, 'ryot_inference_request_duration_seconds', { model })?.count).toBe(1);
  if (!genAiClient) return;
  const durations = all.find((m) => m.descriptor.name === 'gen_ai.client.operation.duration')!.dataPoints;
  expect(durations).toHaveLength(1);
  expect(durations[0]!.attributes['error.type']).toBe(errorType);
}
