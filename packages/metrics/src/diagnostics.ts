import { diag } from '@opentelemetry/api';

/** More distinct kinds than any code path can produce: a backstop, never reached while keys stay a fixed vocabulary. */
const MAX_KINDS = 256;

/**
 * Reports each kind of bad input once through the OTel diag logger. Keys are a fixed vocabulary (problem +
 * metric), never user values, so the set stays small; a hard cap backs that up.
 */
export class Diagnostics {
  private readonly reported = new Set<string>();

  warnOnce(key: string, message: string | (() => string)): void {
    if (this.reported.has(key)) return;
    if (this.reported.size >= MAX_KINDS) {
      if (this.reported.has('saturated')) return;
      this.reported.add('saturated');
      diag.warn('@ryot/metrics: too many kinds of diagnostics; further ones are not reported.');
      return;
    }
    this.reported.add(key);
    diag.warn(`@ryot/metrics: ${typeof message === 'function' ? message() : message}`);
  }
}

/**
 * Runs one record call as a boundary: whatever the arguments do (null options, throwing getters, proxies), a
 * failure is reported once per call site and never reaches the caller.
 */
export function recordSafely(diagnostics: Diagnostics, what: string, record: () => void): void {
  try {
    record();
  } catch (error) {
    reportRecordFailure(diagnostics, what, error);
  }
}

/** What recordSafely says when a record throws: once per kind of call. */
export function reportRecordFailure(diagnostics: Diagnostics, what: string, error: unknown): void {
  diagnostics.warnOnce(`record-failed:${what}`, () => `${what}: the arguments could not be recorded (${safeString(error)}); dropped.`);
}

/** A short, printable description of a value; never throws, whatever the value (a symbol, a hostile object). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  return typeof value;
}

/** `String(value)` that never throws: thrown values can have throwing getters, toString methods or proxy traps. */
export function safeString(value: unknown): string {
  try {
    return typeof value === 'symbol' ? value.toString() : String(value);
  } catch {
    return `a ${typeof value} that cannot be printed`;
  }
}
