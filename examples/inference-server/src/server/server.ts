import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { classifyError, type RyotApi } from '@ryot/metrics';
import { defaultApi } from '@ryot/metrics/instrumentation';
import { ModelEngine } from '../engine/engine.js';
import { DEFAULT_MODELS, NO_FAULTS, type FaultRates, type ModelSpec } from '../engine/model-spec.js';
import { seededRandom } from '../engine/rng.js';
import { readBody } from './body.js';
import {
  RequestError,
  chunk,
  completion,
  countPromptTokens,
  errorBody,
  parseRequest,
  usage,
  usageChunk,
  type Endpoint,
  type ParsedRequest,
  type ResponseIds,
} from './openai-format.js';
import { sendJson, SseWriter } from './respond.js';

export type MetricsHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface InferenceServerOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. Set 0.0.0.0 in a container. */
  host?: string;
  models?: ModelSpec[];
  faults?: FaultRates;
  /** Seed of the engine's randomness (faults, jitter, token text, natural lengths). */
  seed?: number;
  /** ±fraction of jitter on step and load times. Default 0.1; 0 is deterministic. */
  jitter?: number;
  /** Output length when the request gives no max_tokens: 'natural' draws 16..200 tokens and finishes with "stop". */
  defaultMaxTokens?: number | 'natural';
  requestTimeoutMs?: number;
  maxBodyBytes?: number;
  /**
   * Feed ryot_gpu_* from the engine's simulated allocator. Default true; turn it off when
   * @ryot/nvml reports the real device, so simulated and measured memory never share a name.
   */
  simulateGpu?: boolean;
  /** The Ryot API to record into. Default: the global one; null runs the server uninstrumented (for benchmarks). */
  api?: RyotApi | null;
  /** Serves GET /metrics, e.g. startTelemetry()'s `prometheus.handler`. */
  metricsHandler?: MetricsHandler;
}

export interface InferenceServer {
  readonly url: string;
  readonly port: number;
  readonly engines: ReadonlyMap<string, ModelEngine>;
  readonly server: Server;
  close(): Promise<void>;
}

interface Job {
  model: string;
  promptTokens: number;
  prefixKey: string;
  maxTokens: number;
  signal: AbortSignal;
}

const UNKNOWN_MODEL = 'unknown';

export async function createInferenceServer(options: InferenceServerOptions = {}): Promise<InferenceServer> {
  const api = options.api === null ? undefined : (options.api ?? defaultApi);
  const random = seededRandom(options.seed ?? 42);
  const engineOptions = {
    faults: options.faults ?? NO_FAULTS,
    random,
    requestTimeoutMs: options.requestTimeoutMs ?? 5_000,
    jitter: options.jitter ?? 0.1,
    simulateGpu: options.simulateGpu ?? true,
  };
  const engines = new Map((options.models ?? DEFAULT_MODELS).map((spec) => [spec.name, new ModelEngine(spec, api, engineOptions)]));
  const knownModels: ReadonlySet<string> = new Set(engines.keys());
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const defaultMaxTokens = options.defaultMaxTokens ?? 'natural';

  api?.systemInfo.info({ service: 'ryot-example-inference-server' });
  await Promise.all([...engines.values()].map((engine) => engine.load()));

  const engineStream = (job: Job) => engines.get(job.model)!.generate(job);
  const generate = api
    ? api.trackTokenGeneration({
        model: (job: Job) => job.model,
        signal: (job: Job) => job.signal,
        promptTokens: (job: Job) => job.promptTokens,
      })(engineStream)
    : engineStream;

  const lengthFor = (requested: number | undefined): { tokens: number; natural: boolean } => {
    const natural = defaultMaxTokens === 'natural' ? 16 + Math.floor(random() * 185) : defaultMaxTokens;
    if (requested === undefined) return { tokens: natural, natural: defaultMaxTokens === 'natural' };
    return natural < requested && defaultMaxTokens === 'natural' ? { tokens: natural, natural: true } : { tokens: requested, natural: false };
  };

  const reject = (error: RequestError, model: string) => {
    // Counted like any failed request; unknown model names do not become labels.
    api?.startInference({ model: knownModels.has(model) ? model : UNKNOWN_MODEL }).fail(error);
  };

  async function handleCompletion(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let parsed: ParsedRequest;
    try {
      parsed = parseRequest(endpoint, await readBody(req, maxBodyBytes), knownModels);
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      reject(error, UNKNOWN_MODEL);
      sendJson(res, error.status, errorBody(error.message, 'invalid_request_error', error.code, error.param));
      return;
    }
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new DOMException('client disconnected', 'AbortError'));
    });
    const length = lengthFor(parsed.maxTokens);
    const promptTokens = countPromptTokens(parsed.promptText);
    const job: Job = { model: parsed.model, promptTokens, prefixKey: parsed.prefixKey, maxTokens: length.tokens, signal: controller.signal };
    const ids: ResponseIds = { id: `${endpoint === 'chat' ? 'chatcmpl' : 'cmpl'}-${Math.floor(random() * 1e12).toString(36)}`, created: Math.floor(Date.now() / 1000), model: parsed.model };
    const finishReason = length.natural ? 'stop' : 'length';
    const stream = generate(job);

    if (!parsed.stream) {
      let text = '';
      let generated = 0;
      try {
        for await (const token of stream) {
          text += token;
          generated++;
        }
      } catch (error) {
        if (!controller.signal.aborted) sendEngineError(res, error);
        return;
      }
      sendJson(res, 200, completion(endpoint, ids, text, finishReason, usage(promptTokens, generated)));
      return;
    }

    const sse = new SseWriter(res);
    let generated = 0;
    try {
      if (endpoint === 'chat') sse.send(chunk(endpoint, ids, undefined, null, true));
      for await (const token of stream) {
        generated++;
        sse.send(chunk(endpoint, ids, token, null));
      }
      sse.send(chunk(endpoint, ids, endpoint === 'chat' ? undefined : '', finishReason));
      if (parsed.includeUsage) sse.send(usageChunk(endpoint, ids, usage(promptTokens, generated)));
      sse.done();
    } catch (error) {
      if (controller.signal.aborted) return;
      const type = classifyError(error);
      sse.send(errorBody(error instanceof Error ? error.message : String(error), type === 'oom' || type === 'cuda' ? 'server_error' : type, type));
      sse.done();
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    if (path === '/v1/chat/completions' || path === '/v1/completions') {
      if (method !== 'POST') return methodNotAllowed(res, 'POST');
      return handleCompletion(path === '/v1/chat/completions' ? 'chat' : 'completions', req, res);
    }
    if (path === '/v1/models') {
      if (method !== 'GET') return methodNotAllowed(res, 'GET');
      return sendJson(res, 200, {
        object: 'list',
        data: [...engines.keys()].map((id) => ({ id, object: 'model', created: 0, owned_by: 'ryot-example' })),
      });
    }
    if (path === '/healthz') {
      return sendJson(res, 200, { status: 'ok', models: [...engines.values()].map((e) => ({ model: e.spec.name, queue: e.queueLength, batch: e.batchSize })) });
    }
    if (path === '/metrics' && options.metricsHandler) return options.metricsHandler(req, res);
    sendJson(res, 404, errorBody(`no route for ${method} ${path}`, 'invalid_request_error', 'not_found'));
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, errorBody(String(error), 'server_error', null));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    engines,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  sendJson(res, 405, errorBody(`method not allowed; use ${allow}`, 'invalid_request_error', 'method_not_allowed'));
}

function sendEngineError(res: ServerResponse, error: unknown): void {
  const type = classifyError(error);
  const status = type === 'timeout' ? 504 : type === 'oom' ? 503 : 500;
  sendJson(res, status, errorBody(error instanceof Error ? error.message : String(error), 'server_error', type));
}
