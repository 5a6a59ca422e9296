/**
 * The single source of truth for every metric Ryot emits. Instruments, views, the
 * generated METRICS.md and the exposition tests are all derived from this table.
 *
 * `name` is the OTel instrument name. The OTel Prometheus exporter appends `_total`
 * to monotonic counters and never a unit suffix, so counters are named without
 * `_total` and everything else carries its unit in the name already. Those names also
 * survive the OTel Collector's Prometheus exporter, which adds `_total` and unit
 * suffixes only where they are missing.
 *
 * The gen_ai.* and hw.* entries copy names, units and bucket advice from the OTel
 * GenAI and hardware semantic conventions (status: Development). They are copied
 * here rather than imported from @opentelemetry/semantic-conventions/incubating so a
 * semconv release cannot silently rename a metric under a user's dashboards.
 */

export type InstrumentKind =
  | 'counter'
  | 'histogram'
  | 'gauge'
  | 'updowncounter'
  | 'observable_gauge'
  | 'observable_counter'
  | 'observable_updowncounter';

/**
 * Who records a metric: the recorder (`requests` … `info`; `slo` and `cost` once targets and prices are configured;
 * `genai_server` when enabled), a client integration
 * (`genai_client`, and `genai_client_usage` when its option is on, under the integration's own meter) or @ryot/nvml
 * (`hardware`, under its meter).
 */
export type MetricGroup =
  | 'requests'
  | 'tokens'
  | 'model'
  | 'gpu'
  | 'errors'
  | 'queue'
  | 'engine'
  | 'slo'
  | 'cost'
  | 'info'
  | 'genai_server'
  | 'genai_client'
  | 'genai_client_usage'
  | 'hardware'
  | 'cluster';

/**
 * How cluster mode (`startTelemetry({ cluster: true })` in @ryot/exporters) combines the series of one metric that
 * several processes of one `node:cluster` tree report, per attribute set:
 * - `sum`: added (counters and histogram buckets, and gauges that count or rate something: in flight, queue size,
 *   tokens per second);
 * - `max`: the largest kept (readings every worker makes of the same thing, such as a GPU device, and info series,
 *   whose value is 1);
 * - `per_worker`: each worker's series kept apart under a `service.instance.id` label (values that no arithmetic
 *   combines, such as a ratio or what the application reports per process).
 */
export type ClusterMerge = 'sum' | 'max' | 'per_worker';

export interface MetricDefinition {
  readonly name: string;
  readonly kind: InstrumentKind;
  readonly unit: string;
  readonly description: string;
  readonly attributes: readonly string[];
  readonly group: MetricGroup;
  readonly buckets?: readonly number[];
  /** Integer-valued instruments (token counts, batch sizes). */
  readonly integer?: boolean;
  /** Also carries `tenant` on the requests that have one, when tenants are enabled (counters only). */
  readonly tenantLabel?: boolean;
  /** The cluster-mode merge rule. Default (clusterMergeOf): `sum` for counters, histograms and up-down counters, `per_worker` for gauges. */
  readonly clusterMerge?: ClusterMerge;
}

export const REQUEST_STATUSES = ['success', 'error', 'timeout', 'cancelled'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export const ERROR_TYPES = [
  'oom',
  'timeout',
  'cuda',
  'rate_limit',
  'invalid_request',
  'cancelled',
  'connection',
  'unknown',
] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

/**
 * Why a request finished: the engines' and APIs' reasons mapped onto one bounded vocabulary (finish.ts). A failed
 * request is `error`, a cancelled one `abort`; a successful one whose reason was never reported is `unknown`.
 */
export const FINISH_REASONS = ['stop', 'length', 'tool_calls', 'content_filter', 'abort', 'error', 'unknown'] as const;
export type FinishReason = (typeof FINISH_REASONS)[number];

/** The `slo` label of ryot_goodput_requests_total: each target a model declares, and `all` of them at once. */
export const SLO_NAMES = ['ttft', 'tpot', 'e2e', 'all'] as const;
export type SloName = (typeof SLO_NAMES)[number];

/** The `token_type` label of ryot_cost_usd_total, one per line of a price table. */
export const TOKEN_TYPES = ['input', 'output', 'cache_read', 'cache_write', 'reasoning'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

export const ATTR_MODEL = 'model';
export const ATTR_STATUS = 'status';
export const ATTR_ERROR_TYPE = 'error_type';
export const ATTR_GPU_ID = 'gpu_id';
export const ATTR_FINISH_REASON = 'finish_reason';
export const ATTR_SLO = 'slo';
export const ATTR_MET = 'met';
export const ATTR_TOKEN_TYPE = 'token_type';
export const ATTR_TENANT = 'tenant';

export const RYOT_METER_NAME = '@ryot/metrics';
/** The meter @ryot/nvml records the `hardware` group under. */
export const HARDWARE_METER_NAME = '@ryot/nvml';
/** The meter @ryot/exporters records the `cluster` group under. */
export const EXPORTERS_METER_NAME = '@ryot/exporters';

/** The meter each group is recorded under; undefined for the client groups, which each integration records under its own. */
export function meterNameOf(group: MetricGroup): string | undefined {
  if (group === 'hardware') return HARDWARE_METER_NAME;
  if (group === 'cluster') return EXPORTERS_METER_NAME;
  if (group === 'genai_client' || group === 'genai_client_usage') return undefined;
  return RYOT_METER_NAME;
}

const REQUEST_DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;
const TTFT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;
const ITL_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5] as const;
const TOKEN_BUCKETS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2000] as const;
const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] as const;
/**
 * The reference library's queue-wait boundaries (0, 0.1, 0.5, 1, 5, 10, 30, 60) merged with finer ones for
 * sub-100 ms waits, so every `le` a query written against the reference names still exists.
 */
const QUEUE_WAIT_BUCKETS = [0, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;
/** Prefill of a short prompt on a fast GPU takes about a millisecond, of a long context tens of seconds. */
const PREFILL_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;
/** Decode lasts output tokens × TPOT: ten tokens at 1 ms up to ten thousand at 30 ms (five minutes). */
const DECODE_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] as const;
/**
 * The GenAI semconv's time-per-output-token boundaries (0.01 … 2.5) with 1, 2.5 and 5 ms below them, where small
 * models on current GPUs decode; common TPOT targets (25, 50, 100 ms) are boundaries, so their SLIs are exact.
 */
const TPOT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5] as const;
/** Prompts from a one-line question to a million-token context: powers of four, then of two from 256. */
const PROMPT_TOKEN_BUCKETS = [1, 4, 16, 64, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144, 1048576] as const;

const GEN_AI_DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
] as const;
const GEN_AI_TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
] as const;
const GEN_AI_TPOT_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5] as const;
const GEN_AI_TOKEN_USAGE_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
] as const;

const GEN_AI_ATTRIBUTES = [
  'gen_ai.operation.name',
  'gen_ai.provider.name',
  'gen_ai.request.model',
  'gen_ai.response.model',
  'server.address',
  'server.port',
] as const;

/**
 * The client metrics also carry the deprecated `gen_ai.system` (same value as `gen_ai.provider.name`) unless
 * OTEL_SEMCONV_STABILITY_OPT_IN has `gen_ai_latest_experimental`.
 */
const GEN_AI_CLIENT_ATTRIBUTES = [...GEN_AI_ATTRIBUTES, 'gen_ai.system'] as const;

const HW_ATTRIBUTES = ['hw.id', 'hw.name', 'hw.vendor', 'hw.type'] as const;

export const METRICS = {
  requests: {
    name: 'ryot_inference_requests',
    kind: 'counter',
    unit: '{request}',
    description: 'Inference requests finished, by outcome.',
    attributes: [ATTR_MODEL, ATTR_STATUS],
    group: 'requests',
    integer: true,
    tenantLabel: true,
  },
  finished: {
    name: 'ryot_inference_finished',
    kind: 'counter',
    unit: '{request}',
    description:
      'Inference requests finished, by why they finished: the reason the engine or API reported (stop, length, tool_calls, content_filter; synonyms such as end_turn or max_tokens mapped), error for a failed request, abort for a cancelled one, unknown when a successful request reported none.',
    attributes: [ATTR_MODEL, ATTR_FINISH_REASON],
    group: 'requests',
    integer: true,
  },
  requestDuration: {
    name: 'ryot_inference_request_duration_seconds',
    kind: 'histogram',
    unit: 's',
    description: 'End-to-end inference request latency, from the start of the work to its last token or error.',
    attributes: [ATTR_MODEL],
    group: 'requests',
    buckets: REQUEST_DURATION_BUCKETS,
  },
  timeToFirstToken: {
    name: 'ryot_inference_ttft_seconds',
    kind: 'histogram',
    unit: 's',
    description: 'Time to first token, from the start of the work to the first generated token.',
    attributes: [ATTR_MODEL],
    group: 'requests',
    buckets: TTFT_BUCKETS,
  },
  interTokenLatency: {
    name: 'ryot_inference_inter_token_latency_seconds',
    kind: 'histogram',
    unit: 's',
    description: 'Gap between consecutive generated tokens; one observation per gap.',
    attributes: [ATTR_MODEL],
    group: 'requests',
    buckets: ITL_BUCKETS,
  },
  prefillDuration: {
    name: 'ryot_inference_prefill_seconds',
    kind: 'histogram',
    unit: 's',
    description:
      'Prefill phase: from the engine taking the request from its queue (prefillStarted) to the end of prefill (prefillDone, else the first token), or as the engine reported it; recorded once prefill completed, whatever the outcome.',
    attributes: [ATTR_MODEL],
    group: 'requests',
    buckets: PREFILL_BUCKETS,
  },
  decodeDuration: {
    name: 'ryot_inference_decode_seconds',
    kind: 'histogram',
    unit: 's',
    description: 'Decode phase: from the end of prefill to the last token, or as the engine reported it; successful requests only.',
    attributes: [ATTR_MODEL],
    group: 'requests',
    buckets: DECODE_BUCKETS,
  },
  timePerOutputToken: {
    name: 'ryot_time_per_output_token_seconds',
    kind: 'histogram',
    unit: 's',
    description:
      'Per-request time per output token after the first: (duration - TTFT) / (output tokens - 1), the gen_ai.server.time_per_output_token definition; successful requests with at least two tokens.',
    attributes: [ATTR_MODEL],
    group: 'requests',
    buckets: TPOT_BUCKETS,
  },
  requestsInFlight: {
    name: 'ryot_inference_requests_in_flight',
    kind: 'updowncounter',
    unit: '{request}',
    description: 'Inference requests started and not yet finished.',
    attributes: [ATTR_MODEL],
    group: 'requests',
    integer: true,
  },
  tokensGenerated: {
    name: 'ryot_tokens_generated',
    kind: 'counter',
    unit: '{token}',
    description: 'Output tokens generated, counted when the request finishes.',
    attributes: [ATTR_MODEL],
    group: 'tokens',
    integer: true,
    tenantLabel: true,
  },
  promptTokens: {
    name: 'ryot_prompt_tokens',
    kind: 'counter',
    unit: '{token}',
    description: 'Input (prompt) tokens, for requests where the count is known.',
    attributes: [ATTR_MODEL],
    group: 'tokens',
    integer: true,
    tenantLabel: true,
  },
  cacheReadTokens: {
    name: 'ryot_cache_read_tokens',
    kind: 'counter',
    unit: '{token}',
    description: "Input tokens the provider served from its prompt cache, as the API reports them (a part of ryot_prompt_tokens); counted when the request finishes.",
    attributes: [ATTR_MODEL],
    group: 'tokens',
    integer: true,
  },
  cacheWriteTokens: {
    name: 'ryot_cache_write_tokens',
    kind: 'counter',
    unit: '{token}',
    description: "Input tokens the provider wrote to its prompt cache, as the API reports them (a part of ryot_prompt_tokens); counted when the request finishes.",
    attributes: [ATTR_MODEL],
    group: 'tokens',
    integer: true,
  },
  reasoningTokens: {
    name: 'ryot_reasoning_tokens',
    kind: 'counter',
    unit: '{token}',
    description: 'Output tokens spent on reasoning, as the API reports them (a part of ryot_tokens_generated); counted when the request finishes.',
    attributes: [ATTR_MODEL],
    group: 'tokens',
    integer: true,
  },
  tokensPerRequest: {
    name: 'ryot_tokens_per_request',
    kind: 'histogram',
    unit: '{token}',
    description: 'Output tokens generated per finished request.',
    attributes: [ATTR_MODEL],
    group: 'tokens',
    buckets: TOKEN_BUCKETS,
  },
  promptTokensPerRequest: {
    name: 'ryot_prompt_tokens_per_request',
    kind: 'histogram',
    unit: '{token}',
    description: 'Input (prompt) tokens per finished request, for requests where the count is known (the output side is ryot_tokens_per_request).',
    attributes: [ATTR_MODEL],
    group: 'tokens',
    buckets: PROMPT_TOKEN_BUCKETS,
  },
  tokensPerSecond: {
    name: 'ryot_tokens_per_second',
    kind: 'observable_gauge',
    unit: '{token}/s',
    description:
      'Current output-token generation rate per model: tokens that arrived in the last 10 complete seconds, divided by 10; or the last rate set with setTokenThroughput (compat: updateTokenThroughput).',
    attributes: [ATTR_MODEL],
    group: 'tokens',
    clusterMerge: 'sum',
  },
  requestTokensPerSecond: {
    name: 'ryot_request_tokens_per_second',
    kind: 'histogram',
    unit: '{token}/s',
    description: 'Per-request generation rate: output tokens divided by the request duration, one observation per finished request.',
    attributes: [ATTR_MODEL],
    group: 'tokens',
    buckets: TOKEN_BUCKETS,
  },
  averageTokensPerMinute: {
    name: 'ryot_average_tokens_per_minute',
    kind: 'observable_gauge',
    unit: '{token}/min',
    description: 'Output tokens generated over the last 60 seconds (sliding window of one-second slots).',
    attributes: [ATTR_MODEL],
    group: 'tokens',
    clusterMerge: 'sum',
  },
  modelLoadingDuration: {
    name: 'ryot_model_loading_duration_seconds',
    kind: 'gauge',
    unit: 's',
    description: 'Duration of the most recent load of the model, until it was ready to serve.',
    attributes: [ATTR_MODEL],
    group: 'model',
    clusterMerge: 'max',
  },
  cacheHitRatio: {
    name: 'ryot_model_cache_hit_ratio',
    kind: 'observable_gauge',
    unit: '1',
    description:
      'Prefix/KV cache hit ratio (0..1): the last ratio set with setCacheHitRatio (compat: updateCacheMetrics), else hits divided by lookups over the last 60 seconds. Use the _total counters for any other window.',
    attributes: [ATTR_MODEL],
    group: 'model',
    clusterMerge: 'per_worker',
  },
  cacheHits: {
    name: 'ryot_cache_hits',
    kind: 'counter',
    unit: '{lookup}',
    description: 'Prefix/KV cache lookups that hit.',
    attributes: [ATTR_MODEL],
    group: 'model',
    integer: true,
  },
  cacheLookups: {
    name: 'ryot_cache_lookups',
    kind: 'counter',
    unit: '{lookup}',
    description: 'Prefix/KV cache lookups, hits and misses.',
    attributes: [ATTR_MODEL],
    group: 'model',
    integer: true,
  },
  batchSize: {
    name: 'ryot_batch_size',
    kind: 'histogram',
    unit: '{request}',
    description: 'Sequences served by one engine batch (decode step).',
    attributes: [ATTR_MODEL],
    group: 'model',
    buckets: BATCH_SIZE_BUCKETS,
  },
  batchesProcessed: {
    name: 'ryot_batches_processed',
    kind: 'counter',
    unit: '{batch}',
    description: 'Engine batches (decode steps) processed.',
    attributes: [ATTR_MODEL],
    group: 'model',
    integer: true,
  },
  gpuMemoryUsage: {
    name: 'ryot_gpu_memory_usage_bytes',
    kind: 'gauge',
    unit: 'By',
    description: 'GPU memory in use for the model, as reported to updateGpuMetrics.',
    attributes: [ATTR_MODEL, ATTR_GPU_ID],
    group: 'gpu',
    clusterMerge: 'per_worker',
  },
  gpuMemoryReserved: {
    name: 'ryot_gpu_memory_reserved_bytes',
    kind: 'gauge',
    unit: 'By',
    description: 'GPU memory reserved for the model (allocator pool or device total), as reported to updateGpuMetrics.',
    attributes: [ATTR_MODEL, ATTR_GPU_ID],
    group: 'gpu',
    clusterMerge: 'per_worker',
  },
  gpuUtilization: {
    name: 'ryot_gpu_utilization_percent',
    kind: 'gauge',
    unit: '%',
    description: 'GPU utilization, 0..100.',
    attributes: [ATTR_MODEL, ATTR_GPU_ID],
    group: 'gpu',
    clusterMerge: 'per_worker',
  },
  memoryEfficiency: {
    name: 'ryot_memory_efficiency_ratio',
    kind: 'gauge',
    unit: '1',
    description: 'GPU memory used divided by reserved, as reported (not capped: above 1 means the figures disagree).',
    attributes: [ATTR_MODEL, ATTR_GPU_ID],
    group: 'gpu',
    clusterMerge: 'per_worker',
  },
  errors: {
    name: 'ryot_inference_errors',
    kind: 'counter',
    unit: '{error}',
    description: 'Inference errors by classified type.',
    attributes: [ATTR_MODEL, ATTR_ERROR_TYPE],
    group: 'errors',
    integer: true,
  },
  retries: {
    name: 'ryot_inference_retries',
    kind: 'counter',
    unit: '{retry}',
    description: 'Inference attempts retried.',
    attributes: [ATTR_MODEL],
    group: 'errors',
    integer: true,
  },
  queueSize: {
    name: 'ryot_inference_queue_size',
    kind: 'observable_gauge',
    unit: '{request}',
    description: 'Requests waiting in the queue: queue tickets not yet left, counted from the last size set with setQueueSize (compat: updateQueueMetrics).',
    attributes: [ATTR_MODEL],
    group: 'queue',
    integer: true,
    clusterMerge: 'sum',
  },
  queueWait: {
    name: 'ryot_inference_queue_wait_seconds',
    kind: 'histogram',
    unit: 's',
    description: 'Time a request waited in the queue before it was served.',
    attributes: [ATTR_MODEL],
    group: 'queue',
    buckets: QUEUE_WAIT_BUCKETS,
  },
  preemptions: {
    name: 'ryot_preemptions',
    kind: 'counter',
    unit: '{preemption}',
    description: 'Running sequences the engine preempted (evicted from the batch, typically for KV-cache space, to be recomputed or swapped back later).',
    attributes: [ATTR_MODEL],
    group: 'engine',
    integer: true,
  },
  kvCacheUsage: {
    name: 'ryot_kv_cache_usage_ratio',
    kind: 'observable_gauge',
    unit: '1',
    description: 'Fraction of the KV cache in use (0..1), the last value set with setKvCacheUsage.',
    attributes: [ATTR_MODEL],
    group: 'engine',
    // Each worker's engine has its own cache: ratios of different caches do not add up.
    clusterMerge: 'per_worker',
  },
  goodput: {
    name: 'ryot_goodput_requests',
    kind: 'counter',
    unit: '{request}',
    description:
      'Finished requests judged against the model\'s SLO targets: slo is each declared target (ttft, tpot, e2e) and all, met is true or false. Failed requests never meet all; cancelled ones count only once they had missed a target.',
    attributes: [ATTR_MODEL, ATTR_SLO, ATTR_MET],
    group: 'slo',
    integer: true,
    tenantLabel: true,
  },
  cost: {
    name: 'ryot_cost_usd',
    kind: 'counter',
    unit: 'USD',
    description:
      'What the requests cost in US dollars, from the configured price table (USD per million tokens), by token type: input (uncached prompt), cache_read, cache_write, output (non-reasoning) and reasoning.',
    attributes: [ATTR_MODEL, ATTR_TOKEN_TYPE],
    group: 'cost',
    tenantLabel: true,
  },
  systemInfo: {
    name: 'ryot_system_info',
    kind: 'observable_gauge',
    unit: '',
    description: 'System information as labels; the value is always 1.',
    attributes: [],
    group: 'info',
    clusterMerge: 'max',
  },
  modelInfo: {
    name: 'ryot_model_info',
    kind: 'observable_gauge',
    unit: '',
    description: 'Model information as labels (the caller\'s keys), one series per model when a model label is given; the value is always 1.',
    attributes: [],
    group: 'info',
    clusterMerge: 'max',
  },
  genAiServerRequestDuration: {
    name: 'gen_ai.server.request.duration',
    kind: 'histogram',
    unit: 's',
    description: 'GenAI server request duration (time to last output token). Emitted when genAiSemconv is on.',
    attributes: [...GEN_AI_ATTRIBUTES, 'error.type'],
    group: 'genai_server',
    buckets: GEN_AI_DURATION_BUCKETS,
  },
  genAiServerTimeToFirstToken: {
    name: 'gen_ai.server.time_to_first_token',
    kind: 'histogram',
    unit: 's',
    description: 'GenAI server time to first token, successful requests only. Emitted when genAiSemconv is on.',
    attributes: GEN_AI_ATTRIBUTES,
    group: 'genai_server',
    buckets: GEN_AI_TTFT_BUCKETS,
  },
  genAiServerTimePerOutputToken: {
    name: 'gen_ai.server.time_per_output_token',
    kind: 'histogram',
    unit: 's',
    description:
      'GenAI server time per output token after the first: (duration - TTFT) / (tokens - 1), successful requests only.',
    attributes: GEN_AI_ATTRIBUTES,
    group: 'genai_server',
    buckets: GEN_AI_TPOT_BUCKETS,
  },
  genAiClientOperationDuration: {
    name: 'gen_ai.client.operation.duration',
    kind: 'histogram',
    unit: 's',
    description: 'GenAI client operation duration, measured by the caller.',
    attributes: [...GEN_AI_CLIENT_ATTRIBUTES, 'error.type'],
    group: 'genai_client',
    buckets: GEN_AI_DURATION_BUCKETS,
  },
  genAiClientTokenUsage: {
    name: 'gen_ai.client.token.usage',
    kind: 'histogram',
    unit: '{token}',
    description: 'GenAI client input and output tokens per operation.',
    attributes: [...GEN_AI_CLIENT_ATTRIBUTES, 'gen_ai.token.type'],
    group: 'genai_client',
    buckets: GEN_AI_TOKEN_USAGE_BUCKETS,
  },
  genAiClientTimeToFirstChunk: {
    name: 'gen_ai.client.operation.time_to_first_chunk',
    kind: 'histogram',
    unit: 's',
    description: 'GenAI client time from the call to the first streamed chunk.',
    attributes: GEN_AI_CLIENT_ATTRIBUTES,
    group: 'genai_client',
    buckets: GEN_AI_DURATION_BUCKETS,
  },
  genAiClientTimePerOutputChunk: {
    name: 'gen_ai.client.operation.time_per_output_chunk',
    kind: 'histogram',
    unit: 's',
    description: 'GenAI client gap between consecutive streamed chunks; one observation per chunk after the first.',
    attributes: GEN_AI_CLIENT_ATTRIBUTES,
    group: 'genai_client',
    buckets: GEN_AI_DURATION_BUCKETS,
  },
  genAiClientUsageInputTokens: {
    name: 'gen_ai.client.inference.usage.input_tokens',
    kind: 'counter',
    unit: '{token}',
    description: 'Input tokens, as the API reports them (cached tokens included). Unreleased GenAI conventions (names may change): recorded only with the integration\'s genAiUsageCounters option.',
    attributes: GEN_AI_CLIENT_ATTRIBUTES,
    group: 'genai_client_usage',
    integer: true,
  },
  genAiClientUsageOutputTokens: {
    name: 'gen_ai.client.inference.usage.output_tokens',
    kind: 'counter',
    unit: '{token}',
    description: 'Output tokens, as the API reports them (reasoning tokens included). Unreleased GenAI conventions (names may change): recorded only with the integration\'s genAiUsageCounters option.',
    attributes: GEN_AI_CLIENT_ATTRIBUTES,
    group: 'genai_client_usage',
    integer: true,
  },
  genAiClientUsageCacheReadInputTokens: {
    name: 'gen_ai.client.inference.usage.cache_read.input_tokens',
    kind: 'counter',
    unit: '{token}',
    description: 'Input tokens served from the prompt cache. Unreleased GenAI conventions (names may change): recorded only with the integration\'s genAiUsageCounters option.',
    attributes: GEN_AI_CLIENT_ATTRIBUTES,
    group: 'genai_client_usage',
    integer: true,
  },
  genAiClientUsageCacheWriteInputTokens: {
    name: 'gen_ai.client.inference.usage.cache_write.input_tokens',
    kind: 'counter',
    unit: '{token}',
    description: 'Input tokens written to the prompt cache. Unreleased GenAI conventions (names may change): recorded only with the integration\'s genAiUsageCounters option.',
    attributes: GEN_AI_CLIENT_ATTRIBUTES,
    group: 'genai_client_usage',
    integer: true,
  },
  genAiClientUsageReasoningOutputTokens: {
    name: 'gen_ai.client.inference.usage.reasoning.output_tokens',
    kind: 'counter',
    unit: '{token}',
    description: 'Output tokens spent on reasoning. Unreleased GenAI conventions (names may change): recorded only with the integration\'s genAiUsageCounters option.',
    attributes: GEN_AI_CLIENT_ATTRIBUTES,
    group: 'genai_client_usage',
    integer: true,
  },
  hwGpuMemoryUsage: {
    name: 'hw.gpu.memory.usage',
    kind: 'observable_updowncounter',
    unit: 'By',
    description: 'GPU memory in use on the device (NVML used), all processes.',
    attributes: HW_ATTRIBUTES,
    group: 'hardware',
    clusterMerge: 'max',
  },
  hwGpuMemoryLimit: {
    name: 'hw.gpu.memory.limit',
    kind: 'observable_updowncounter',
    unit: 'By',
    description: 'GPU memory capacity of the device (NVML total).',
    attributes: HW_ATTRIBUTES,
    group: 'hardware',
    clusterMerge: 'max',
  },
  hwGpuMemoryUtilization: {
    name: 'hw.gpu.memory.utilization',
    kind: 'observable_gauge',
    unit: '1',
    description: 'Fraction of device GPU memory in use (used / total).',
    attributes: HW_ATTRIBUTES,
    group: 'hardware',
    clusterMerge: 'max',
  },
  hwGpuUtilization: {
    name: 'hw.gpu.utilization',
    kind: 'observable_gauge',
    unit: '1',
    description: 'Fraction of time over the last sample period that a kernel ran on the GPU (NVML utilization.gpu / 100).',
    attributes: [...HW_ATTRIBUTES, 'hw.gpu.task'],
    group: 'hardware',
    clusterMerge: 'max',
  },
  hwPower: {
    name: 'hw.power',
    kind: 'observable_gauge',
    unit: 'W',
    description: 'GPU power draw.',
    attributes: HW_ATTRIBUTES,
    group: 'hardware',
    clusterMerge: 'max',
  },
  hwEnergy: {
    name: 'hw.energy',
    kind: 'observable_counter',
    unit: 'J',
    description: 'GPU energy consumed since the driver was loaded.',
    attributes: HW_ATTRIBUTES,
    group: 'hardware',
    clusterMerge: 'max',
  },
  hwTemperature: {
    name: 'hw.temperature',
    kind: 'observable_gauge',
    unit: 'Cel',
    description: 'GPU core temperature.',
    attributes: HW_ATTRIBUTES,
    group: 'hardware',
    clusterMerge: 'max',
  },
  gpuPowerLimit: {
    name: 'ryot.gpu.power.limit',
    kind: 'observable_gauge',
    unit: 'W',
    description: 'Enforced GPU power limit.',
    attributes: HW_ATTRIBUTES,
    group: 'hardware',
    clusterMerge: 'max',
  },
  gpuDeviceMemoryReserved: {
    name: 'ryot.gpu.memory.driver_reserved',
    kind: 'observable_updowncounter',
    unit: 'By',
    description: 'GPU memory the driver reserves on the device (NVML reserved, v2 memory info only).',
    attributes: HW_ATTRIBUTES,
    group: 'hardware',
    clusterMerge: 'max',
  },
  gpuClockSm: {
    name: 'ryot.gpu.clock.sm',
    kind: 'observable_gauge',
    unit: 'MHz',
    description: 'Current SM clock.',
    attributes: HW_ATTRIBUTES,
    group: 'hardware',
    clusterMerge: 'max',
  },
  gpuClockMemory: {
    name: 'ryot.gpu.clock.memory',
    kind: 'observable_gauge',
    unit: 'MHz',
    description: 'Current memory clock.',
    attributes: HW_ATTRIBUTES,
    group: 'hardware',
    clusterMerge: 'max',
  },
  gpuProcessMemoryUsage: {
    name: 'ryot.gpu.process.memory.usage',
    kind: 'observable_updowncounter',
    unit: 'By',
    description: 'GPU memory used by this process on the device (NVML compute running processes).',
    attributes: HW_ATTRIBUTES,
    group: 'hardware',
    clusterMerge: 'sum',
  },
  clusterWorkers: {
    name: 'ryot_cluster_workers',
    kind: 'observable_gauge',
    unit: '{worker}',
    description:
      'Cluster mode, primary only: workers at the last collection by outcome: answered, timed_out (its previous answer was used), failed (its collection threw; previous answer used), starting (started, not yet ready).',
    attributes: ['state'],
    group: 'cluster',
    clusterMerge: 'sum',
  },
  clusterWorkerExits: {
    name: 'ryot_cluster_worker_exits',
    kind: 'counter',
    unit: '{worker}',
    description:
      "Cluster mode, primary only: workers that exited. Their last collected counts stay in the merged counters (which so never go back), and what a crashed worker finished after its last collection is lost.",
    attributes: [],
    group: 'cluster',
    integer: true,
  },
} as const satisfies Record<string, MetricDefinition>;

export type Metrics = typeof METRICS;
export type MetricKey = keyof Metrics;
/** The keys of the metrics in the given groups, as a type. */
export type MetricKeyIn<G extends MetricGroup> = { [K in MetricKey]: Metrics[K]['group'] extends G ? K : never }[MetricKey];

export const ALL_METRICS: readonly MetricDefinition[] = Object.values(METRICS);

/** The keys of the metrics in the given groups, in catalog order. */
export function metricKeysIn<G extends MetricGroup>(...groups: G[]): MetricKeyIn<G>[] {
  return (Object.keys(METRICS) as MetricKey[]).filter((key) => (groups as MetricGroup[]).includes(METRICS[key].group)) as MetricKeyIn<G>[];
}

/** The cluster-mode merge rule of a metric: its declared `clusterMerge`, else the default for its kind. */
export function clusterMergeOf(definition: MetricDefinition): ClusterMerge {
  if (definition.clusterMerge !== undefined) return definition.clusterMerge;
  return definition.kind === 'gauge' || definition.kind === 'observable_gauge' ? 'per_worker' : 'sum';
}

/** The name a metric has in the OTel Prometheus exporter's text output. */
export function prometheusName(definition: MetricDefinition): string {
  const sanitized = definition.name.replace(/[^a-zA-Z0-9_]/g, '_').replace(/_+/g, '_');
  const isMonotonicSum = definition.kind === 'counter' || definition.kind === 'observable_counter';
  return isMonotonicSum && !sanitized.endsWith('_total') ? `${sanitized}_total` : sanitized;
}

/** The Prometheus TYPE the OTel exporter gives the metric. */
export function prometheusType(definition: MetricDefinition): 'counter' | 'gauge' | 'histogram' {
  switch (definition.kind) {
    case 'counter':
    case 'observable_counter':
      return 'counter';
    case 'histogram':
      return 'histogram';
    default:
      return 'gauge';
  }
}
