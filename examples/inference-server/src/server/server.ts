import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { classifyError, type RyotApi } from '@ryot/metrics';
import { defaultApi } from '@ryot/metrics/instrumentation';
import { ModelEngine } from '../engine/engine.js';
import { DEFAULT_MODELS, NO_FAULTS, type FaultRates, type ModelSpec } from '../engine/model-spec.js';
import { seededRandom } from '../engine/rng.js';
import { anthropicDialect, anthropicErrorBody } from './anthropic-format.js';
import { readBody } from './body.js';
import { countPromptTokens, RequestError, type Dialect, type GenerationRequest, type GenerationUsage, type ResponseIds } from './dialect.js';
import { errorBody, openAIDialect } from './openai-format.js';
import { PromptCache } from './prompt-cache.js';
import { responsesDialect } from './responses-format.js';
import { sendJson } from './respond.js';

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
const CHAT = openAIDialect('chat');
const COMPLETIONS = openAIDialect('completions');

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

  const promptCache = new PromptCache(256);

  /** The prompt side of the usage: cached prefix tokens are read on a hit, and written on a miss when the request asks. */
  const promptUsage = (request: GenerationRequest): GenerationUsage => {
    const promptTokens = countPromptTokens(request.promptText);
    const totals: GenerationUsage = { promptTokens, completionTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
    const prefix = request.cacheablePrefix;
    if (prefix === undefined) return totals;
    const cached = Math.min(countPromptTokens(prefix), promptTokens);
    if (promptCache.hit(prefix)) totals.cacheReadTokens = cached;
    else if (request.cacheWrite) totals.cacheWriteTokens = cached;
    return totals;
  };

  async function handleGeneration(dialect: Dialect, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let parsed: GenerationRequest;
    try {
      parsed = dialect.parse(await readBody(req, maxBodyBytes), knownModels);
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      reject(error, UNKNOWN_MODEL);
      sendJson(res, error.status, dialect.errorBody(error.message, 'invalid_request_error', error.code, error.param));
      return;
    }
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new DOMException('client disconnected', 'AbortError'));
    });
    const length = lengthFor(parsed.maxTokens);
    const totals = promptUsage(parsed);
    const job: Job = { model: parsed.model, promptTokens: totals.promptTokens, prefixKey: parsed.prefixKey, maxTokens: length.tokens, signal: controller.signal };
    const ids: ResponseIds = { id: `${dialect.idPrefix}-${Math.floor(random() * 1e12).toString(36)}`, created: Math.floor(Date.now() / 1000), model: parsed.model };
    const finish = length.natural ? 'stop' : 'length';
    // The first tokens are reasoning when the request asked for it; at least one token stays text.
    const reasoningTokens = Math.min(parsed.reasoningTokens, length.tokens - 1);
    const stream = generate(job);
    const count = (generated: number) => {
      totals.completionTokens = generated;
      totals.reasoningTokens = Math.min(generated, reasoningTokens);
    };

    if (!parsed.stream) {
      const output = { text: '', reasoning: '' };
      let generated = 0;
      try {
        for await (const token of stream) {
          if (generated < reasoningTokens) output.reasoning += token;
          else output.text += token;
          generated++;
        }
      } catch (error) {
        if (!controller.signal.aborted) sendEngineError(res, dialect, error);
        return;
      }
      count(generated);
      sendJson(res, 200, dialect.body(ids, output, finish, totals));
      return;
    }

    const shape = dialect.stream(res, ids, parsed);
    let generated = 0;
    try {
      shape.start(totals);
      for await (const token of stream) {
        shape.token(token, generated < reasoningTokens);
        generated++;
      }
      count(generated);
      shape.finish(finish, totals);
    } catch (error) {
      if (controller.signal.aborted) return;
      shape.fail(error instanceof Error ? error.message : String(error), classifyError(error));
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    if (path === '/v1/chat/completions' || path === '/v1/completions') {
      if (method !== 'POST') return methodNotAllowed(res, 'POST');
      return handleGeneration(path === '/v1/chat/completions' ? CHAT : COMPLETIONS, req, res);
    }
    if (path === '/v1/messages' || path === '/v1/responses') {
      if (method !== 'POST') return methodNotAllowed(res, 'POST');
      return handleGeneration(path === '/v1/messages' ? anthropicDialect : responsesDialect, req, res);
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

function sendEngineError(res: ServerResponse, dialect: Dialect, error: unknown): void {
  const type = classifyError(error);
  const status = type === 'timeout' ? 504 : type === 'oom' ? 503 : 500;
  const message = error instanceof Error ? error.message : String(error);
  sendJson(res, status, dialect === anthropicDialect ? anthropicErrorBody(message, status === 504 ? 'timeout_error' : 'api_error') : errorBody(message, 'server_error', type));
}
