/** How one simulated model behaves. Times in milliseconds. */
export interface ModelSpec {
  name: string;
  family: string;
  quantization: string;
  /** Time to load the weights at startup. */
  loadMs: number;
  /** Prefill cost per prompt token not served from the prefix cache. */
  prefillMsPerToken: number;
  /** Fixed cost of one decode step. */
  stepMs: number;
  /** Extra decode-step cost per running sequence (a bigger batch makes every step slower). */
  stepMsPerSequence: number;
  /** Sequences decoded together at most; the rest wait in the queue. */
  maxBatch: number;
  /**
   * Simulated GPU: weights, bytes of KV cache per token, and the memory pool the allocator reserved: the weights
   * plus the KV cache, which holds (reservedBytes − weightsBytes) / kvBytesPerToken tokens of context.
   */
  weightsBytes: number;
  kvBytesPerToken: number;
  reservedBytes: number;
  gpuId: number;
  /** Fault rates for this model only, over the server-wide ones. */
  faults?: Partial<FaultRates>;
}

export interface FaultRates {
  /** Probability that a request fails with CUDA OOM at admission. */
  oom: number;
  /** Probability that a request stalls and hits the request timeout. */
  timeout: number;
  /** Probability of a CUDA error mid-decode. */
  cuda: number;
  /** Probability of a transient error at prefill that the engine retries once. */
  transient: number;
}

export const NO_FAULTS: FaultRates = { oom: 0, timeout: 0, cuda: 0, transient: 0 };
export const DEMO_FAULTS: FaultRates = { oom: 0.01, timeout: 0.005, cuda: 0.01, transient: 0.03 };

const GiB = 1024 ** 3;

/*
 * KV caches at toy scale (4096, 8192 and 1536 tokens of context), so a demo's few concurrent requests put
 * the qwen model under memory pressure: it preempts (ryot_preemptions_total) when its batch outgrows 1536 tokens.
 */
export const DEFAULT_MODELS: ModelSpec[] = [
  {
    name: 'llama-3.1-8b-instruct',
    family: 'llama',
    quantization: 'bf16',
    loadMs: 600,
    prefillMsPerToken: 0.05,
    stepMs: 9,
    stepMsPerSequence: 0.6,
    maxBatch: 16,
    weightsBytes: 16 * GiB,
    kvBytesPerToken: 128 * 1024,
    reservedBytes: 16 * GiB + 4096 * 128 * 1024,
    gpuId: 0,
  },
  {
    name: 'mistral-7b-instruct',
    family: 'mistral',
    quantization: 'awq-int4',
    loadMs: 350,
    prefillMsPerToken: 0.03,
    stepMs: 6,
    stepMsPerSequence: 0.4,
    maxBatch: 24,
    weightsBytes: 4 * GiB,
    kvBytesPerToken: 96 * 1024,
    reservedBytes: 4 * GiB + 8192 * 96 * 1024,
    gpuId: 0,
  },
  {
    name: 'qwen2.5-32b-instruct',
    family: 'qwen',
    quantization: 'fp8',
    loadMs: 1200,
    prefillMsPerToken: 0.15,
    stepMs: 22,
    stepMsPerSequence: 1.5,
    maxBatch: 8,
    weightsBytes: 34 * GiB,
    kvBytesPerToken: 256 * 1024,
    reservedBytes: 34 * GiB + 1536 * 256 * 1024,
    gpuId: 1,
  },
];
