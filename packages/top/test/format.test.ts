import { describe, expect, it } from 'vitest';
import { formatSeconds } from '../src/index.js';

describe('formatSeconds', () => {
  it('three significant digits in the unit that fits', () => {
    expect(formatSeconds(0.0004)).toBe('400µs');
    expect(formatSeconds(0.0075)).toBe('7.50ms');
    expect(formatSeconds(0.0235)).toBe('23.5ms');
    expect(formatSeconds(0.375)).toBe('375ms');
    expect(formatSeconds(2.5)).toBe('2.50s');
    expect(formatSeconds(47.25)).toBe('47.3s');
    expect(formatSeconds(150)).toBe('2.5m');
  });

  it('chooses the unit after rounding: a value that rounds up to the next unit is written in it', () => {
    expect(formatSeconds(0.9996)).toBe('1.00s'); // not 1000ms
    expect(formatSeconds(0.09996)).toBe('100ms'); // not 100.0ms
    expect(formatSeconds(0.009996)).toBe('10.0ms'); // not 10.00ms
    expect(formatSeconds(0.0009996)).toBe('1.00ms'); // not 1000µs
    expect(formatSeconds(9.996)).toBe('10.0s'); // not 10.00s
    expect(formatSeconds(99.96)).toBe('1.7m'); // not 100.0s
  });

  it('no value is a dash; zero is 0', () => {
    expect(formatSeconds(undefined)).toBe('-');
    expect(formatSeconds(Number.NaN)).toBe('-');
    expect(formatSeconds(0)).toBe('0');
  });
});
