/**
 * What `ryot top --web` sends its page: JSON only, no functions, so the browser bundle and the Node server share these
 * types and nothing else. Numbers that cannot be said (no previous scrape, nothing in the window) are absent, never
 * NaN or Infinity (JSON has neither).
 */
import type { DeviceRow, ModelRow } from '../rows.js';

/** One heatmap column cell: `[le, observations in (previous le, le]]`; `le` null is +Inf. */
export type HeatCell = readonly [le: number | null, count: number];

/** The histograms drawn as heatmaps, by key. */
export type HeatKey = 'ttft' | 'itl';

export interface ModelPoint extends ModelRow {
  /** Finished requests per second by `status` label (success, error, timeout, cancelled, …) over the window. */
  readonly statusRates?: Readonly<Record<string, number>>;
  /** Non-cumulative bucket counts of the window, every bucket (zeros included, so the page knows the bounds). */
  readonly heat?: Readonly<Partial<Record<HeatKey, readonly HeatCell[]>>>;
}

/** The result of one successful scrape. */
export interface WebPoint {
  /** Scrape attempt number, from 1 (failed attempts use numbers too, so there can be gaps). */
  readonly seq: number;
  /** Epoch milliseconds when the response arrived. */
  readonly t: number;
  /** Seconds since the previous successful scrape: the window every rate and quantile covers. Absent on the first. */
  readonly windowSeconds?: number;
  /** A counter went down since the previous scrape: the target restarted. */
  readonly reset?: boolean;
  /** Exposition lines that could not be parsed (skipped). */
  readonly parseErrors: number;
  readonly models: readonly ModelPoint[];
  /** One per GPU device from `hw_gpu_*`. */
  readonly devices: readonly DeviceRow[];
}

export interface WebStatus {
  /** connecting: nothing answered yet; ok: the last scrape worked; error: the last scrape failed. */
  readonly state: 'connecting' | 'ok' | 'error';
  /** Why the last scrape failed: the same one-line reason the terminal view prints. */
  readonly error?: string;
  /** Failed scrapes in a row. */
  readonly failures?: number;
  /** Epoch ms of the last successful scrape. */
  readonly lastSuccessAt?: number;
  /** Milliseconds the last successful scrape took. */
  readonly scrapeMs?: number;
  /** The last attempt's number. */
  readonly attempts: number;
}

/** GET /api/state?since=N */
export interface WebState {
  /** The scraped URL, without any user:password. */
  readonly target: string;
  readonly intervalMs: number;
  /** How far back the server keeps points. */
  readonly historyMs: number;
  /** The server's clock (epoch ms) when it answered: the page's time axis follows it. */
  readonly now: number;
  readonly status: WebStatus;
  /** Points with seq > since, oldest first. */
  readonly points: readonly WebPoint[];
}
