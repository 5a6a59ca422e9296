import { describe, expect, it } from 'vitest';
import { parseExposition, parseFloatValue } from '../src/exposition.js';

describe('parseExposition', () => {
  it('reads HELP, TYPE and UNIT metadata and samples with and without labels', () => {
    const e = parseExposition(
      [
        '# HELP ryot_tokens_generated_total Output tokens generated, counted when\\n the request finishes \\\\ ok.',
        '# UNIT ryot_tokens_generated_total {token}',
        '# TYPE ryot_tokens_generated_total counter',
        'ryot_tokens_generated_total{model="a"} 42',
        '# a free comment',
        '#TYPE-less comment',
        '',
        'up 1',
        '# EOF',
      ].join('\n'),
    );
    expect(e.errors).toEqual([]);
    const family = e.families.get('ryot_tokens_generated_total');
    expect(family).toEqual({
      name: 'ryot_tokens_generated_total',
      help: 'Output tokens generated, counted when\n the request finishes \\ ok.',
      unit: '{token}',
      type: 'counter',
    });
    expect(e.typeOf('ryot_tokens_generated_total')).toBe('counter');
    expect(e.get('ryot_tokens_generated_total')).toEqual([
      { name: 'ryot_tokens_generated_total', labels: { model: 'a' }, value: 42 },
    ]);
    expect(e.value('up')).toBe(1);
    expect(e.get('up')[0]!.labels).toEqual({});
  });

  it('unescapes hostile label values: backslash, quote, newline, braces, commas, equals, unicode', () => {
    // On the wire: \\ is one backslash, \" a quote, \n a newline; `}` `,` `=` and `#` inside quotes are plain text.
    const line = String.raw`m{model="a\\b\"c\nd}e,f=g # h",empty="",uni="llama-3-8b-🦙-中文",odd="x\ty"} 1`;
    const e = parseExposition(`${line}\n`);
    expect(e.errors).toEqual([]);
    const [sample] = e.get('m');
    expect(sample!.labels).toEqual({
      model: 'a\\b"c\nd}e,f=g # h',
      empty: '',
      uni: 'llama-3-8b-🦙-中文',
      // An escape the format does not define is kept as written (what Prometheus does).
      odd: 'x\\ty',
    });
    // Label filters compare the unescaped value.
    expect(e.get('m', { model: 'a\\b"c\nd}e,f=g # h' })).toHaveLength(1);
    expect(e.get('m', { model: 'a' })).toHaveLength(0);
  });

  it('reads the exact output of the OTel Prometheus serializer for a model name with a quote', () => {
    const e = parseExposition(
      [
        '# TYPE ryot_inference_requests_total counter',
        'ryot_inference_requests_total{model="m\\"x",status="success",otel_scope_name="@ryot/metrics",otel_scope_version="0.1.0"} 1',
        '# HELP target_info Target metadata',
        '# TYPE target_info gauge',
        'target_info{service_name="svc",telemetry_sdk_language="nodejs"} 1',
      ].join('\n'),
    );
    expect(e.sum('ryot_inference_requests_total', { model: 'm"x' })).toBe(1);
    expect(e.value('target_info', { service_name: 'svc' })).toBe(1);
  });

  it('parses +Inf, -Inf, NaN, exponents, negative values, and optional timestamps', () => {
    const e = parseExposition(
      [
        'a_bucket{le="+Inf"} +Inf',
        'b -Inf',
        'c NaN',
        'd 1.5e-3',
        'e -7',
        'f 3 1712345678901',
        'g{x="y"} 4 -1000',
        'h   \t 5  \t',
        'i{x="y",} 6',
        'j { x = "y" } 7',
        'k Inf',
      ].join('\n'),
    );
    expect(e.errors).toEqual([]);
    expect(e.value('a_bucket', { le: '+Inf' })).toBe(Infinity);
    expect(e.value('b')).toBe(-Infinity);
    expect(e.value('c')).toBeNaN();
    expect(e.value('d')).toBe(0.0015);
    expect(e.value('e')).toBe(-7);
    expect(e.get('f')[0]).toEqual({ name: 'f', labels: {}, value: 3, timestampMs: 1712345678901 });
    expect(e.get('g')[0]!.timestampMs).toBe(-1000);
    expect(e.value('h')).toBe(5);
    expect(e.value('i', { x: 'y' })).toBe(6); // trailing comma inside braces is allowed
    expect(e.value('j', { x: 'y' })).toBe(7); // blanks around tokens
    expect(e.value('k')).toBe(Infinity);
  });

  it('reads CRLF line endings and Prometheus 3 quoted (UTF-8) metric names', () => {
    const e = parseExposition('a 1\r\n{"hw.gpu.memory.usage","hw.id"="0"} 2\r\n');
    expect(e.errors).toEqual([]);
    expect(e.value('a')).toBe(1);
    expect(e.value('hw.gpu.memory.usage', { 'hw.id': '0' })).toBe(2);
  });

  it('skips malformed lines, reports them with line numbers, and keeps every good line', () => {
    const e = parseExposition(
      [
        'good 1',
        'bad{model="unterminated} 1',
        'bad2{model="a"}',
        'bad3 notanumber',
        'bad4{9x="a"} 1',
        'bad5 1 2 3',
        'bad6 0x10',
        'good2{model="b"} 2',
      ].join('\n'),
    );
    expect(e.value('good')).toBe(1);
    expect(e.value('good2', { model: 'b' })).toBe(2);
    expect(e.errors.map((err) => err.line)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(e.errors[0]!.message).toMatch(/unterminated/);
    expect(e.errors[1]!.message).toMatch(/missing value/);
    expect(e.errors[2]!.message).toMatch(/bad value 'notanumber'/);
    expect(['bad', 'bad2', 'bad3', 'bad4', 'bad5', 'bad6'].some((n) => e.get(n).length > 0)).toBe(false);
  });

  it('sums and filters across series with extra labels (otel_scope_*), a filter value "" meaning absent', () => {
    const e = parseExposition(
      [
        'q{model="a",otel_scope_name="s1"} 1',
        'q{model="a",otel_scope_name="s2"} 2',
        'q{model="b"} 4',
      ].join('\n'),
    );
    expect(e.sum('q', { model: 'a' })).toBe(3);
    expect(e.sum('q')).toBe(7);
    expect(e.sum('q', { model: 'b', otel_scope_name: '' })).toBe(4);
    expect(e.sum('q', { model: 'zzz' })).toBeUndefined();
  });
});

describe('parseFloatValue', () => {
  it('follows Go ParseFloat for the special values and rejects what Number() would wrongly accept', () => {
    expect(parseFloatValue('+inf')).toBe(Infinity);
    expect(parseFloatValue('-Infinity')).toBe(-Infinity);
    expect(parseFloatValue('nan')).toBeNaN();
    expect(parseFloatValue('.5')).toBe(0.5);
    expect(parseFloatValue('5.')).toBe(5);
    expect(parseFloatValue('')).toBeUndefined();
    expect(parseFloatValue('0x10')).toBeUndefined();
    expect(parseFloatValue('1_000')).toBeUndefined();
  });
});
