import { setImmediate as nextTick, setTimeout as sleep } from 'node:timers/promises';
import type { InferenceContext, QueueTicket, RyotApi } from '@ryot/metrics';
import { TokenChannel } from './channel.js';
import { cudaError, outOfMemory, requestTimeout } from './faults.js';
import type { FaultRates, ModelSpec } from './model-spec.js';
import { PrefixCache } from './prefix-cache.js';

export interface GenerateRequest {
  promptTokens: number;
  /** Requests that share a prefix key hit the prefix cache after the first. */
  prefixKey: string;
  maxTokens: number;
  signal?: AbortSignal | undefined;
  /** The request's Ryot context: the engine reports its phase timings and preemptions to it. */
  context?: InferenceContext | undefined;
}

export interface EngineOptions {
  faults: FaultRates;
  random: () => number;
  /** A request with no token for this long fails with a timeout. */
  requestTimeoutMs: number;
  /** Report the simulated allocator through updateGpuMetrics (off when NVML reports the real GPU). */
  simulateGpu: boolean;
  /** ±fraction of random jitter on step times; 0 makes timing deterministic. */
  jitter: number;
}

const GPU_REPORT_MS = 200;

const VOCABULARY = ['the', ' model', ' token', ' stream', ' of', ' a', ' GPU', ' batch', ' cache', ' is', ' fast', '.', ' and', ' latency'];

interface Sequence {
  request: GenerateRequest;
  channel: TokenChannel<string>;
  ticket: QueueTicket | undefined;
  generated: number;
  stalled: boolean;
  failAtToken: number;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
  /** Engine clock (performance.now()) at the first scheduling, the first token and the last one. */
  scheduledAt: number | undefined;
  firstTokenAt: number | undefined;
  lastTokenAt: number | undefined;
}

/**
 * One model on a simulated GPU: a FIFO queue in front of continuous batching. Each
 * decode step serves every running sequence one token; newly admitted sequences pay
 * their prefill inside the step that admits them; a step gets slower as the batch grows.
 * The KV cache holds the context (prompt and generated tokens) of the running sequences in
 * the memory the allocator reserved beyond the weights: a sequence is admitted only when its
 * context fits, and when a decode step would overflow it, the most recently admitted
 * sequence is preempted (vLLM's recompute policy): back to the head of the queue, its cache
 * freed, its whole context prefilled again when it is readmitted.
 */
export class ModelEngine {
  private readonly waiting: Sequence[] = [];
  private running: Sequence[] = [];
  private looping = false;
  private readonly cache = new PrefixCache(256);
  private loaded = false;
  private readonly faults: FaultRates;
  private lastGpuReport = Number.NEGATIVE_INFINITY;
  /** Tokens the KV cache holds, and how many it can hold. */
  private kvUsed = 0;
  private readonly kvCapacity: number;

  constructor(
    readonly spec: ModelSpec,
    private readonly api: RyotApi | undefined,
    private readonly options: EngineOptions,
  ) {
    this.faults = { ...options.faults, ...spec.faults };
    this.kvCapacity = Math.max(1, Math.floor((spec.reservedBytes - spec.weightsBytes) / spec.kvBytesPerToken));
  }

  /** The fraction of the KV cache in use. */
  get kvCacheUsage(): number {
    return Math.min(1, this.kvUsed / this.kvCapacity);
  }

  get queueLength(): number {
    return this.waiting.length;
  }

  get batchSize(): number {
    return this.running.length;
  }

  async load(): Promise<void> {
    const load = () => sleep(this.jittered(this.spec.loadMs));
    await (this.api ? this.api.trackModelLoad(this.spec.name, load) : load());
    this.api?.modelInfo.info({
      model: this.spec.name,
      family: this.spec.family,
      quantization: this.spec.quantization,
      max_batch: this.spec.maxBatch,
      engine: 'ryot-simulated',
    });
    this.loaded = true;
    this.reportGpu();
  }

  /** Enqueues the request now (eagerly, like an HTTP call) and returns its token stream. */
  generate(request: GenerateRequest): AsyncIterable<string> {
    const channel = new TokenChannel<string>();
    if (!this.loaded) {
      channel.close({ error: new Error(`model ${this.spec.name} is not loaded`) });
      return channel;
    }
    const sequence: Sequence = {
      request,
      channel,
      ticket: this.api?.enqueue(this.spec.name),
      generated: 0,
      stalled: false,
      failAtToken: -1,
      timer: undefined,
      done: false,
      scheduledAt: undefined,
      firstTokenAt: undefined,
      lastTokenAt: undefined,
    };
    this.armTimeout(sequence);
    request.signal?.addEventListener('abort', () => this.finish(sequence, { error: request.signal!.reason }), { once: true });
    this.waiting.push(sequence);
    if (!this.looping) {
      this.looping = true;
      void this.run();
    }
    return channel;
  }

  /**
   * The batching loop. It runs while there is work; `looping` is cleared in the same tick
   * as the last emptiness check, so a request arriving later always starts a new loop.
   */
  private async run(): Promise<void> {
    try {
      while (this.waiting.length > 0 || this.running.length > 0) {
        const prefillMs = this.admit();
        if (this.running.length === 0) continue;
        const stepMs = this.jittered(this.spec.stepMs + this.spec.stepMsPerSequence * this.running.length + prefillMs);
        if (stepMs >= 1) await sleep(stepMs);
        else await nextTick();
        this.decodeStep();
      }
    } catch (error) {
      for (const sequence of [...this.running, ...this.waiting]) this.finish(sequence, { error });
      this.running = [];
      this.waiting.length = 0;
    } finally {
      this.looping = false;
    }
    this.reportKvCache();
    this.reportGpu();
  }

  private reportKvCache(): void {
    this.api?.setKvCacheUsage({ model: this.spec.name, ratio: this.kvCacheUsage });
  }

  /** Moves waiting sequences into the batch while their context fits the KV cache; returns the prefill time they add to this step. */
  private admit(): number {
    let prefillMs = 0;
    while (this.running.length < this.spec.maxBatch && this.waiting.length > 0) {
      const sequence = this.waiting[0]!;
      if (sequence.done) {
        this.waiting.shift();
        continue;
      }
      // A sequence that does not fit waits for memory, unless nothing runs (it then runs alone, over the budget).
      const context = this.contextOf(sequence);
      if (this.running.length > 0 && this.kvUsed + context > this.kvCapacity) break;
      this.waiting.shift();
      const resumed = sequence.scheduledAt !== undefined;
      sequence.scheduledAt ??= performance.now();
      sequence.ticket?.dequeue();
      const { faults } = this;
      const { random } = this.options;
      if (!resumed && random() < faults.oom) {
        this.finish(sequence, { error: outOfMemory(this.spec) });
        continue;
      }
      this.kvUsed += context;
      this.running.push(sequence);
      if (resumed) {
        // Recompute after a preemption: the whole context again, no cache lookup and no new fault draws.
        prefillMs += context * this.spec.prefillMsPerToken;
        continue;
      }
      const hit = this.cache.lookup(sequence.request.prefixKey);
      this.api?.recordCacheLookup({ model: this.spec.name, hit });
      let cost = sequence.request.promptTokens * this.spec.prefillMsPerToken * (hit ? 0.1 : 1);
      if (random() < faults.transient) {
        this.api?.recordRetry({ model: this.spec.name });
        cost *= 2; // the prefill ran twice
      }
      if (random() < faults.timeout) sequence.stalled = true;
      if (random() < faults.cuda) sequence.failAtToken = Math.floor(random() * sequence.request.maxTokens);
      prefillMs += cost;
    }
    return prefillMs;
  }

  private decodeStep(): void {
    this.preemptForGrowth();
    const batch = this.running.filter((sequence) => !sequence.done);
    if (batch.length > 0) this.api?.recordBatch({ model: this.spec.name, size: batch.length });
    const now = performance.now();
    for (const sequence of batch) {
      if (sequence.stalled) continue;
      if (sequence.generated === sequence.failAtToken) {
        this.finish(sequence, { error: cudaError() });
        continue;
      }
      sequence.channel.push(VOCABULARY[Math.floor(this.options.random() * VOCABULARY.length)]!);
      sequence.generated++;
      this.kvUsed++;
      sequence.firstTokenAt ??= now;
      sequence.lastTokenAt = now;
      this.armTimeout(sequence);
      if (sequence.generated >= sequence.request.maxTokens) this.finish(sequence);
    }
    this.running = this.running.filter((sequence) => !sequence.done);
    this.reportKvCache();
    // Like a real exporter polling the allocator: at most every GPU_REPORT_MS, not every step.
    if (performance.now() - this.lastGpuReport >= GPU_REPORT_MS) this.reportGpu();
  }

  /** Every running sequence grows by a token this step: preempt the newest ones until that fits (never the last one). */
  private preemptForGrowth(): void {
    while (this.running.length > 1 && this.kvUsed + this.running.length > this.kvCapacity) {
      const victim = this.running.pop()!;
      this.kvUsed -= this.contextOf(victim);
      this.waiting.unshift(victim);
      if (victim.request.context) victim.request.context.recordPreemption();
      else this.api?.recordPreemption({ model: this.spec.name });
    }
  }

  /** Tokens a sequence holds in the KV cache while it runs. */
  private contextOf(sequence: Sequence): number {
    return sequence.request.promptTokens + sequence.generated;
  }

  private finish(sequence: Sequence, failure?: { error: unknown }): void {
    if (sequence.done) return;
    sequence.done = true;
    const running = this.running.length;
    this.running = this.running.filter((other) => other !== sequence);
    if (this.running.length < running) this.kvUsed -= this.contextOf(sequence);
    clearTimeout(sequence.timer);
    sequence.ticket?.abandon();
    this.reportTimings(sequence);
    sequence.channel.close(failure);
  }

  /**
   * The engine's own phase timings, as vLLM computes them from its scheduler events: prefill from the first
   * scheduling to the first token, decode from the first token to the last (preemptions included).
   */
  private reportTimings(sequence: Sequence): void {
    const { scheduledAt, firstTokenAt, lastTokenAt } = sequence;
    if (scheduledAt === undefined || firstTokenAt === undefined) return;
    sequence.request.context?.setEngineTimings({
      prefillSeconds: (firstTokenAt - scheduledAt) / 1000,
      decodeSeconds: ((lastTokenAt ?? firstTokenAt) - firstTokenAt) / 1000,
    });
  }

  private armTimeout(sequence: Sequence): void {
    clearTimeout(sequence.timer);
    sequence.timer = setTimeout(() => this.finish(sequence, { error: requestTimeout(this.options.requestTimeoutMs) }), this.options.requestTimeoutMs);
  }

  /** The simulated allocator: weights plus the KV cache of the running sequences, inside the reserved pool. */
  private reportGpu(): void {
    if (!this.api || !this.options.simulateGpu) return;
    this.lastGpuReport = performance.now();
    const used = Math.min(this.spec.reservedBytes, this.spec.weightsBytes + this.kvUsed * this.spec.kvBytesPerToken);
    this.api.updateGpuMetrics({
      model: this.spec.name,
      gpuId: this.spec.gpuId,
      usedBytes: used,
      reservedBytes: this.spec.reservedBytes,
      utilization: Math.round((100 * this.running.length) / this.spec.maxBatch),
    });
  }

  private jittered(ms: number): number {
    const jitter = this.options.jitter;
    return jitter === 0 ? ms : ms * (1 - jitter + 2 * jitter * this.options.random());
  }
}
