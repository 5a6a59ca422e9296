import { InferenceContext, recordRetry, type ErrorType, type InferenceSummary, type RyotApi } from '@ryot/metrics';
import { emptyFacts, readChunk, readResponse, type ChunkFacts, type OperationName, type Usage } from './chunks.js';
import type { ServerAttributes } from './server-address.js';
import { OPENAI_SCOPE } from './version.js';

/** How a request ended, recorded once. */
export type Outcome = 'completed' | 'aborted' | 'errored';

/** Everything measured for one request, passed to `onRequestEnd`. Times in seconds. */
export interface RequestSummary {
  operation: OperationName;
  requestModel: string;
  responseModel: string | undefined;
  streaming: boolean;
  outcome: Outcome;
  /** The classified error_type for `errored` and `aborted` (`timeout` when the abort was a deadline). */
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
  /** Undefined: the default instance. */
  api: RyotApi | undefined;
  /** `gen_ai.provider.name` when gen_ai.client.* is recorded. */
  genAiProvider: string | undefined;
  operation: OperationName;
  requestModel: string;
  streaming: boolean;
  server: ServerAttributes;
  onRequestEnd: ((summary: RequestSummary) => void) | undefined;
}

/**
 * What the OpenAI wire format adds to one request's InferenceContext: reading chunks and responses (content,
 * response model, finish reason, usage), counting the SDK's attempts, and the summary in OpenAI's terms. The
 * request itself (TTFT, gaps, the single outcome, the ryot_* and gen_ai.client.* records) is the context's.
 */
export class RequestMeasurement {
  private readonly ctx: InferenceContext;
  private readonly facts: ChunkFacts = emptyFacts();
  private responseModel: string | undefined;
  private finishReason: string | undefined;
  private usage: Usage | undefined;
  private attempts = 0;
  private retryHeader = 0;
  private abortedByCaller = false;
  private signal: AbortSignal | undefined;
  private onAbort: (() => void) | undefined;

  constructor(private readonly config: MeasurementConfig) {
    this.ctx = new InferenceContext({
      model: config.requestModel,
      ryot: config.api,
      genAiClient:
        config.genAiProvider === undefined
          ? undefined
          : {
              scope: OPENAI_SCOPE,
              operation: config.operation,
              providerName: config.genAiProvider,
              serverAddress: config.server.address,
              serverPort: config.server.port,
            },
      onEnd: config.onRequestEnd ? (summary) => this.report(summary) : undefined,
    });
  }

  get ended(): boolean {
    return this.ctx.ended;
  }

  /** One chunk as the consumer receives it. */
  chunk(chunk: unknown): void {
    if (this.ctx.ended) return;
    const facts = readChunk(chunk, this.facts);
    if (facts.model !== undefined && this.responseModel === undefined) {
      this.responseModel = facts.model;
      this.ctx.setResponseModel(facts.model);
    }
    if (facts.finishReason !== undefined) this.finishReason = facts.finishReason;
    if (facts.usage !== undefined) this.usage = facts.usage;
    if (facts.content) this.ctx.recordToken();
  }

  /** A whole (non-streamed) response body. */
  response(body: unknown): void {
    if (this.ctx.ended) return;
    const facts = readResponse(body);
    if (facts.model !== undefined) {
      this.responseModel = facts.model;
      this.ctx.setResponseModel(facts.model);
    }
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
    if (!signal || this.ctx.ended || this.signal) return;
    if (signal.aborted) {
      this.abort(signal.reason);
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
    const { ctx } = this;
    if (ctx.ended) return false;
    if (this.signal && this.onAbort) this.signal.removeEventListener('abort', this.onAbort);
    const usage = this.usage;
    if (usage?.promptTokens !== undefined) ctx.setPromptTokens(usage.promptTokens);
    if (usage?.completionTokens !== undefined) ctx.setCompletionTokens(usage.completionTokens);
    const retries = this.retries;
    if (retries > 0) (this.config.api?.recordRetry ?? recordRetry)({ model: ctx.model, count: retries });
    return true;
  }

  private report(summary: InferenceSummary): void {
    const { config } = this;
    const outcome: Outcome =
      summary.status === 'success' ? 'completed' : this.abortedByCaller || summary.errorType === 'cancelled' ? 'aborted' : 'errored';
    config.onRequestEnd!({
      operation: config.operation,
      requestModel: config.requestModel,
      responseModel: this.responseModel,
      streaming: config.streaming,
      outcome,
      errorType: summary.errorType,
      error: summary.error,
      duration: summary.duration,
      timeToFirstChunk: config.streaming ? summary.timeToFirstToken : undefined,
      contentChunks: summary.tokens,
      gaps: summary.gaps,
      minGap: summary.minGap,
      maxGap: summary.maxGap,
      promptTokens: this.usage?.promptTokens,
      completionTokens: this.usage?.completionTokens,
      finishReason: this.finishReason,
      retries: this.retries,
    });
  }
}
