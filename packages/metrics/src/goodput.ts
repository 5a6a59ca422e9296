import type { RequestStatus } from './catalog.js';
import { RyotConfigError } from './errors.js';
import { rejectUnknownKeys } from './per-model.js';
import { isRecord } from './values.js';

/** A model's service-level targets, in seconds; each one declared becomes an `slo` label value. */
export interface SloTargets {
  /** Time to first token. */
  ttftSeconds?: number;
  /** Time per output token after the first: (duration - TTFT) / (output tokens - 1). */
  tpotSeconds?: number;
  /** End-to-end request duration. */
  e2eSeconds?: number;
}

/** Targets in SLO_NAMES order (ttft, tpot, e2e); NaN where none is declared. */
export type ResolvedTargets = readonly [ttft: number, tpot: number, e2e: number];

const TARGET_KEYS = ['ttftSeconds', 'tpotSeconds', 'e2eSeconds'] as const;
/**
 * The largest plausible target of each kind (TTFT 5 minutes, TPOT 10 s, a whole request an hour): above them, a
 * target is almost certainly milliseconds passed as seconds.
 */
const MAX_TARGET_SECONDS: readonly number[] = [300, 10, 3600];

const SLO_TTFT = 0;
const SLO_TPOT = 1;
const SLO_E2E = 2;
const SLO_ALL = 3;

/** Checks one model's targets: at least one, each a plausible number of seconds. */
export function validateTargets(value: unknown, path: string): ResolvedTargets {
  if (!isRecord(value)) throw new RyotConfigError(`Expected { ttftSeconds?, tpotSeconds?, e2eSeconds? } for ${path}`);
  rejectUnknownKeys(value, TARGET_KEYS, path);
  const targets = TARGET_KEYS.map((key, i) => {
    const target = value[key];
    const max = MAX_TARGET_SECONDS[i]!;
    if (target === undefined) return Number.NaN;
    if (typeof target !== 'number' || !(target > 0 && target <= max)) {
      throw new RyotConfigError(`Expected seconds in (0, ${max}] for ${path}.${key} but received ${String(target)} (milliseconds passed as seconds?)`);
    }
    return target;
  });
  if (targets.every(Number.isNaN)) throw new RyotConfigError(`${path} declares no target (ttftSeconds, tpotSeconds or e2eSeconds)`);
  return Object.freeze(targets) as unknown as ResolvedTargets;
}

/**
 * Judges one finished request against its model's targets. Returns a mask: bit 2i is set when SLO_NAMES[i] was
 * judged, bit 2i+1 when it was met. A target is judged when its quantity is known:
 *
 * - ttft: the TTFT when one was measured; a request that failed or was cancelled without a first token has missed
 *   it once it ran longer than the target (else it is not judged).
 * - tpot: successful requests with a TPOT (at least two tokens).
 * - e2e: a successful request by its duration; any other has missed it once it ran longer than the target.
 * - all: a failed request (error, timeout) never meets it; a successful one meets it when no judged target was
 *   missed; a cancelled one counts only once it had missed a target (the client left while the service was still
 *   within its promise otherwise).
 *
 * A value equal to its target meets it, as a value equal to a bucket boundary falls in that bucket.
 */
export function judgeGoodput(targets: ResolvedTargets, status: RequestStatus, duration: number, ttft: number | undefined, tpot: number | undefined): number {
  const success = status === 'success';
  const ttftTarget = targets[SLO_TTFT];
  const tpotTarget = targets[SLO_TPOT];
  const e2eTarget = targets[SLO_E2E];
  let mask = 0;
  if (ttftTarget === ttftTarget) {
    if (ttft !== undefined) mask |= verdict(SLO_TTFT, ttft <= ttftTarget);
    else if (!success && duration > ttftTarget) mask |= verdict(SLO_TTFT, false);
  }
  if (tpotTarget === tpotTarget && success && tpot !== undefined) mask |= verdict(SLO_TPOT, tpot <= tpotTarget);
  if (e2eTarget === e2eTarget) {
    if (success) mask |= verdict(SLO_E2E, duration <= e2eTarget);
    else if (duration > e2eTarget) mask |= verdict(SLO_E2E, false);
  }
  // A target was missed when it was judged (bit 2i) and not met (bit 2i + 1).
  const missed = (mask & ~(mask >> 1) & MISSED_BITS) !== 0;
  if (success) mask |= verdict(SLO_ALL, !missed);
  else if (status !== 'cancelled' || missed) mask |= verdict(SLO_ALL, false);
  return mask;
}

const MISSED_BITS = 0b010101;

function verdict(index: number, met: boolean): number {
  return (met ? 3 : 1) << (2 * index);
}

/** Where a judgment of SLO_NAMES[slo] counts: 2 × slo when met, 2 × slo + 1 when missed; -1 when it was not judged. */
export function goodputIndex(mask: number, slo: number): number {
  const bits = mask >> (2 * slo);
  return bits & 1 ? 2 * slo + (bits & 2 ? 0 : 1) : -1;
}
