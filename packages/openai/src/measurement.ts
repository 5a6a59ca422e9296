import type { Attributes } from '@opentelemetry/api';
import type { ErrorType, InferenceContext, RyotApi } from '@ryot/metrics';
import { emptyFacts, readChunk, readResponse, type ChunkFacts, type OperationName, type Usage } from './chunks.js';
import { genAiAttributes, type GenAiClientInstruments, type GenAiClientMetrics } from './semconv.js';
import type { ServerAttributes } from './server-address.js';

/** How a request ended, recorded once. */
export type Outcome = 'completed' | 'aborted' | 'errored';

/** Everything measured for one request, passed to `onRequestEnd`. Times in seconds. */
export interface RequestSummary {
  operation: OperationName;
  requestModel: string;
  responseModel: string | undefined;
  streaming: boolean;
  outcome: Outcome;
  /** The classified error_type for `errored` and `aborted`. */
  errorType: ErrorType | undefined;
  error: unknown;
  duration: number;
  /** From the call to the first chunk that carries content; undefined when none arrived or not streaming. */
  timeToFirstChunk: number | undefined;
  /** Chunks that carried content. */
  contentChunks: number;
  /** One per content chunk after the first; min and max of those gaps. */
  gaps: number;
  minGap: number | undefined;
  maxGap: number | undefined;
  promptTokens: number | undefined;
  completionTokens: number | undefined;
  finishReason: string | undefined;
  /** Retries the SDK made (attempts − 1), when observable. */
  retries: number;
}

export interface MeasurementConfig {
  api: RyotApi;
  genAi: GenAiClientMetrics | undefined;
  operation: OperationName;
  requestModel: string;
  streaming: boolean;
  server: ServerAttributes;
  onRequestEnd: ((summary: RequestSummary) => void) | undefined;
}

/**
 * One client request, from the call to its single outcome. Feeds an InferenceContext (ryot_* metrics)
 * and, when enabled, the gen_ai.client.* histograms.
 */
export class RequestMeasurement {
  readonly startedAt: number;
  ended = false;
  private readonly ctx: InferenceContext;
  private readonly now: () => number;
  private readonly genAi: GenAiClientInstruments | undefined;
  private attributes: Attributes | undefined;
  private readonly facts: ChunkFacts = emptyFacts();
  private readonly timed: boolean;
  private firstAt = -1;
  private lastAt = 0;
  private contentChunks = 0;
  private minGap = Infinity;
  private maxGap = -Infinity;
  private responseModel: string | undefined;
  private finishReason: string | undefined;
  private usage: Usage | undefined;
  private attempts = 0;
  private retryHeader = 0;
  private signal: AbortSignal | undefined;
  private onAbort: (() => void) | undefined;

  constructor(private readonly config: MeasurementConfig) {
    const ryot = config.api.ryot;
    this.now = ryot.now;
    this.startedAt = this.now();
    this.ctx = config.api.startInference({ model: config.requestModel });
    this.genAi = config.genAi?.instruments();
    this.timed = this.genAi !== undefined || config.onRequestEnd !== undefined;
  }

  /** One chunk as the consumer receives it. */
  chunk(chunk: unknown): void {
    if (this.ended) return;
    const facts = readChunk(chunk, this.facts);
    if (facts.model !== undefined && this.responseModel === undefined) this.responseModel = facts.model;
    if (facts.finishReason !== undefined) this.finishReason = facts.finishReason;
    if (facts.usage !== undefined) this.usage = facts.usage;
    if (!facts.content) return;
    this.contentChunks++;
    this.ctx.recordToken();
    // Our own clock read is only needed for the gen_ai.client.* histograms and the summary.
    if (!this.timed) return;
    const at = this.now();
    if (this.firstAt < 0) {
      this.firstAt = at;
      if (this.genAi) this.genAi.timeToFirstChunk.record((at - this.startedAt) / 1000, this.genAiAttributes());
    } else {
      const gap = (at - this.lastAt) / 1000;
      if (gap < this.minGap) this.minGap = gap;
      if (gap > this.maxGap) this.maxGap = gap;
      if (this.genAi) this.genAi.timePerOutputChunk.record(gap, this.genAiAttributes());
    }
    this.lastAt = at;
  }

  /** A whole (non-streamed) response body. */
  response(body: unknown): void {
    if (this.ended) return;
    const facts = readResponse(body);
    if (facts.model !== undefined) this.responseModel = facts.model;
    this.finishReason = facts.finishReason;
    this.usage = facts.usage;
  }

  /** One HTTP attempt the SDK is about to send; `retryCount` from its x-stainless-retry-count header when present. */
  attempt(retryCount: number | undefined): void {
    this.attempts++;
    if (retryCount !== undefined && retryCount > this.retryHeader) this.retryHeader = retryCount;
  }

  /** Ends the request as aborted when `signal` aborts, even if nobody pulls again. */
  watch(signal: AbortSignal | undefined): void {
    if (!signal || this.ended || this.signal) return;
    if (signal.aborted) {
      this.abort();
      return;
    }
    this.signal = signal;
    // Deferred one macrotask: the SDK aborts its controller in a `finally` before rethrowing a
    // mid-stream error, and that error (not the abort) is the outcome.
    this.onAbort = () => setImmediate(() => this.abort(signal.reason));
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  get retries(): number {
    return Math.max(this.attempts - 1, this.retryHeader, 0);
  }

  complete(): void {
    this.end('completed', undefined);
  }

  abort(reason?: unknown): void {
    this.end('aborted', reason);
  }

  fail(error: unknown): void {
    if (this.ended) return;
    const errorType = this.config.api.classifyError(error);
    this.end(errorType === 'cancelled' ? 'aborted' : 'errored', error, errorType);
  }

  private end(outcome: Outcome, error: unknown, classified?: ErrorType): void {
    if (this.ended) return;
    this.ended = true;
    if (this.signal && this.onAbort) this.signal.removeEventListener('abort', this.onAbort);
    const { ctx, config, usage } = this;
    const duration = Math.max(0, (this.now() - this.startedAt) / 1000);
    if (usage?.promptTokens !== undefined) ctx.setPromptTokens(usage.promptTokens);
    if (usage?.completionTokens !== undefined) ctx.setCompletionTokens(usage.completionTokens);
    const retries = this.retries;
    if (retries > 0) config.api.recordRetry({ model: config.requestModel, count: retries });
    let errorType: ErrorType | undefined;
    if (outcome === 'completed') ctx.end('success');
    else if (outcome === 'aborted' && classified === undefined) {
      errorType = 'cancelled';
      ctx.end('cancelled');
    } else {
      errorType = classified ?? config.api.classifyError(error);
      ctx.fail(error);
    }
    if (this.genAi) this.recordGenAi(this.genAi, duration, errorType);
    const summary = config.onRequestEnd;
    if (summary) {
      try {
        summary({
          operation: config.operation,
          requestModel: config.requestModel,
          responseModel: this.responseModel,
          streaming: config.streaming,
          outcome,
          errorType,
          error,
          duration,
          timeToFirstChunk: config.streaming && this.firstAt >= 0 ? (this.firstAt - this.startedAt) / 1000 : undefined,
          contentChunks: this.contentChunks,
          gaps: Math.max(0, this.contentChunks - 1),
          minGap: this.contentChunks > 1 ? this.minGap : undefined,
          maxGap: this.contentChunks > 1 ? this.maxGap : undefined,
          promptTokens: usage?.promptTokens,
          completionTokens: usage?.completionTokens,
          finishReason: this.finishReason,
          retries,
        });
      } catch {
        // A throwing callback must not break the caller's stream.
      }
    }
  }

  private recordGenAi(genAi: GenAiClientInstruments, duration: number, errorType: ErrorType | undefined): void {
    const base = this.genAiAttributes();
    genAi.operationDuration.record(duration, errorType === undefined ? base : { ...base, 'error.type': errorType });
    const usage = this.usage;
    if (usage?.promptTokens !== undefined) genAi.tokenUsage.record(usage.promptTokens, { ...base, 'gen_ai.token.type': 'input' });
    if (usage?.completionTokens !== undefined) genAi.tokenUsage.record(usage.completionTokens, { ...base, 'gen_ai.token.type': 'output' });
  }

  private genAiAttributes(): Attributes {
    if (this.attributes) return this.attributes;
    const { config } = this;
    this.attributes = genAiAttributes({
      operation: config.operation,
      providerName: config.genAi?.providerName ?? 'openai',
      requestModel: config.requestModel,
      responseModel: this.responseModel,
      serverAddress: config.server.address,
      serverPort: config.server.port,
    });
    return this.attributes;
  }
}
