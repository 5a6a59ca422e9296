import { parseFloatValue, type Exposition, type Labels, type Sample } from './parse.js';
import type { Bucket } from './quantile.js';

/** A stable identity for a series: its labels, sorted. */
export function seriesKey(labels: Labels): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

/**
 * How much a counter grew from `previous` to `current`, like one step of PromQL `increase()`:
 * a value that went down means the counter was reset (the process restarted), so the increase is the current value
 * (it counted up from 0 again). A series absent from the previous scrape also started from 0: the previous scrape
 * succeeded and proves it did not exist yet, so its whole value is new. (PromQL would need a second sample for it;
 * here the first request of a new model shows up at once.)
 */
export function counterIncrease(previous: number | undefined, current: number): number {
  if (!Number.isFinite(current)) return NaN;
  if (previous === undefined || !Number.isFinite(previous)) return current;
  return current < previous ? current : current - previous;
}

function previousIndex(previous: Exposition, name: string, filter: Labels | undefined): Map<string, number> {
  const index = new Map<string, number>();
  for (const s of previous.get(name, filter)) index.set(seriesKey(s.labels), s.value);
  return index;
}

function eachIncrease(
  previous: Exposition,
  current: Exposition,
  name: string,
  filter: Labels | undefined,
  visit: (sample: Sample, increase: number) => void,
): void {
  const before = previousIndex(previous, name, filter);
  for (const sample of current.get(name, filter)) {
    const inc = counterIncrease(before.get(seriesKey(sample.labels)), sample.value);
    if (!Number.isNaN(inc)) visit(sample, inc);
  }
}

/**
 * The increase of counter `name` (the full sample name, e.g. `ryot_tokens_generated_total`) summed over every
 * series whose labels include `filter`, with per-series reset handling. Undefined when there is no previous scrape
 * or no matching series now.
 */
export function increaseOf(
  previous: Exposition | undefined,
  current: Exposition,
  name: string,
  filter?: Labels,
): number | undefined {
  if (!previous) return undefined;
  if (current.get(name, filter).length === 0) return undefined;
  let total = 0;
  eachIncrease(previous, current, name, filter, (_, inc) => (total += inc));
  return total;
}

/**
 * Bucket deltas of histogram `metricBase` between two scrapes: each `_bucket` series is a counter (reset-handled on
 * its own, as PromQL `rate()` does), then summed per `le` across the other labels — the input of
 * `histogram_quantile(q, sum by (le) (increase(metricBase_bucket{filter}[window])))`.
 */
export function bucketDeltas(previous: Exposition, current: Exposition, metricBase: string, filter?: Labels): Bucket[] {
  const byLe = new Map<number, number>();
  eachIncrease(previous, current, `${metricBase}_bucket`, filter, (sample, inc) => {
    const le = sample.labels.le === undefined ? undefined : parseFloatValue(sample.labels.le);
    if (le === undefined || Number.isNaN(le)) return;
    byLe.set(le, (byLe.get(le) ?? 0) + inc);
  });
  return [...byLe.entries()].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count }));
}

/**
 * How many series of counter `name` went down between the two scrapes, or are gone: each one means a counter reset
 * (the target restarted; a restarted OTel exporter shows a series again only once it is recorded into). The increases
 * above already count from zero across a reset; this only says that it happened, so a view can mark it.
 */
export function counterResets(previous: Exposition, current: Exposition, name: string, filter?: Labels): number {
  const now = previousIndex(current, name, filter);
  let resets = 0;
  for (const [key, was] of previousIndex(previous, name, filter)) {
    const value = now.get(key);
    if (value === undefined || value < was) resets++;
  }
  return resets;
}
