import type { RequestStatus } from './catalog.js';
import { getDefaultRyot } from './default-instance.js';
import type { Ryot } from './ryot.js';
import { InferenceRun } from './run.js';
import { isRecord } from './values.js';

export interface InferenceContextOptions {
  model: string;
  /** Prompt (input) tokens, when known. */
  promptTokens?: number;
  /** Ends the request as cancelled when the signal aborts. */
  signal?: AbortSignal;
  /** Record into this Ryot instance instead of the default one. */
  ryot?: Ryot;
}

/**
 * One inference request driven by hand. Usable with `using` (ends on scope exit) or with
 * explicit calls; ending twice records once.
 *
 * ```ts
 * using ctx = new InferenceContext({ model: 'llama-3-8b' });
 * for await (const token of engine.generate(prompt)) ctx.recordToken();
 * ```
 */
export class InferenceContext implements Disposable {
  private readonly run: InferenceRun;

  constructor(options: InferenceContextOptions) {
    const { model, promptTokens, signal, ryot = getDefaultRyot() } = isRecord(options) ? options : ({} as Partial<InferenceContextOptions>);
    this.run = new InferenceRun(ryot, ryot.series(model), ryot.now(), {
      promptTokens,
      signal,
    });
  }

  get model(): string {
    return this.run.series.label;
  }

  get tokenCount(): number {
    return this.run.tokens;
  }

  get ended(): boolean {
    return this.run.ended;
  }

  /** Records `count` tokens arriving now: the first gives TTFT, each later call one inter-token gap. */
  recordToken(count = 1): void {
    this.run.token(count);
  }

  /** Records an inter-token latency measured elsewhere, in seconds. */
  recordItl(seconds: number): void {
    this.run.interTokenLatency(seconds);
  }

  /** The reference library's name for recordItl. */
  recordInterTokenLatency(seconds: number): void {
    this.run.interTokenLatency(seconds);
  }

  /** Sets the output token count without per-token timing (the reference library's `set_token_count`). */
  setTokenCount(count: number): void {
    this.run.setTokenCount(count);
  }

  /** Records a TTFT measured elsewhere, in seconds; once per request (a later first token then adds no TTFT). */
  setTtft(seconds: number): void {
    this.run.timeToFirstToken(seconds);
  }

  setPromptTokens(count: number): void {
    this.run.setPromptTokens(count);
  }

  /** Output tokens as the engine or API reports them (e.g. `usage.completion_tokens`); overrides the count of recorded tokens. */
  setCompletionTokens(count: number): void {
    this.run.setCompletionTokens(count);
  }

  /** Ends the request with the status and error_type its error classifies to. */
  fail(error: unknown): void {
    this.run.fail(error);
  }

  end(status: RequestStatus = 'success'): void {
    this.run.end(status);
  }

  [Symbol.dispose](): void {
    this.run.end('success');
  }
}
