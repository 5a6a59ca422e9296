/**
 * The reference Python library's metric families (`ryot/monitoring/metrics.py`, prometheus_client), typed in
 * from the issue text, not derived from Ryot's catalog. Info metrics carry the caller's keys; the labels listed
 * for them are the keys the contract workload passes.
 */
export type ReferenceType = 'counter' | 'histogram' | 'gauge';

export interface ReferenceFamily {
  type: ReferenceType;
  labels: string[];
  buckets?: number[];
  /** An info metric: its labels are whatever the caller passes. */
  info?: true;
}

export const REFERENCE: Record<string, ReferenceFamily> = {
  ryot_inference_requests_total: { type: 'counter', labels: ['model', 'status'] },
  ryot_inference_request_duration_seconds: { type: 'histogram', labels: ['model'], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] },
  ryot_inference_ttft_seconds: { type: 'histogram', labels: ['model'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] },
  ryot_inference_inter_token_latency_seconds: { type: 'histogram', labels: ['model'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5] },
  ryot_tokens_generated_total: { type: 'counter', labels: ['model'] },
  ryot_tokens_per_request: { type: 'histogram', labels: ['model'], buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2000] },
  ryot_tokens_per_second: { type: 'gauge', labels: ['model'] },
  ryot_average_tokens_per_minute: { type: 'gauge', labels: ['model'] },
  ryot_model_loading_duration_seconds: { type: 'gauge', labels: ['model'] },
  ryot_model_cache_hit_ratio: { type: 'gauge', labels: ['model'] },
  ryot_batch_size: { type: 'histogram', labels: ['model'], buckets: [1, 2, 4, 8, 16, 32, 64, 128] },
  ryot_batches_processed_total: { type: 'counter', labels: ['model'] },
  ryot_gpu_memory_usage_bytes: { type: 'gauge', labels: ['model', 'gpu_id'] },
  ryot_gpu_memory_reserved_bytes: { type: 'gauge', labels: ['model', 'gpu_id'] },
  ryot_gpu_utilization_percent: { type: 'gauge', labels: ['model', 'gpu_id'] },
  ryot_memory_efficiency_ratio: { type: 'gauge', labels: ['model'] },
  ryot_inference_errors_total: { type: 'counter', labels: ['model', 'error_type'] },
  ryot_inference_retries_total: { type: 'counter', labels: ['model'] },
  ryot_inference_queue_size: { type: 'gauge', labels: ['model'] },
  ryot_inference_queue_wait_seconds: { type: 'histogram', labels: ['model'], buckets: [0, 0.1, 0.5, 1, 5, 10, 30, 60] },
  ryot_system_info: { type: 'gauge', labels: ['environment', 'version'], info: true },
  ryot_model_info: { type: 'gauge', labels: ['models'], info: true },
};

