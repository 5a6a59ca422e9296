import type { SloTargets } from '@ryot/metrics';
import { ClientStats } from './client-stats.js';

export interface LoadOptions {
  baseUrl: string;
  models: string[];
  concurrency: number;
  durationMs: number;
  random: () => number;
  onRequest?: () => void;
  /** The targets the server judges each model by: the clients judge their streams by them too. */
  targetsFor?: (model: string) => SloTargets | undefined;
}

/** The demo's customers, by share of the traffic; 5 % more come with one-off trial keys (counted as `other`). */
export const DEMO_TENANTS: readonly (readonly [key: string, share: number])[] = [
  ['sk-demo-acme', 0.4],
  ['sk-demo-globex', 0.25],
  ['sk-demo-initech', 0.15],
  ['sk-demo-umbrella', 0.1],
  ['sk-demo-hooli', 0.05],
];

function apiKey(random: () => number): string {
  let r = random();
  for (const [key, share] of DEMO_TENANTS) {
    if (r < share) return key;
    r -= share;
  }
  return `sk-trial-${Math.floor(random() * 1e9).toString(36)}`;
}

const SYSTEM_PROMPTS = [
  'You are a concise assistant for an SRE team.',
  'You translate English into French.',
  'You are a code reviewer for TypeScript services.',
];
const QUESTIONS = ['Why is p95 latency up?', 'Summarise this incident.', 'What does TTFT measure?', 'Explain KV cache reuse.'];

type Kind = 'stream' | 'plain' | 'abort' | 'invalid';

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function chooseKind(random: () => number): Kind {
  const r = random();
  if (r < 0.03) return 'invalid';
  if (r < 0.08) return 'abort';
  if (r < 0.35) return 'plain';
  return 'stream';
}

function body(random: () => number, model: string, stream: boolean): string {
  const system = pick(random, SYSTEM_PROMPTS);
  const question = pick(random, QUESTIONS).repeat(1 + Math.floor(random() * 40));
  const messages = [
    { role: 'system', content: system },
    { role: 'user', content: question },
  ];
  const useChat = random() < 0.8;
  const maxTokens = 16 + Math.floor(random() * 180);
  const common = { model, stream, max_tokens: maxTokens, ...(stream ? { stream_options: { include_usage: true } } : {}) };
  return JSON.stringify(useChat ? { ...common, messages } : { ...common, prompt: `${system}\n${question}` });
}

function invalidBody(random: () => number): string {
  switch (Math.floor(random() * 3)) {
    case 0:
      return '{"model": "llama-3.1-8b-instruct", "messages": [';
    case 1:
      return JSON.stringify({ model: 'gpt-imaginary', messages: [{ role: 'user', content: 'hi' }] });
    default:
      return JSON.stringify({ model: 'mistral-7b-instruct', max_tokens: -5, messages: [{ role: 'user', content: 'hi' }] });
  }
}

/** What the client's stopwatch saw of one stream: the first and last content chunks and how many there were. */
interface StreamTiming {
  first: number | undefined;
  last: number | undefined;
  chunks: number;
}

/** Reads an SSE body, timing every content chunk. */
async function readStream(
  response: Response,
  startedAt: number,
  stats: ClientStats,
  stopAfter: number | undefined,
  controller: AbortController,
  timing: StreamTiming,
): Promise<string> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let last: number | undefined;
  let tokens = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return 'success';
    buffer += value;
    let index: number;
    while ((index = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, index);
      buffer = buffer.slice(index + 2);
      if (!event.startsWith('data: ')) continue;
      const data = event.slice(6);
      if (data === '[DONE]') continue;
      const parsed = JSON.parse(data) as { error?: unknown; choices?: Array<{ delta?: { content?: string }; text?: string }> };
      if (parsed.error) return 'error';
      const choice = parsed.choices?.[0];
      const content = choice?.delta?.content ?? choice?.text;
      if (!content) continue;
      const now = performance.now();
      if (last === undefined) stats.ttft.push((now - startedAt) / 1000);
      else stats.itl.push((now - last) / 1000);
      last = now;
      timing.first ??= now;
      timing.last = now;
      timing.chunks++;
      tokens++;
      stats.tokens++;
      if (stopAfter !== undefined && tokens >= stopAfter) {
        controller.abort();
        return 'cancelled';
      }
    }
  }
}

async function oneRequest(options: LoadOptions, statsFor: (model: string) => ClientStats): Promise<void> {
  const { random, baseUrl } = options;
  const model = pick(random, options.models);
  const kind = chooseKind(random);
  const stats = statsFor(kind === 'invalid' ? 'invalid' : model);
  const stream = kind !== 'plain';
  const path = random() < 0.8 ? '/v1/chat/completions' : '/v1/completions';
  const controller = new AbortController();
  const timing: StreamTiming = { first: undefined, last: undefined, chunks: 0 };
  const startedAt = performance.now();
  try {
    const response = await fetch(baseUrl + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey(random)}` },
      body: kind === 'invalid' ? invalidBody(random) : body(random, model, stream),
      signal: controller.signal,
    });
    if (!response.ok) {
      await response.text();
      stats.count(response.status >= 500 ? 'error' : 'rejected');
      return;
    }
    const outcome = stream
      ? await readStream(response, startedAt, stats, kind === 'abort' ? 2 + Math.floor(random() * 10) : undefined, controller, timing)
      : ((await response.json()) as { usage?: { completion_tokens: number } }, 'success');
    stats.count(outcome);
    const duration = (performance.now() - startedAt) / 1000;
    if (outcome === 'success') stats.latency.push(duration);
    const targets = options.targetsFor?.(model);
    if (stream && kind === 'stream' && targets && outcome !== 'cancelled') judgeStream(stats, targets, outcome === 'success', duration, startedAt, timing);
  } catch (error) {
    stats.count(controller.signal.aborted ? 'cancelled' : 'error');
    void error;
  } finally {
    options.onRequest?.();
  }
}

/** The client's own verdict on a finished stream: a failure never meets; a success meets when every target it declares does. */
function judgeStream(stats: ClientStats, targets: SloTargets, success: boolean, duration: number, startedAt: number, timing: StreamTiming): void {
  stats.judged++;
  if (!success || timing.first === undefined) return;
  const ttft = (timing.first - startedAt) / 1000;
  const tpot = timing.chunks > 1 ? (duration - ttft) / (timing.chunks - 1) : undefined;
  const within = (value: number | undefined, target: number | undefined) => target === undefined || value === undefined || value <= target;
  if (within(ttft, targets.ttftSeconds) && within(tpot, targets.tpotSeconds) && within(duration, targets.e2eSeconds)) stats.met++;
}

/** Runs `concurrency` closed-loop clients until the duration is over. */
export async function runLoad(options: LoadOptions): Promise<Map<string, ClientStats>> {
  const stats = new Map<string, ClientStats>();
  const statsFor = (model: string) => {
    let entry = stats.get(model);
    if (!entry) stats.set(model, (entry = new ClientStats()));
    return entry;
  };
  const deadline = performance.now() + options.durationMs;
  const worker = async () => {
    while (performance.now() < deadline) await oneRequest(options, statsFor);
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return stats;
}
