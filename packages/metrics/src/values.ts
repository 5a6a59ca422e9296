/** Value checks for record paths: typeof first, so a symbol, a bigint or an object never reaches a comparison. */

export function isNumber(value: unknown): value is number {
  return typeof value === 'number';
}

/** 0 or more, and finite (NaN fails every comparison). */
export function isFiniteNonNegative(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value !== Number.POSITIVE_INFINITY;
}

export function isPositiveFinite(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && value !== Number.POSITIVE_INFINITY;
}

export function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

export function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
