import { setImmediate as nextTick, setTimeout as sleep } from 'node:timers/promises';
import type { QueueTicket, RyotApi } from '@ryot/metrics';
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
}

/**
 * One model on a simulated GPU: a FIFO queue in front of continuous batching. Each
 * decode step serves every running sequence one token; newly admitted sequences pay
 * their prefill inside the step that admits them; a step gets slower as the batch grows.
 */
export class ModelEngine {
  private readonly waiting: Sequence[] = [];
  private running: Sequence[] = [];
  private looping = false;
  private readonly cache = new PrefixCache(256);
  private loaded = false;
  private readonly faults: FaultRates;
  private lastGpuReport = Number.NEGATIVE_INFINITY;

  constructor(
    readonly spec: ModelSpec,
    private readonly api: RyotApi | undefined,
    private readonly options: EngineOptions,
  ) {
    this.faults = { ...options.faults, ...spec.faults };
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
    this.reportGpu();
  }

  /** Moves waiting sequences into the batch; returns the prefill time they add to this step. */
  private admit(): number {
    let prefillMs = 0;
    while (this.running.length < this.spec.maxBatch && this.waiting.length > 0) {
      const sequence = this.waiting.shift()!;
      if (sequence.done) continue;
      sequence.ticket?.dequeue();
      const { faults } = this;
      const { random } = this.options;
      if (random() < faults.oom) {
        this.finish(sequence, { error: outOfMemory(this.spec) });
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
      this.running.push(sequence);
    }
    return prefillMs;
  }

  private decodeStep(): void {
    const batch = this.running.filter((sequence) => !sequence.done);
    if (batch.length > 0) this.api?.recordBatch({ model: this.spec.name, size: batch.length });
    for (const sequence of batch) {
      if (sequence.stalled) continue;
      if (sequence.generated === sequence.failAtToken) {
        this.finish(sequence, { error: cudaError() });
        continue;
      }
      sequence.channel.push(VOCABULARY[Math.floor(this.options.random() * VOCABULARY.length)]!);
      sequence.generated++;
      this.armTimeout(sequence);
      if (sequence.generated >= sequence.request.maxTokens) this.finish(sequence);
    }
    this.running = this.running.filter((sequence) => !sequence.done);
    // Like a real exporter polling the allocator: at most every GPU_REPORT_MS, not every step.
    if (performance.now() - this.lastGpuReport >= GPU_REPORT_MS) this.reportGpu();
  }

  private finish(sequence: Sequence, failure?: { error: unknown }): void {
    if (sequence.done) return;
    sequence.done = true;
    this.running = this.running.filter((other) => other !== sequence);
    clearTimeout(sequence.timer);
    sequence.ticket?.abandon();
    sequence.channel.close(failure);
  }

  private armTimeout(sequence: Sequence): void {
    clearTimeout(sequence.timer);
    sequence.timer = setTimeout(() => this.finish(sequence, { error: requestTimeout(this.options.requestTimeoutMs) }), this.options.requestTimeoutMs);
  }

  /** The simulated allocator: weights plus the KV cache of every running sequence, inside a fixed pool. */
  private reportGpu(): void {
    if (!this.api || !this.options.simulateGpu) return;
    this.lastGpuReport = performance.now();
    const contextTokens = this.running.reduce((sum, s) => sum + s.request.promptTokens + s.generated, 0);
    const used = Math.min(this.spec.reservedBytes, this.spec.weightsBytes + contextTokens * this.spec.kvBytesPerToken);
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
