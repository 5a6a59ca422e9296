import type { Attributes } from '@opentelemetry/api';
import type { RyotApi } from './api.js';
import { REQUEST_STATUSES, SLO_NAMES, TOKEN_TYPES, type ErrorType, type FinishReason, type RequestStatus, type SloName } from './catalog.js';
import { statusForErrorType } from './classify.js';
import { bill } from './cost.js';
import { describeValue, recordSafely, safeString } from './diagnostics.js';
import { normalizeFinishReason } from './finish.js';
import { goodputIndex, judgeGoodput } from './goodput.js';
import { countPreemptions } from './operations.js';
import { recorderOf, type GenAiClientInstruments, type InstrumentationScope, type Recorder } from './recorder.js';
import type { ModelSeries } from './series.js';
import { FinishedRequest, type RequestSink } from './sinks.js';
import type { TenantLabel } from './tenants.js';
import { isFiniteNonNegative, isNonNegativeInteger, isPositiveFinite, isRecord } from './values.js';

/** Also record the OTel GenAI client metrics (gen_ai.client.*) for this request, under an integration's scope. */
export interface GenAiClientOptions {
  /** The integration's instrumentation scope, e.g. `{ name: '@ryot/openai', version }`. */
  scope: InstrumentationScope;
  /** `gen_ai.operation.name`, e.g. `chat`. */
  operation: string;
  /** `gen_ai.provider.name`, e.g. `openai`. */
  providerName: string;
  serverAddress?: string | undefined;
  serverPort?: number | undefined;
  /** Also set the deprecated `gen_ai.system` to the provider name (migration from the v1.36 conventions). */
  legacySystemAttribute?: boolean | undefined;
  /** Also record the unreleased gen_ai.client.inference.usage.* counters, from the usage the API reported. */
  usageCounters?: boolean | undefined;
}

/** What one request measured, handed to `onEnd` once. Times in seconds. */
export interface InferenceSummary {
  /** The `model` label the request was recorded under. */
  model: string;
  status: RequestStatus;
  /** The classified error_type when the status is not `success`. */
  errorType: ErrorType | undefined;
  /** The value the request failed with, or the abort reason. */
  error: unknown;
  duration: number;
  /** From the start of the work to the first token; undefined when none arrived. */
  timeToFirstToken: number | undefined;
  /** Tokens counted (recorded, or set with setTokenCount). */
  tokens: number;
  /** Gaps between timed tokens (one ITL observation each), and their extremes. */
  gaps: number;
  minGap: number | undefined;
  maxGap: number | undefined;
  promptTokens: number | undefined;
  /** The output token count as reported (setCompletionTokens), when it was. */
  completionTokens: number | undefined;
  /** Token categories as reported (setCacheReadTokens, setCacheWriteTokens, setReasoningTokens), when they were. */
  cacheReadTokens: number | undefined;
  cacheWriteTokens: number | undefined;
  reasoningTokens: number | undefined;
  /** Why it finished, in the recorded vocabulary (ryot_inference_finished_total). */
  finishReason: FinishReason;
  /** The `tenant` label it was counted under (an admitted tenant, or `other`), when tenants are on and it had one. */
  tenant: string | undefined;
  /** Phase durations and time per output token as recorded; undefined when not known (see the histograms). */
  prefill: number | undefined;
  decode: number | undefined;
  timePerOutputToken: number | undefined;
  /** Preemptions recorded for this request (recordPreemption). */
  preemptions: number;
  /** Each SLO judged for this request (when the model has targets): true when met. */
  goodput: Partial<Record<SloName, boolean>> | undefined;
  /** The bill in USD by token type, when the model has prices. */
  cost: Partial<Record<(typeof TOKEN_TYPES)[number], number>> | undefined;
}

/**
 * Phase durations an engine measured itself (vLLM's per-request timings, TGI's x-queue-time headers), in seconds.
 * Each one given replaces what the context measured.
 */
export interface EngineTimings {
  /** Recorded at once into ryot_inference_queue_wait_seconds (so don't also use a queue ticket for the request). */
  queueSeconds?: number | undefined;
  prefillSeconds?: number | undefined;
  decodeSeconds?: number | undefined;
}

export interface InferenceContextOptions {
  model: string;
  /** Prompt (input) tokens, when known. */
  promptTokens?: number | undefined;
  /** The tenant (API key, customer) its counters are labelled with, when tenants are enabled. */
  tenant?: string | undefined;
  /** Ends the request when the signal aborts (a timeout when its reason is a deadline, else cancelled). */
  signal?: AbortSignal | undefined;
  /** Record through this API's instance (`createRyot()`) instead of the default one. */
  ryot?: RyotApi | undefined;
  /** When the work started, on the instance's clock (`api.now()`); default: now. TTFT and duration count from here. */
  startedAt?: number | undefined;
  /** Also record gen_ai.client.* (client integrations). */
  genAiClient?: GenAiClientOptions | undefined;
  /** Called once when the request ends; an exception it throws is reported once and goes no further. */
  onEnd?: ((summary: InferenceSummary) => void) | undefined;
}

const REQUEST_STATUS_SET: ReadonlySet<unknown> = new Set(REQUEST_STATUSES);

function isAbortSignal(value: unknown): value is AbortSignal {
  // instanceof first: reading `aborted` through the duck-typed check costs more than the brand check.
  if (typeof AbortSignal === 'function' && value instanceof AbortSignal) return true;
  return isRecord(value) && typeof value['addEventListener'] === 'function' && typeof value['aborted'] === 'boolean';
}

/**
 * One inference request, from its start to its single outcome: the only place that holds per-request state. TTFT
 * and the inter-token gaps are measured here (`recordToken`), a failure is classified here exactly once (`fail`),
 * and the request ends here exactly once, however many of end/fail/abort/dispose are called. The wrappers
 * (`trackInferenceRequest`, `trackTokenGeneration`) and the client integrations drive one of these.
 *
 * Usable with `using` (ends as success on scope exit unless it already ended):
 *
 * ```ts
 * using ctx = new InferenceContext({ model: 'llama-3-8b' });
 * for await (const token of engine.generate(prompt)) ctx.recordToken();
 * ```
 */
export class InferenceContext implements Disposable {
  private readonly recorder: Recorder;
  private readonly sink: RequestSink;
  private readonly series: ModelSeries;
  private readonly startedAt: number;
  private done = false;
  private tokens = 0;
  private promptTokens: number | undefined;
  private reportedTokens: number | undefined;
  private cacheReadTokens: number | undefined;
  private cacheWriteTokens: number | undefined;
  private reasoningTokens: number | undefined;
  /** Seconds to the first token, once known (from the first token, or set by the caller). */
  private ttftSeconds: number | undefined;
  /** When the previous token arrived; -1 before the first one with a timestamp. */
  private lastTokenAt = -1;
  private gaps = 0;
  private minGap = Number.POSITIVE_INFINITY;
  private maxGap = Number.NEGATIVE_INFINITY;
  private signal: AbortSignal | undefined;
  private onAbort: (() => void) | undefined;
  private tenant: TenantLabel | undefined;
  private finishReason: FinishReason | undefined;
  /** Clock readings (ms) bounding the phases; undefined until marked. */
  private prefillStartedAt: number | undefined;
  private prefillDoneAt: number | undefined;
  private firstTokenAt: number | undefined;
  private engineTimings: EngineTimings | undefined;
  private preemptions = 0;
  private readonly genAiClient: GenAiClientOptions | undefined;
  private clientInstruments: GenAiClientInstruments | undefined;
  private clientAttributes: Attributes | undefined;
  private responseModel: string | undefined;
  private readonly onEnd: ((summary: InferenceSummary) => void) | undefined;

  constructor(options: InferenceContextOptions);
  constructor(options: InferenceContextOptions, bound?: Recorder) {
    const given: Partial<InferenceContextOptions> = isRecord(options) ? options : {};
    const recorder = bound ?? recorderOf(given.ryot);
    this.recorder = recorder;
    this.series = recorder.series(given.model);
    this.startedAt = typeof given.startedAt === 'number' && Number.isFinite(given.startedAt) ? given.startedAt : recorder.now();
    this.genAiClient = isRecord(given.genAiClient) ? given.genAiClient : undefined;
    this.onEnd = typeof given.onEnd === 'function' ? given.onEnd : undefined;
    this.sink = recorder.requestSink();
    this.sink.start(this.series);
    if (given.promptTokens !== undefined) this.setPromptTokens(given.promptTokens);
    if (given.tenant !== undefined) this.setTenant(given.tenant);
    const signal = given.signal;
    if (signal !== undefined && signal !== null) {
      if (isAbortSignal(signal)) this.watch(signal);
      else recorder.rejectValue('signal option', signal, 'an AbortSignal');
    }
  }

  /** The `model` label this request records under (after the cardinality guard). */
  get model(): string {
    return this.series.label;
  }

  get tokenCount(): number {
    return this.tokens;
  }

  get ended(): boolean {
    return this.done;
  }

  /** Records `count` tokens arriving now: the first gives TTFT, each later call one inter-token gap. */
  recordToken(count = 1): void {
    if (this.done) return;
    if (count !== 1 && !isPositiveFinite(count)) {
      if (count !== 0) this.recorder.rejectValue('token count', count, 'a positive finite number');
      return;
    }
    const at = this.recorder.now();
    const { series } = this;
    if (this.ttftSeconds === undefined) {
      const seconds = (at - this.startedAt) / 1000;
      this.ttftSeconds = seconds;
      this.firstTokenAt = at;
      this.sink.firstToken(series, seconds);
      if (this.genAiClient) this.client().genAiClientTimeToFirstChunk.record(seconds, this.clientAttributesNow());
    } else if (this.lastTokenAt >= 0) {
      const gap = (at - this.lastTokenAt) / 1000;
      this.sink.gap(series, gap);
      if (this.genAiClient) this.client().genAiClientTimePerOutputChunk.record(gap, this.clientAttributesNow());
      this.gaps++;
      if (gap < this.minGap) this.minGap = gap;
      if (gap > this.maxGap) this.maxGap = gap;
    }
    this.lastTokenAt = at;
    this.tokens += count;
    series.addTokens(count, at);
  }

  /** Records an inter-token latency measured elsewhere, in seconds. */
  recordItl(seconds: number): void {
    if (this.done) return;
    if (!isFiniteNonNegative(seconds)) {
      this.recorder.rejectValue('ryot_inference_inter_token_latency_seconds', seconds, 'a non-negative finite number of seconds');
      return;
    }
    this.sink.gap(this.series, seconds);
  }

  /** The reference library's name for recordItl. */
  recordInterTokenLatency(seconds: number): void {
    this.recordItl(seconds);
  }

  /** Records a TTFT measured elsewhere, in seconds; once per request (a later first token then adds no TTFT). */
  setTtft(seconds: number): void {
    if (this.done) return;
    if (!isFiniteNonNegative(seconds)) {
      this.recorder.rejectValue('ryot_inference_ttft_seconds', seconds, 'a non-negative finite number of seconds');
      return;
    }
    if (this.ttftSeconds !== undefined) {
      this.recorder.diagnostics.warnOnce('ttft-twice', "a request's TTFT was set after it was already recorded; the later value is dropped.");
      return;
    }
    this.ttftSeconds = seconds;
    this.sink.firstToken(this.series, seconds);
  }

  /** Sets the output token count without per-token timing (a whole response; the reference library's `set_token_count`). */
  setTokenCount(count: number): void {
    if (this.done || !this.validCount('ryot_tokens_generated', count)) return;
    if (count > this.tokens) this.series.addTokens(count - this.tokens, this.recorder.now());
    this.tokens = count;
  }

  setPromptTokens(count: number): void {
    if (this.validCount('ryot_prompt_tokens', count)) this.promptTokens = count;
  }

  /** Output tokens as the engine or API reports them (e.g. `usage.completion_tokens`); used at the end instead of the count. */
  setCompletionTokens(count: number): void {
    if (this.validCount('ryot_tokens_generated', count)) this.reportedTokens = count;
  }

  /** Input tokens served from the provider's prompt cache, as reported; counted once when the request ends. */
  setCacheReadTokens(count: number): void {
    if (this.validCount('ryot_cache_read_tokens', count)) this.cacheReadTokens = count;
  }

  /** Input tokens written to the provider's prompt cache, as reported; counted once when the request ends. */
  setCacheWriteTokens(count: number): void {
    if (this.validCount('ryot_cache_write_tokens', count)) this.cacheWriteTokens = count;
  }

  /** Output tokens spent on reasoning, as reported; counted once when the request ends. */
  setReasoningTokens(count: number): void {
    if (this.validCount('ryot_reasoning_tokens', count)) this.reasoningTokens = count;
  }

  private validCount(metric: string, count: number): boolean {
    if (isNonNegativeInteger(count)) return true;
    this.recorder.rejectValue(metric, count, 'a non-negative integer');
    return false;
  }

  /** The engine took the request from its queue: prefill starts now (ryot_inference_prefill_seconds). */
  prefillStarted(): void {
    if (!this.done && this.prefillStartedAt === undefined) this.prefillStartedAt = this.recorder.now();
  }

  /** Prefill ended now and decode starts (default: at the first token). */
  prefillDone(): void {
    if (!this.done && this.prefillDoneAt === undefined) this.prefillDoneAt = this.recorder.now();
  }

  /** Phase durations the engine measured, in seconds; each one given replaces the context's own measurement. */
  setEngineTimings(timings: EngineTimings): void {
    if (this.done) return;
    if (!isRecord(timings)) {
      this.recorder.rejectValue('engine timings', timings, 'an object such as { prefillSeconds, decodeSeconds }');
      return;
    }
    // The object is the caller's: a getter or a proxy may throw, which must not reach the caller.
    recordSafely(this.recorder.diagnostics, 'setEngineTimings', () => {
      const checked: EngineTimings = { ...this.engineTimings };
      for (const key of ['queueSeconds', 'prefillSeconds', 'decodeSeconds'] as const) {
        const seconds = timings[key];
        if (seconds === undefined) continue;
        if (isFiniteNonNegative(seconds)) checked[key] = seconds;
        else this.recorder.rejectValue(`engine timings ${key}`, seconds, 'a non-negative finite number of seconds');
      }
      if (checked.queueSeconds !== undefined && this.engineTimings?.queueSeconds === undefined) {
        this.sink.queueWait(this.series, checked.queueSeconds);
      }
      this.engineTimings = checked;
    });
  }

  /** Why the request finished, as the engine or API says it (stop, length, end_turn, tool_use, …); the last one counts. */
  setFinishReason(reason: string): void {
    if (this.done) return;
    const normalized = typeof reason === 'string' ? normalizeFinishReason(reason) : undefined;
    if (normalized !== undefined) {
      this.finishReason = normalized;
      return;
    }
    this.recorder.diagnostics.warnOnce('finish-reason', () => `finish reason ${describeValue(reason)} is not one Ryot knows; recorded as unknown (reported once for all such reasons).`);
    this.finishReason = 'unknown';
  }

  /** The tenant (API key, customer) this request's counters are labelled with, when tenants are enabled. */
  setTenant(tenant: string): void {
    if (!this.done) this.tenant = this.recorder.tenant(tenant);
  }

  /** The engine preempted this request (ryot_preemptions_total); `count` at once. */
  recordPreemption(count = 1): void {
    if (!this.done && countPreemptions(this.recorder, this.series, count)) this.preemptions += count;
  }

  /** `gen_ai.response.model` for the gen_ai.client.* metrics; effective until their first record. */
  setResponseModel(model: string): void {
    if (this.responseModel === undefined && typeof model === 'string') this.responseModel = model;
  }

  /** Ends the request with the status and error_type its error classifies to (classified once, here). */
  fail(error: unknown): void {
    if (this.done) return;
    const errorType = this.recorder.classify(error);
    this.finish(statusForErrorType(errorType), errorType, error);
  }

  /** Ends the request. A status outside success/error/timeout/cancelled is recorded as error, with one diagnostic. */
  end(status: RequestStatus = 'success'): void {
    if (this.done) return;
    let checked = status;
    if (!REQUEST_STATUS_SET.has(checked)) {
      this.recorder.rejectValue('ryot_inference_requests status', checked, `one of ${REQUEST_STATUSES.join(', ')} (recorded as error)`);
      checked = 'error';
    }
    const errorType: ErrorType | undefined =
      checked === 'success' ? undefined : checked === 'cancelled' ? 'cancelled' : checked === 'timeout' ? 'timeout' : 'unknown';
    this.finish(checked, errorType, undefined);
  }

  /** Ends the request as aborted now: a timeout when the reason is a deadline, else cancelled. */
  abort(reason?: unknown): void {
    if (this.done) return;
    const timedOut = reason !== undefined && this.recorder.classify(reason) === 'timeout';
    this.finish(timedOut ? 'timeout' : 'cancelled', timedOut ? 'timeout' : 'cancelled', reason);
  }

  [Symbol.dispose](): void {
    this.end('success');
  }

  private watch(signal: AbortSignal): void {
    if (signal.aborted) {
      this.abort(signal.reason);
      return;
    }
    this.signal = signal;
    this.onAbort = () => this.abort(signal.reason);
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  private finish(status: RequestStatus, errorType: ErrorType | undefined, error: unknown): void {
    this.done = true;
    if (this.signal && this.onAbort) this.signal.removeEventListener('abort', this.onAbort);
    const { recorder, series } = this;
    const end = recorder.now();
    const request = new FinishedRequest(series.counters(this.tenant));
    request.status = status;
    request.errorType = errorType;
    request.finishReason = status === 'success' ? (this.finishReason ?? 'unknown') : status === 'cancelled' ? 'abort' : 'error';
    const duration = (request.duration = Math.max(0, (end - this.startedAt) / 1000));
    const tokens = (request.tokens = this.reportedTokens ?? this.tokens);
    request.promptTokens = this.promptTokens;
    this.measurePhases(request, end);
    if (series.sloTargets !== undefined) request.goodput = judgeGoodput(series.sloTargets, status, duration, this.ttftSeconds, request.timePerOutputToken);
    if (series.prices !== undefined) {
      const cost = (request.cost = recorder.billScratch.fill(0));
      if (!bill(series.prices, this.promptTokens, tokens, this.cacheReadTokens, this.cacheWriteTokens, this.reasoningTokens, cost)) {
        recorder.diagnostics.warnOnce('bill-parts', 'a request reported more cached tokens than prompt tokens, or more reasoning tokens than output tokens; the remainder was billed as 0.');
      }
    }
    this.sink.finish(series, request);
    if (this.cacheReadTokens !== undefined || this.cacheWriteTokens !== undefined || this.reasoningTokens !== undefined) {
      const { attributes } = series;
      const instruments = recorder.instruments();
      if (this.cacheReadTokens !== undefined) instruments.cacheReadTokens.add(this.cacheReadTokens, attributes);
      if (this.cacheWriteTokens !== undefined) instruments.cacheWriteTokens.add(this.cacheWriteTokens, attributes);
      if (this.reasoningTokens !== undefined) instruments.reasoningTokens.add(this.reasoningTokens, attributes);
    }
    if (recorder.genAi) this.recordGenAiServer(status, duration, error === undefined ? status : errorType, request.timePerOutputToken);
    if (this.genAiClient) this.recordGenAiClient(duration, errorType);
    if (this.onEnd) this.report(request, error);
  }

  /**
   * Prefill (from prefillStarted to prefillDone or the first token) once it completed, whatever the outcome; decode
   * (from the end of prefill to the last token) and TPOT for successful requests only: a decode cut short would look
   * fast. The engine's own timings win.
   */
  private measurePhases(request: FinishedRequest, end: number): void {
    const engine = this.engineTimings;
    const prefillEnd = this.prefillDoneAt ?? this.firstTokenAt;
    request.prefill =
      engine?.prefillSeconds ??
      (this.prefillStartedAt !== undefined && prefillEnd !== undefined ? Math.max(0, (prefillEnd - this.prefillStartedAt) / 1000) : undefined);
    if (request.status !== 'success') return;
    const lastToken = this.lastTokenAt >= 0 ? this.lastTokenAt : end;
    request.decode = engine?.decodeSeconds ?? (prefillEnd !== undefined ? Math.max(0, (lastToken - prefillEnd) / 1000) : undefined);
    const ttft = this.ttftSeconds;
    if (ttft === undefined || request.tokens < 2) return;
    // A TTFT set from elsewhere (setTtft) can exceed the duration this context measured: then there is no TPOT.
    const tpot = (request.duration - ttft) / (request.tokens - 1);
    if (tpot >= 0) request.timePerOutputToken = tpot;
  }

  private recordGenAiServer(status: RequestStatus, duration: number, errorType: string | undefined, tpot: number | undefined): void {
    const genAi = this.recorder.genAiServerInstruments();
    const names = this.recorder.genAi;
    if (!genAi || !names) return;
    const series = this.series;
    const base = series.cached(`genai:${names.providerName}:${names.operationName}`, () => ({
      'gen_ai.operation.name': names.operationName,
      'gen_ai.provider.name': names.providerName,
      'gen_ai.request.model': series.label,
    }));
    if (status !== 'success') {
      const key = `genai-error:${names.providerName}:${names.operationName}:${errorType}`;
      genAi.genAiServerRequestDuration.record(duration, series.cached(key, () => ({ ...base, 'error.type': String(errorType) })));
      return;
    }
    genAi.genAiServerRequestDuration.record(duration, base);
    const ttft = this.ttftSeconds;
    if (ttft === undefined) return;
    genAi.genAiServerTimeToFirstToken.record(ttft, base);
    if (tpot !== undefined) genAi.genAiServerTimePerOutputToken.record(tpot, base);
  }

  private recordGenAiClient(duration: number, errorType: ErrorType | undefined): void {
    const client = this.client();
    const base = this.clientAttributesNow();
    client.genAiClientOperationDuration.record(duration, errorType === undefined ? base : { ...base, 'error.type': errorType });
    if (this.promptTokens !== undefined) client.genAiClientTokenUsage.record(this.promptTokens, { ...base, 'gen_ai.token.type': 'input' });
    if (this.reportedTokens !== undefined) client.genAiClientTokenUsage.record(this.reportedTokens, { ...base, 'gen_ai.token.type': 'output' });
    if (this.genAiClient!.usageCounters) this.recordUsageCounters(base);
  }

  private recordUsageCounters(attributes: Attributes): void {
    const usage = this.recorder.genAiClientUsageInstruments(this.genAiClient!.scope);
    const counts: Array<[keyof typeof usage, number | undefined]> = [
      ['genAiClientUsageInputTokens', this.promptTokens],
      ['genAiClientUsageOutputTokens', this.reportedTokens],
      ['genAiClientUsageCacheReadInputTokens', this.cacheReadTokens],
      ['genAiClientUsageCacheWriteInputTokens', this.cacheWriteTokens],
      ['genAiClientUsageReasoningOutputTokens', this.reasoningTokens],
    ];
    for (const [key, count] of counts) if (count !== undefined) usage[key].add(count, attributes);
  }

  private client(): GenAiClientInstruments {
    return (this.clientInstruments ??= this.recorder.genAiClientInstruments(this.genAiClient!.scope));
  }

  /** The gen_ai.client.* attribute set, built at its first use and kept for the request. */
  private clientAttributesNow(): Attributes {
    if (this.clientAttributes) return this.clientAttributes;
    const options = this.genAiClient!;
    const attributes: Attributes = {
      'gen_ai.operation.name': options.operation,
      'gen_ai.provider.name': options.providerName,
      'gen_ai.request.model': this.series.label,
    };
    if (options.legacySystemAttribute) attributes['gen_ai.system'] = options.providerName;
    if (this.responseModel !== undefined) attributes['gen_ai.response.model'] = this.recorder.series(this.responseModel).label;
    if (options.serverAddress !== undefined) {
      attributes['server.address'] = options.serverAddress;
      if (options.serverPort !== undefined) attributes['server.port'] = options.serverPort;
    }
    this.clientAttributes = attributes;
    return attributes;
  }

  private report(request: FinishedRequest, error: unknown): void {
    const { goodput, cost } = request;
    try {
      this.onEnd!({
        model: this.series.label,
        status: request.status,
        errorType: request.errorType,
        error,
        duration: request.duration,
        timeToFirstToken: this.ttftSeconds,
        tokens: this.tokens,
        gaps: this.gaps,
        minGap: this.gaps > 0 ? this.minGap : undefined,
        maxGap: this.gaps > 0 ? this.maxGap : undefined,
        promptTokens: this.promptTokens,
        completionTokens: this.reportedTokens,
        cacheReadTokens: this.cacheReadTokens,
        cacheWriteTokens: this.cacheWriteTokens,
        reasoningTokens: this.reasoningTokens,
        finishReason: request.finishReason,
        tenant: this.tenant?.label,
        prefill: request.prefill,
        decode: request.decode,
        timePerOutputToken: request.timePerOutputToken,
        preemptions: this.preemptions,
        goodput: this.series.sloTargets === undefined ? undefined : judgments(goodput),
        cost: cost === undefined ? undefined : Object.fromEntries(TOKEN_TYPES.map((type, i) => [type, cost[i]!])),
      });
    } catch (callbackError) {
      this.recorder.diagnostics.warnOnce('on-end-threw', () => `the onEnd callback threw (${safeString(callbackError)}); ignored.`);
    }
  }
}

/** A goodput mask as { slo: met } for the SLOs judged. */
function judgments(mask: number): Partial<Record<SloName, boolean>> {
  const out: Partial<Record<SloName, boolean>> = {};
  SLO_NAMES.forEach((slo, i) => {
    const index = goodputIndex(mask, i);
    if (index >= 0) out[slo] = index % 2 === 0;
  });
  return out;
}

type ContextForRecorder = new (options: InferenceContextOptions, recorder: Recorder) => InferenceContext;

/**
 * A context recording through `recorder` (`api.startInference(options)`, the trackers): the recorder is handed to the
 * constructor beside the caller's options rather than spread into a copy of them as `ryot`, which cost about 1 µs a
 * request (the second constructor parameter is not public).
 */
export function startInferenceFor(recorder: Recorder, options: InferenceContextOptions): InferenceContext {
  return new (InferenceContext as ContextForRecorder)(options, recorder);
}
