import { describe, expect, it } from 'vitest';
import { normalizeUrl, parseConfig, parseDuration, UsageError } from '../src/args.js';

describe('ryot top arguments', () => {
  it('parses durations: ms, s, m, bare seconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1s')).toBe(1000);
    expect(parseDuration('2.5s')).toBe(2500);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration('2')).toBe(2000);
    expect(parseDuration('.5')).toBe(500);
    for (const bad of ['', 'fast', '1h', '-1s', '1 s', '1e3']) expect(parseDuration(bad)).toBeUndefined();
  });

  it('normalizes URLs: host:port and a bare origin get /metrics, an explicit path is kept', () => {
    expect(normalizeUrl('10.0.0.7:9464')).toBe('http://10.0.0.7:9464/metrics');
    expect(normalizeUrl('http://localhost:9464')).toBe('http://localhost:9464/metrics');
    expect(normalizeUrl('https://gw.internal/ryot/metrics?x=1')).toBe('https://gw.internal/ryot/metrics?x=1');
    expect(normalizeUrl('http://localhost:9464/')).toBe('http://localhost:9464/');
    expect(() => normalizeUrl('ftp://x/metrics')).toThrow(UsageError);
    expect(() => normalizeUrl('http://')).toThrow(UsageError);
    expect(() => normalizeUrl('http://u:p@host:9464/metrics')).toThrow(/no user:password in the URL/);
  });

  it('builds the config with defaults, the token from the environment and validation', () => {
    expect(parseConfig([], {})).toEqual({
      url: 'http://127.0.0.1:9464/metrics',
      intervalMs: 1000,
      timeoutMs: 3000,
      once: false,
      color: true,
      sortBy: 'name',
    });
    expect(parseConfig(['h:1', '-i', '250ms', '--once', '--no-color', '-s', 'ttft'], { RYOT_TOP_TOKEN: 'env' })).toMatchObject({
      url: 'http://h:1/metrics',
      intervalMs: 250,
      once: true,
      color: false,
      sortBy: 'ttft',
      token: 'env',
    });
    expect(parseConfig(['--token', 'flag'], { RYOT_TOP_TOKEN: 'env' })).toMatchObject({ token: 'flag' });
    expect(parseConfig([], { NO_COLOR: '1' })).toMatchObject({ color: false });
    expect(parseConfig(['--help'], {})).toBe('help');
    expect(() => parseConfig(['-i', '50ms'], {})).toThrow(/at least 100ms/);
    expect(() => parseConfig(['--sort', 'cpu'], {})).toThrow(/one of name, req, err, ttft, tok/);
    expect(() => parseConfig(['a', 'b'], {})).toThrow(/one URL at most/);
    // --web: 127.0.0.1 and the default port unless told otherwise; `portGiven` says whether to fall back when taken.
    expect(parseConfig(['--web'], {})).toMatchObject({ web: { host: '127.0.0.1', port: 9465, portGiven: false } });
    expect(parseConfig(['--web', '--port', '0', '--host', '[::1]'], {})).toMatchObject({ web: { host: '::1', port: 0, portGiven: true } });
    expect(parseConfig([], {})).not.toHaveProperty('web');
    expect(() => parseConfig(['--web', '--port=-1'], {})).toThrow(/bad --port '-1'/);
    expect(() => parseConfig(['--web', '--host', 'a b'], {})).toThrow(/bad --host 'a b'/);
  });
});
