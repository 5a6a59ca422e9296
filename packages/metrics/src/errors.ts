/** Base of every error Ryot throws itself; `code` is stable and safe to match on. */
export abstract class RyotError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid configuration, thrown at configuration time (never while recording). */
export class RyotConfigError extends RyotError {
  readonly code = 'RYOT_CONFIG_INVALID';
}
