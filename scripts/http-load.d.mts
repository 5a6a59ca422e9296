export interface LoadJob {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  concurrency: number;
  /** Run for this long, or… */
  durationMs?: number;
  /** …this many requests. */
  requests?: number;
}
export interface LoadResult {
  /** Completed with a status below 400. */
  requests: number;
  errors: number;
  seconds: number;
  latencyMs: { mean: number; p50: number; p99: number };
  /** The load generator's own CPU (user + system) per request, µs: when it is near the server's, the client is the bottleneck. */
  cpuMicrosPerRequest: number;
}
export interface LoadGenerator {
  readonly pid: number | undefined;
  run(job: LoadJob): Promise<LoadResult>;
  close(): Promise<void>;
}
export function startLoadGenerator(): LoadGenerator;
