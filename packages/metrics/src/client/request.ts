import type { MeterProvider } from '@opentelemetry/api';
import { createRyot, defaultApi, type RyotApi } from '../api.js';
import type { ErrorType } from '../catalog.js';
import { RyotConfigError } from '../errors.js';
import { InferenceContext, type InferenceSummary } from '../inference.js';
import type { InstrumentationScope } from '../recorder.js';
import { isNonNegativeInteger } from '../values.js';
import type { StreamObserver } from './measured-iterator.js';
import type { ServerAttributes } from './server-address.js';
import { emitsLegacyGenAiSystem } from './stability.js';

/** How a client request ended, recorded once. */
export type ClientOutcome = 'completed' | 'aborted' | 'errored';

/**
 * Token usage as an API reported it. Input counts cached tokens (reads and writes) too, output counts reasoning
 * tokens too: the categories are parts of those totals, whatever the provider's own arithmetic.
 */
export interface ClientUsage {
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  cacheReadTokens?: number | undefined;
  cacheWriteTokens?: number | undefined;
  reasoningTokens?: number | undefined;
}

/** Everything measured for one client request, passed to `onRequestEnd`. Times in seconds. */
export interface ClientRequestSummary<Operation extends string = string>
  extends Pick<InferenceSummary, 'gaps' | 'minGap' | 'maxGap' | 'promptTokens' | 'completionTokens' | 'cacheReadTokens' | 'cacheWriteTokens' | 'reasoningTokens'> {
  operation: Operation;
  /** `gen_ai.provider.name` (the integration's default, the option, or what the framework reported). */
  providerName: string;
  requestModel: string;
  responseModel: string | undefined;
  streaming: boolean;
  outcome: ClientOutcome;
  /** The classified error_type for `errored` and `aborted` (`timeout` when the abort was a deadline). */
  errorType: ErrorType | undefined;
  error: unknown;
  duration: number;
  /** From the call to the first chunk that carries output; undefined when none arrived or not streaming. */
  timeToFirstChunk: number | undefined;
  /** Chunks that carried output (text, reasoning, tool-call input). */
  contentChunks: number;
  // gaps, minGap, maxGap: one per output chunk after the first. promptTokens (cached included), completionTokens
  // (reasoning included) and the categories: as reported.
  /** The provider's own finish/stop reason, as sent (the last one seen). */
  finishReason: string | undefined;
  /** Retries the SDK made (attempts − 1), when observable. */
  retries: number;
}

/** The options every client integration takes. */
export interface ClientMeasureOptions<Summary = ClientRequestSummary> {
  /**
   * Records into this provider (the ryot_* metrics, and gen_ai.client.* when `genAiSemconv` is on) through an
   * instance of its own. Default: the default Ryot instance and the global MeterProvider (looked up per request).
   */
  meterProvider?: MeterProvider;
  /** Record through this Ryot instance (e.g. `createRyot({ meterProvider })`); wins over `meterProvider`. */
  ryot?: RyotApi;
  /** Also record gen_ai.client.operation.duration, token.usage, time_to_first_chunk and time_per_output_chunk. Default false. */
  genAiSemconv?: boolean;
  /** `gen_ai.provider.name`. Default: the integration's provider. */
  providerName?: string;
  /**
   * Also record the unreleased gen_ai.client.inference.usage.* counters (input, output, cache read/write,
   * reasoning). Needs `genAiSemconv`. Default false: their names may still change.
   */
  genAiUsageCounters?: boolean;
  /**
   * Also set the deprecated `gen_ai.system` beside `gen_ai.provider.name`. Default: true unless
   * OTEL_SEMCONV_STABILITY_OPT_IN lists `gen_ai_latest_experimental`.
   */
  legacyGenAiSystem?: boolean;
  /** Called once per request with everything measured; exceptions are swallowed. */
  onRequestEnd?: (summary: Summary) => void;
}

export interface ResolvedGenAi {
  providerName: string;
  legacySystemAttribute: boolean;
  usageCounters: boolean;
}

export interface ResolvedClientOptions {
  /** Undefined: the default instance. */
  api: RyotApi | undefined;
  /** The gen_ai.client.* settings; undefined when they are off. */
  genAi: ResolvedGenAi | undefined;
  onRequestEnd: ((summary: ClientRequestSummary) => void) | undefined;
}

/** Checks an integration's options (RyotConfigError on bad ones) and resolves the instance it records through. */
export function resolveClientOptions(options: ClientMeasureOptions<never>, defaultProvider: string): ResolvedClientOptions {
  if (typeof options !== 'object' || options === null) throw new RyotConfigError('Expected an options object');
  const { genAiSemconv, genAiUsageCounters, providerName, onRequestEnd, legacyGenAiSystem } = options;
  if (genAiUsageCounters && !genAiSemconv) throw new RyotConfigError('genAiUsageCounters records gen_ai.client.* counters: set genAiSemconv: true too');
  if (providerName !== undefined && (typeof providerName !== 'string' || providerName.length === 0)) {
    throw new RyotConfigError(`Expected a non-empty string for providerName but received ${typeof providerName}`);
  }
  if (onRequestEnd !== undefined && typeof onRequestEnd !== 'function') throw new RyotConfigError('Expected a function for onRequestEnd');
  const api = options.ryot ?? (options.meterProvider ? createRyot({ meterProvider: options.meterProvider }) : undefined);
  return {
    api,
    genAi: genAiSemconv
      ? {
          providerName: providerName ?? defaultProvider,
          legacySystemAttribute: legacyGenAiSystem ?? emitsLegacyGenAiSystem(),
          usageCounters: genAiUsageCounters === true,
        }
      : undefined,
    onRequestEnd: onRequestEnd as ((summary: ClientRequestSummary) => void) | undefined,
  };
}

/** Reads one streamed item or one whole response into the request (the integration's wire format). */
export type PayloadReader = (payload: unknown, request: ClientRequest) => void;

export interface ClientRequestConfig {
  options: ResolvedClientOptions;
  scope: InstrumentationScope;
  operation: string;
  requestModel: string;
  streaming: boolean;
  server?: ServerAttributes | undefined;
  /** `gen_ai.provider.name` for this request, over the resolved one (e.g. what a framework reported). */
  providerName?: string | undefined;
  /** Reads each streamed item (`chunk`). */
  readChunk?: PayloadReader | undefined;
  /** Reads a whole non-streamed response (`response`). */
  readResponse?: PayloadReader | undefined;
  /** When the request started, on the instance's clock; default now. */
  startedAt?: number | undefined;
  /** Called once when the request ends, however it ends (before it records): e.g. to drop it from a run table. */
  onEnd?: (() => void) | undefined;
}

function count(value: unknown): number | undefined {
  return isNonNegativeInteger(value) ? value : undefined;
}

/**
 * One client request on top of an InferenceContext: what every client integration adds to it (response model,
 * finish reason, reported usage by category, the SDK's attempts, an abort signal, the summary). TTFT, the gaps,
 * the single outcome and every record are the context's.
 */
export class ClientRequest implements StreamObserver<unknown> {
  private readonly ctx: InferenceContext;
  private responseModel: string | undefined;
  private finishReason: string | undefined;
  private readonly usage: ClientUsage = {};
  private attempts = 0;
  private retryHeader = 0;
  private abortedByCaller = false;
  private signal: AbortSignal | undefined;
  private onAbort: (() => void) | undefined;
  private readonly providerName: string;
  private streaming: boolean;

  constructor(private readonly config: ClientRequestConfig) {
    const { options, server } = config;
    const genAi = options.genAi;
    this.streaming = config.streaming;
    this.providerName = config.providerName ?? genAi?.providerName ?? 'unknown';
    this.ctx = new InferenceContext({
      model: config.requestModel,
      ryot: options.api,
      startedAt: config.startedAt,
      genAiClient:
        genAi === undefined
          ? undefined
          : {
              scope: config.scope,
              operation: config.operation,
              providerName: this.providerName,
              serverAddress: server?.address,
              serverPort: server?.port,
              legacySystemAttribute: genAi.legacySystemAttribute,
              usageCounters: genAi.usageCounters,
            },
      onEnd: options.onRequestEnd ? (summary) => this.report(summary) : undefined,
    });
  }

  get ended(): boolean {
    return this.ctx.ended;
  }

  /** The `model` label this request records under. */
  get model(): string {
    return this.ctx.model;
  }

  /** The request streams after all (a framework whose parameters say otherwise, e.g. LangChain's `.stream()`). */
  markStreaming(): void {
    this.streaming = true;
  }

  /** One streamed item as the consumer receives it. */
  chunk(payload: unknown): void {
    if (!this.ctx.ended) this.config.readChunk?.(payload, this);
  }

  /** A whole (non-streamed) response body. */
  response(payload: unknown): void {
    if (!this.ctx.ended) this.config.readResponse?.(payload, this);
  }

  /** Output (text, reasoning, tool-call input) arriving now: the first gives TTFT, each later one a gap. */
  output(): void {
    this.ctx.recordToken();
  }

  setResponseModel(model: unknown): void {
    if (typeof model !== 'string' || model.length === 0 || this.responseModel !== undefined) return;
    this.responseModel = model;
    this.ctx.setResponseModel(model);
  }

  setFinishReason(reason: unknown): void {
    if (typeof reason === 'string' && reason.length > 0) this.finishReason = reason;
  }

  /** Merges reported usage: each category given (a non-negative integer) replaces the earlier value. */
  addUsage(usage: ClientUsage): void {
    const target = this.usage;
    const input = count(usage.inputTokens);
    if (input !== undefined) target.inputTokens = input;
    const output = count(usage.outputTokens);
    if (output !== undefined) target.outputTokens = output;
    const cacheRead = count(usage.cacheReadTokens);
    if (cacheRead !== undefined) target.cacheReadTokens = cacheRead;
    const cacheWrite = count(usage.cacheWriteTokens);
    if (cacheWrite !== undefined) target.cacheWriteTokens = cacheWrite;
    const reasoning = count(usage.reasoningTokens);
    if (reasoning !== undefined) target.reasoningTokens = reasoning;
  }

  /** One HTTP attempt the SDK is about to send; `retryCount` from its x-stainless-retry-count header when present. */
  attempt(retryCount: number | undefined): void {
    this.attempts++;
    if (retryCount !== undefined && retryCount > this.retryHeader) this.retryHeader = retryCount;
  }

  get retries(): number {
    return Math.max(this.attempts - 1, this.retryHeader, 0);
  }

  /**
   * Ends the request as aborted when `signal` aborts, even if nobody pulls again. Deferred one macrotask by
   * default: Stainless SDKs abort their controller in a `finally` before rethrowing a mid-stream error, and that
   * error (not the abort) is the outcome.
   */
  watch(signal: AbortSignal | undefined, deferred = true): void {
    if (!signal || this.ctx.ended || this.signal) return;
    if (signal.aborted) {
      this.abort(signal.reason);
      return;
    }
    this.signal = signal;
    this.onAbort = deferred ? () => setImmediate(() => this.abort(signal.reason)) : () => this.abort(signal.reason);
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  complete(): void {
    if (this.settle()) this.ctx.end('success');
  }

  abort(reason?: unknown): void {
    if (!this.settle()) return;
    this.abortedByCaller = true;
    this.ctx.abort(reason);
  }

  fail(error: unknown): void {
    if (this.settle()) this.ctx.fail(error);
  }

  /** Hands the usage and retries to the context before it ends; false when it already ended. */
  private settle(): boolean {
    const { ctx, usage } = this;
    if (ctx.ended) return false;
    if (this.signal && this.onAbort) this.signal.removeEventListener('abort', this.onAbort);
    this.config.onEnd?.();
    if (usage.inputTokens !== undefined) ctx.setPromptTokens(usage.inputTokens);
    if (usage.outputTokens !== undefined) ctx.setCompletionTokens(usage.outputTokens);
    if (usage.cacheReadTokens !== undefined) ctx.setCacheReadTokens(usage.cacheReadTokens);
    if (usage.cacheWriteTokens !== undefined) ctx.setCacheWriteTokens(usage.cacheWriteTokens);
    if (usage.reasoningTokens !== undefined) ctx.setReasoningTokens(usage.reasoningTokens);
    if (this.finishReason !== undefined) ctx.setFinishReason(this.finishReason);
    const retries = this.retries;
    if (retries > 0) (this.config.options.api ?? defaultApi).recordRetry({ model: ctx.model, count: retries });
    return true;
  }

  private report(summary: InferenceSummary): void {
    const { config, usage } = this;
    const outcome: ClientOutcome =
      summary.status === 'success' ? 'completed' : this.abortedByCaller || summary.errorType === 'cancelled' ? 'aborted' : 'errored';
    config.options.onRequestEnd!({
      operation: config.operation,
      providerName: this.providerName,
      requestModel: config.requestModel,
      responseModel: this.responseModel,
      streaming: this.streaming,
      outcome,
      errorType: summary.errorType,
      error: summary.error,
      duration: summary.duration,
      timeToFirstChunk: this.streaming ? summary.timeToFirstToken : undefined,
      contentChunks: summary.tokens,
      gaps: summary.gaps,
      minGap: summary.minGap,
      maxGap: summary.maxGap,
      promptTokens: usage.inputTokens,
      completionTokens: usage.outputTokens,
      cacheReadTokens: usage.cacheReadTokens,
      cacheWriteTokens: usage.cacheWriteTokens,
      reasoningTokens: usage.reasoningTokens,
      finishReason: this.finishReason,
      retries: this.retries,
    });
  }
}
