import { REQUEST_STATUSES, type RequestStatus } from './catalog.js';
import { statusForErrorType } from './classify.js';
import type { BoundInstruments } from './bound-instruments.js';
import type { ModelSeries } from './labels.js';
import type { Ryot } from './ryot.js';
import { isFiniteNonNegative, isNonNegativeInteger, isPositiveFinite, isRecord } from './values.js';

const REQUEST_STATUS_SET: ReadonlySet<unknown> = new Set(REQUEST_STATUSES);

function isAbortSignal(value: unknown): value is AbortSignal {
  return isRecord(value) && typeof value['addEventListener'] === 'function' && typeof value['aborted'] === 'boolean';
}

export interface RunOptions {
  promptTokens?: number | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * The life of one inference request: started once, fed tokens, ended once. Every
 * wrapper (function, stream, context) drives one of these; ending twice records once.
 */
export class InferenceRun {
  tokens = 0;
  ended = false;
  private promptTokens: number | undefined;
  private reportedTokens: number | undefined;
  /** When the previous token arrived; -1 before the first one with a timestamp. */
  private lastTokenAt = -1;
  /** Seconds to the first token, once known (from the first token, or set by the caller). */
  private ttftSeconds: number | undefined;
  private readonly instruments: BoundInstruments;
  private signal: AbortSignal | undefined;
  private onAbort: (() => void) | undefined;

  constructor(
    private readonly ryot: Ryot,
    readonly series: ModelSeries,
    readonly startedAt: number,
    options: RunOptions = {},
  ) {
    this.instruments = ryot.instruments();
    this.instruments.requestsInFlight.add(1, series.attributes);
    if (options.promptTokens !== undefined) this.setPromptTokens(options.promptTokens);
    const signal = options.signal;
    if (signal !== undefined && signal !== null) {
      if (isAbortSignal(signal)) this.watch(signal);
      else ryot.rejectValue('signal option', signal, 'an AbortSignal');
    }
  }

  /** Records `count` tokens arriving at `at`: TTFT for the first, one ITL observation per later gap. */
  token(count = 1, at = this.ryot.now()): void {
    if (this.ended) return;
    if (!isPositiveFinite(count)) {
      if (count !== 0) this.ryot.rejectValue('token count', count, 'a positive finite number');
      return;
    }
    if (this.ttftSeconds === undefined) {
      this.ttftSeconds = (at - this.startedAt) / 1000;
      this.instruments.timeToFirstToken.record(this.ttftSeconds, this.series.attributes);
    } else if (this.lastTokenAt >= 0) {
      this.instruments.interTokenLatency.record((at - this.lastTokenAt) / 1000, this.series.attributes);
    }
    this.lastTokenAt = at;
    this.tokens += count;
    this.series.addTokens(count, at);
  }

  /** Counts tokens that arrived together with no timing of their own (a non-streaming response). */
  countTokensWithoutTiming(count: number): void {
    if (this.ended) return;
    if (!isNonNegativeInteger(count)) {
      this.ryot.rejectValue('ryot_tokens_generated', count, 'a non-negative integer');
      return;
    }
    this.tokens += count;
    this.series.addTokens(count, this.ryot.now());
  }

  /** Records an inter-token latency the caller measured itself (seconds). */
  interTokenLatency(seconds: number): void {
    if (this.ended) return;
    if (!isFiniteNonNegative(seconds)) {
      this.ryot.rejectValue('ryot_inference_inter_token_latency_seconds', seconds, 'a non-negative finite number of seconds');
      return;
    }
    this.instruments.interTokenLatency.record(seconds, this.series.attributes);
  }

  /** Records a TTFT the caller measured itself (seconds); once per request, like a first token. */
  timeToFirstToken(seconds: number): void {
    if (this.ended) return;
    if (!isFiniteNonNegative(seconds)) {
      this.ryot.rejectValue('ryot_inference_ttft_seconds', seconds, 'a non-negative finite number of seconds');
      return;
    }
    if (this.ttftSeconds !== undefined) {
      this.ryot.diagnostics.warnOnce('ttft-twice', 'a request\'s TTFT was set after it was already recorded; the later value is dropped.');
      return;
    }
    this.ttftSeconds = seconds;
    this.instruments.timeToFirstToken.record(seconds, this.series.attributes);
  }

  /** Sets the output token count (no per-token timing); tokens added since the last count enter the rate windows now. */
  setTokenCount(count: number): void {
    if (this.ended) return;
    if (!isNonNegativeInteger(count)) {
      this.ryot.rejectValue('ryot_tokens_generated', count, 'a non-negative integer');
      return;
    }
    if (count > this.tokens) this.series.addTokens(count - this.tokens, this.ryot.now());
    this.tokens = count;
  }

  setPromptTokens(count: number): void {
    if (!isNonNegativeInteger(count)) {
      this.ryot.rejectValue('ryot_prompt_tokens', count, 'a non-negative integer');
      return;
    }
    this.promptTokens = count;
  }

  /** The output token count as reported by the engine or API (`usage`), used at the end instead of the chunk count. */
  setCompletionTokens(count: number): void {
    if (!isNonNegativeInteger(count)) {
      this.ryot.rejectValue('ryot_tokens_generated', count, 'a non-negative integer');
      return;
    }
    this.reportedTokens = count;
  }

  fail(error: unknown): void {
    if (this.ended) return;
    this.end(statusForErrorType(this.ryot.classify(error)), error);
  }

  end(requested: RequestStatus = 'success', error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    let status = requested;
    if (!REQUEST_STATUS_SET.has(status)) {
      this.ryot.rejectValue('ryot_inference_requests status', status, `one of ${REQUEST_STATUSES.join(', ')} (recorded as error)`);
      status = 'error';
    }
    if (this.signal && this.onAbort) this.signal.removeEventListener('abort', this.onAbort);
    const at = this.ryot.now();
    const seconds = Math.max(0, (at - this.startedAt) / 1000);
    const { instruments, series } = this;
    instruments.requestsInFlight.add(-1, series.attributes);
    instruments.requests.add(1, series.statusAttributes(status));
    instruments.requestDuration.record(seconds, series.attributes);
    if (status !== 'success') {
      const errorType = status === 'cancelled' ? 'cancelled' : error === undefined && status === 'timeout' ? 'timeout' : this.ryot.classify(error);
      instruments.errors.add(1, series.errorAttributes(errorType));
    }
    const tokens = this.reportedTokens ?? this.tokens;
    if (tokens > 0) {
      instruments.tokensGenerated.add(tokens, series.attributes);
      instruments.tokensPerRequest.record(tokens, series.attributes);
      if (seconds > 0) instruments.requestTokensPerSecond.record(tokens / seconds, series.attributes);
    }
    if (this.promptTokens !== undefined) instruments.promptTokens.add(this.promptTokens, series.attributes);
    if (instruments.genAi) this.recordGenAi(status, seconds, error);
  }

  private watch(signal: AbortSignal): void {
    if (signal.aborted) {
      this.aborted(signal.reason);
      return;
    }
    this.signal = signal;
    this.onAbort = () => this.aborted(signal.reason);
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** An abort is a cancellation, unless its reason is a deadline (AbortSignal.timeout()): then it is a timeout. */
  private aborted(reason: unknown): void {
    this.end(this.ryot.classify(reason) === 'timeout' ? 'timeout' : 'cancelled', reason);
  }

  private recordGenAi(status: RequestStatus, seconds: number, error: unknown): void {
    const genAi = this.instruments.genAi;
    const names = this.ryot.genAi;
    if (!genAi || !names) return;
    const base = this.series.cached(`genai:${names.providerName}:${names.operationName}`, () => ({
      'gen_ai.operation.name': names.operationName,
      'gen_ai.provider.name': names.providerName,
      'gen_ai.request.model': this.series.label,
    }));
    if (status !== 'success') {
      const errorType = error === undefined ? status : this.ryot.classify(error);
      genAi.requestDuration.record(seconds, this.series.cached(`genai-error:${names.providerName}:${names.operationName}:${errorType}`, () => ({ ...base, 'error.type': errorType })));
      return;
    }
    genAi.requestDuration.record(seconds, base);
    const timeToFirstToken = this.ttftSeconds;
    if (timeToFirstToken === undefined) return;
    genAi.timeToFirstToken.record(timeToFirstToken, base);
    if (this.tokens > 1) {
      genAi.timePerOutputToken.record((seconds - timeToFirstToken) / (this.tokens - 1), base);
    }
  }
}
