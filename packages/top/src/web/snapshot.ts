import { bucketDeltas, counterResets, increaseOf } from '../delta.js';
import type { Exposition } from '../parse.js';
import { bucketCounts } from '../quantile.js';
import { computeDevices, computeModelRows, NAMES } from '../rows.js';
import type { HeatCell, HeatKey, ModelPoint, WebPoint } from './types.js';

/** Histograms drawn as heatmaps. */
const HEATMAPS: Readonly<Record<HeatKey, string>> = { ttft: NAMES.ttft, itl: NAMES.itl };

/** Counters whose going down means the target restarted. */
const RESET_WITNESSES = [NAMES.requests, NAMES.tokens, `${NAMES.ttft}_count`, `${NAMES.itl}_count`];

function heatColumn(previous: Exposition, current: Exposition, base: string, model: string): HeatCell[] {
  return bucketCounts(bucketDeltas(previous, current, base, { model })).map((b): HeatCell => [Number.isFinite(b.le) ? b.le : null, b.count]);
}

function statusRates(previous: Exposition, current: Exposition, model: string, elapsedSeconds: number): Record<string, number> {
  const rates: Record<string, number> = {};
  const statuses = new Set(current.get(NAMES.requests, { model }).map((s) => s.labels.status ?? ''));
  for (const status of [...statuses].sort()) {
    const increase = increaseOf(previous, current, NAMES.requests, { model, status });
    if (increase !== undefined) rates[status || 'unknown'] = increase / elapsedSeconds;
  }
  return rates;
}

/**
 * One point of the web view from two scrapes: the terminal view's rows (computeModelRows, so the same deltas and
 * quantiles), plus what only a picture needs: request rates by status and the window's bucket counts for heatmaps.
 */
export function computePoint(
  previous: Exposition | undefined,
  current: Exposition,
  elapsedSeconds: number,
  seq: number,
  t: number,
): WebPoint {
  const windowed = previous !== undefined && elapsedSeconds > 0 ? previous : undefined;
  const models = computeModelRows(windowed, current, elapsedSeconds).map((row): ModelPoint => {
    if (!windowed) return row;
    const heat: Partial<Record<HeatKey, HeatCell[]>> = {};
    for (const [key, base] of Object.entries(HEATMAPS) as [HeatKey, string][]) {
      if (current.get(`${base}_bucket`, { model: row.model }).length > 0) heat[key] = heatColumn(windowed, current, base, row.model);
    }
    return { ...row, statusRates: statusRates(windowed, current, row.model, elapsedSeconds), heat };
  });
  const reset = windowed !== undefined && RESET_WITNESSES.some((name) => counterResets(windowed, current, name) > 0);
  return {
    seq,
    t,
    ...(windowed ? { windowSeconds: elapsedSeconds } : {}),
    ...(reset ? { reset } : {}),
    parseErrors: current.errors.length,
    models,
    devices: computeDevices(current),
  };
}
