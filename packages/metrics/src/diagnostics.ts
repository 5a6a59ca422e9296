import { diag } from '@opentelemetry/api';

/**
 * Reports each kind of bad input once through the OTel diag logger. Keys are a fixed
 * vocabulary (problem + metric), never user values, so the set stays small.
 */
export class Diagnostics {
  private readonly reported = new Set<string>();

  warnOnce(key: string, message: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    diag.warn(`@ryot/metrics: ${message}`);
  }
}

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  return typeof value;
}
