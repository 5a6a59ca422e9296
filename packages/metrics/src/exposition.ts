/**
 * `@ryot/metrics/exposition`: a parser for the Prometheus text exposition format 0.0.4 (what `@opentelemetry/exporter-prometheus`, prom-client
 * and the Prometheus client libraries serve), tolerant of the OpenMetrics additions that appear in the wild
 * (`# UNIT`, `# EOF`) and of Prometheus 3 quoted metric names (`{"name.with.dots",label="v"}`).
 *
 * It never throws on bad input: a line it cannot read is skipped and reported in `Exposition.errors`, so one broken
 * series does not blank the whole screen.
 */

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  /** The sample's own name, e.g. `ryot_inference_ttft_seconds_bucket`. */
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
  /** Milliseconds since the epoch, when the line carries a timestamp. */
  readonly timestampMs?: number;
}

export interface MetricFamilyInfo {
  readonly name: string;
  type?: string;
  help?: string;
  unit?: string;
}

export interface ParseError {
  /** 1-based line number. */
  readonly line: number;
  readonly message: string;
  readonly text: string;
}

/** Samples whose labels include every label of `filter` (a label filtered as `''` must be absent or empty). */
export function matchesLabels(labels: Labels, filter: Labels | undefined): boolean {
  if (!filter) return true;
  for (const key of Object.keys(filter)) {
    if ((labels[key] ?? '') !== filter[key]) return false;
  }
  return true;
}

export class Exposition {
  /** Samples by sample name (`foo_bucket`, `foo_count`, `foo_sum` and `foo_total` are separate names). */
  readonly samples = new Map<string, Sample[]>();
  /** HELP / TYPE / UNIT metadata by metric family name (`foo` for a histogram, `foo_total` for a counter). */
  readonly families = new Map<string, MetricFamilyInfo>();
  readonly errors: ParseError[] = [];

  /** Samples named `name`, optionally only those whose labels include `filter`. */
  get(name: string, filter?: Labels): Sample[] {
    const all = this.samples.get(name) ?? [];
    return filter ? all.filter((s) => matchesLabels(s.labels, filter)) : all;
  }

  /** The first matching sample's value, or undefined. */
  value(name: string, filter?: Labels): number | undefined {
    return this.get(name, filter)[0]?.value;
  }

  /** The sum of all matching samples' values, or undefined when none match. */
  sum(name: string, filter?: Labels): number | undefined {
    const matching = this.get(name, filter);
    if (matching.length === 0) return undefined;
    let total = 0;
    for (const s of matching) total += s.value;
    return total;
  }

  /** The declared `# TYPE` of a family (`counter`, `gauge`, `histogram`, …), if any. */
  typeOf(family: string): string | undefined {
    return this.families.get(family)?.type;
  }

  /** Every sample name present. */
  names(): string[] {
    return [...this.samples.keys()];
  }

  add(sample: Sample): void {
    let list = this.samples.get(sample.name);
    if (!list) this.samples.set(sample.name, (list = []));
    list.push(sample);
  }

  family(name: string): MetricFamilyInfo {
    let info = this.families.get(name);
    if (!info) this.families.set(name, (info = { name }));
    return info;
  }
}

/** Parses a float the way Go's strconv.ParseFloat does for exposition values: +Inf, -Inf, Inf, NaN, any case. */
export function parseFloatValue(text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (/^[+-]?inf(inity)?$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return NaN;
  // Number() accepts '0x10', '0b1', '  ' and '' — a decimal/exponent literal only.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return undefined;
  return Number(t);
}

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_CHAR = /[a-zA-Z0-9_]/;

class LineError extends Error {}

/** A cursor over one sample line. */
class Cursor {
  pos = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(): string {
    return this.text[this.pos] ?? '';
  }
  skipSpaces(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }
  expect(ch: string): void {
    if (this.peek() !== ch) throw new LineError(`expected '${ch}' at column ${this.pos + 1}`);
    this.pos++;
  }
  identifier(start: RegExp, rest: RegExp, what: string): string {
    const begin = this.pos;
    if (!start.test(this.peek())) throw new LineError(`expected a ${what} at column ${this.pos + 1}`);
    this.pos++;
    while (!this.done && rest.test(this.peek())) this.pos++;
    return this.text.slice(begin, this.pos);
  }
  /** A double-quoted string with the exposition escapes: \\ → \, \" → ", \n → newline; other escapes kept as-is. */
  quoted(): string {
    this.expect('"');
    let out = '';
    for (;;) {
      if (this.done) throw new LineError('unterminated quoted string');
      const ch = this.text[this.pos++]!;
      if (ch === '"') return out;
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      if (this.done) throw new LineError('unterminated escape in quoted string');
      const next = this.text[this.pos++]!;
      if (next === 'n') out += '\n';
      else if (next === '\\' || next === '"') out += next;
      else out += `\\${next}`;
    }
  }
  /** Everything up to the next blank. */
  token(): string {
    const begin = this.pos;
    while (!this.done && this.peek() !== ' ' && this.peek() !== '\t') this.pos++;
    return this.text.slice(begin, this.pos);
  }
}

function parseSampleLine(text: string): Sample {
  const c = new Cursor(text);
  let name: string | undefined;
  const labels: Record<string, string> = {};
  if (c.peek() !== '{') name = c.identifier(NAME_START, NAME_CHAR, 'metric name');
  c.skipSpaces();
  if (c.peek() === '{') {
    c.pos++;
    c.skipSpaces();
    while (c.peek() !== '}') {
      let labelName: string;
      if (c.peek() === '"') {
        const quoted = c.quoted();
        c.skipSpaces();
        // Prometheus 3 (UTF-8 names): a bare quoted string inside the braces is the metric name.
        if (c.peek() !== '=') {
          if (name !== undefined) throw new LineError('two metric names');
          name = quoted;
          c.skipSpaces();
          if (c.peek() === ',') {
            c.pos++;
            c.skipSpaces();
          }
          continue;
        }
        labelName = quoted;
      } else {
        labelName = c.identifier(LABEL_START, LABEL_CHAR, 'label name');
      }
      c.skipSpaces();
      c.expect('=');
      c.skipSpaces();
      labels[labelName] = c.quoted();
      c.skipSpaces();
      if (c.peek() === ',') {
        c.pos++;
        c.skipSpaces();
      } else if (c.peek() !== '}') {
        throw new LineError(`expected ',' or '}' at column ${c.pos + 1}`);
      }
    }
    c.pos++;
  }
  if (name === undefined) throw new LineError('missing metric name');
  c.skipSpaces();
  const valueText = c.token();
  const value = parseFloatValue(valueText);
  if (value === undefined) throw new LineError(valueText === '' ? 'missing value' : `bad value '${valueText}'`);
  c.skipSpaces();
  let timestampMs: number | undefined;
  if (!c.done) {
    const tsText = c.token();
    // 0.0.4 timestamps are integer milliseconds; accept a float too (OpenMetrics uses seconds, but 0.0.4 is what we ask for).
    const ts = parseFloatValue(tsText);
    if (ts === undefined || !Number.isFinite(ts)) throw new LineError(`bad timestamp '${tsText}'`);
    timestampMs = ts;
    c.skipSpaces();
    // An OpenMetrics exemplar (`# {...} v`) may follow; ignore it.
    if (!c.done && c.peek() !== '#') throw new LineError(`unexpected text after the timestamp at column ${c.pos + 1}`);
  }
  return timestampMs === undefined ? { name, labels, value } : { name, labels, value, timestampMs };
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, ch: string) => (ch === 'n' ? '\n' : '\\'));
}

/** Parses a Prometheus text exposition (format 0.0.4). Never throws; unreadable lines land in `errors`. */
export function parseExposition(text: string): Exposition {
  const exposition = new Exposition();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const trimmed = line.replace(/^[ \t]+/, '');
    if (trimmed === '') continue;
    if (trimmed.startsWith('#')) {
      const m = /^#[ \t]+(HELP|TYPE|UNIT)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(trimmed);
      if (!m) continue; // a plain comment, or `# EOF`
      const [, keyword, familyName, rest = ''] = m;
      const family = exposition.family(familyName!);
      if (keyword === 'HELP') family.help = unescapeHelp(rest);
      else if (keyword === 'TYPE') family.type = rest.trim().toLowerCase();
      else family.unit = rest.trim();
      continue;
    }
    try {
      exposition.add(parseSampleLine(trimmed.replace(/[ \t]+$/, '')));
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      exposition.errors.push({ line: i + 1, message: error.message, text: line });
    }
  }
  return exposition;
}
