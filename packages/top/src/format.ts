/** Number formatting for narrow, right-aligned terminal columns. '-' means "no value". */

export const NONE = '-';

export function formatRate(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return NONE;
  if (n === 0) return '0';
  const abs = Math.abs(n);
  if (abs < 10) return n.toFixed(2);
  if (abs < 100) return n.toFixed(1);
  if (abs < 100_000) return Math.round(n).toString();
  if (abs < 100_000_000) return `${(n / 1000).toFixed(0)}k`;
  return `${(n / 1_000_000).toFixed(0)}M`;
}

export function formatPercent(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return NONE;
  if (n === 0) return '0%';
  if (n >= 99.95 && n < 100) return '99.9%';
  if (n > 0 && n < 0.05) return '<0.1%';
  return `${n.toFixed(1)}%`;
}

/**
 * Seconds as µs / ms / s / m, three significant digits at most. The unit is chosen after
 * rounding, so 0.9996 s is `1.00s` (never `1000ms`) and 0.09996 s is `100ms`.
 */
export function formatSeconds(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return NONE;
  if (s === 0) return '0';
  const candidates: Array<[text: string, below: number, unit: string]> = [
    [Math.round(s * 1e6).toString(), 1000, 'µs'],
    [(s * 1000).toFixed(2), 10, 'ms'],
    [(s * 1000).toFixed(1), 100, 'ms'],
    [Math.round(s * 1000).toString(), 1000, 'ms'],
    [s.toFixed(2), 10, 's'],
    [s.toFixed(1), 100, 's'],
  ];
  for (const [text, below, unit] of candidates) if (Number(text) < below) return `${text}${unit}`;
  return `${(s / 60).toFixed(1)}m`;
}

const BYTE_UNITS = ['B', 'K', 'M', 'G', 'T', 'P'];

/** Bytes in binary units, like htop: 512B, 1.5K, 12.0G. */
export function formatBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return NONE;
  let value = n;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)}B` : `${value.toFixed(value < 10 ? 1 : 0)}${BYTE_UNITS[unit]}`;
}

export function formatCount(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return NONE;
  return Number.isInteger(n) ? n.toString() : n.toFixed(1);
}

/** Interval as the user would write it: 500ms, 1s, 2.5s, 1m. */
export function formatInterval(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

/** Display width: one column per code point (good enough for names; wide CJK glyphs may misalign). */
export function width(text: string): number {
  return [...text].length;
}

/** Cuts `text` to `max` columns with an ellipsis; control characters (a newline in a model name) become '?'. */
export function fit(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const safe = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  const chars = [...safe];
  if (chars.length <= max) return safe;
  if (max <= 1) return chars.slice(0, max).join('');
  return `${chars.slice(0, max - 1).join('')}…`;
}

export function padLeft(text: string, w: number): string {
  return ' '.repeat(Math.max(0, w - width(text))) + text;
}

export function padRight(text: string, w: number): string {
  return text + ' '.repeat(Math.max(0, w - width(text)));
}
