import { parseExposition, type Exposition } from '../parse.js';
import { scrape, type ScrapeOptions } from '../scrape.js';
import { computePoint } from './snapshot.js';
import type { WebPoint, WebStatus } from './types.js';

export interface ScrapeLoopOptions extends ScrapeOptions {
  readonly url: string;
  readonly intervalMs: number;
  /** How far back points are kept (default 15 minutes). */
  readonly historyMs?: number;
}

interface StoredPoint {
  readonly seq: number;
  readonly t: number;
  /** The point serialized once, when it is made: every page's poll reuses the string. */
  readonly json: string;
}

export const DEFAULT_HISTORY_MS = 15 * 60_000;
/** The most points kept whatever the interval, so a 100 ms interval cannot grow memory past this. */
export const MAX_POINTS = 3600;

/**
 * One scrape per interval, whoever is watching: each scrape becomes a WebPoint (computed once, stored as JSON) in a
 * bounded history that every open page polls. Never throws; a failed scrape only changes the status.
 */
export class ScrapeLoop {
  readonly historyMs: number;
  private readonly maxPoints: number;
  private readonly points: StoredPoint[] = [];
  private previous: { exposition: Exposition; at: number } | undefined;
  private status: WebStatus = { state: 'connecting', attempts: 0 };
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: ScrapeLoopOptions) {
    this.historyMs = options.historyMs ?? DEFAULT_HISTORY_MS;
    this.maxPoints = Math.min(MAX_POINTS, Math.ceil(this.historyMs / options.intervalMs) + 1);
  }

  start(): void {
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  get currentStatus(): WebStatus {
    return this.status;
  }

  /** The points with seq > `since`, oldest first, as a JSON array (the stored strings, joined). */
  pointsJsonAfter(since: number): string {
    let first = this.points.length;
    while (first > 0 && this.points[first - 1]!.seq > since) first--;
    return `[${this.points.slice(first).map((p) => p.json).join(',')}]`;
  }

  private async tick(): Promise<void> {
    const started = performance.now();
    const seq = this.status.attempts + 1;
    const { url, intervalMs, timeoutMs, token } = this.options;
    const result = await scrape(url, { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(token ? { token } : {}) });
    if (this.stopped) return;
    if (result.ok) {
      const exposition = parseExposition(result.text);
      // Epoch time of the response's arrival (result.at is on the performance clock).
      const t = Math.round(Date.now() - (performance.now() - result.at));
      const elapsedSeconds = this.previous ? (result.at - this.previous.at) / 1000 : 0;
      this.store(computePoint(this.previous?.exposition, exposition, elapsedSeconds, seq, t));
      this.previous = { exposition, at: result.at };
      this.status = { state: 'ok', attempts: seq, lastSuccessAt: t, scrapeMs: Math.round(result.ms) };
    } else {
      const last = this.status.lastSuccessAt;
      this.status = {
        state: 'error',
        attempts: seq,
        error: result.error,
        failures: (this.status.state === 'error' ? (this.status.failures ?? 0) : 0) + 1,
        ...(last !== undefined ? { lastSuccessAt: last } : {}),
      };
    }
    this.timer = setTimeout(() => void this.tick(), Math.max(0, intervalMs - (performance.now() - started)));
  }

  private store(point: WebPoint): void {
    this.points.push({ seq: point.seq, t: point.t, json: JSON.stringify(point) });
    const oldest = point.t - this.historyMs;
    let drop = Math.max(0, this.points.length - this.maxPoints);
    while (drop < this.points.length && this.points[drop]!.t < oldest) drop++;
    if (drop > 0) this.points.splice(0, drop);
  }
}
