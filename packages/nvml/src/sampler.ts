/**
 * Background sampler: one sample in flight at most, started every `intervalMs`
 * on an unref'd timer. Readers (metric callbacks) only ever read `latest`, so a
 * scrape never waits on NVML, even while a call hangs inside the driver.
 */
import type { GpuSnapshot } from './types.js';

export interface SamplerOptions {
  intervalMs: number;
  sample: () => Promise<GpuSnapshot>;
  onSample?: (snapshot: GpuSnapshot) => void;
  onError?: (error: unknown) => void;
  now?: () => number;
}

export class GpuSampler {
  private latestSnapshot: GpuSnapshot | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private inFlightSince: number | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: SamplerOptions) {
    this.now = options.now ?? Date.now;
  }

  get latest(): GpuSnapshot | undefined {
    return this.latestSnapshot;
  }

  /** When the sample now running started, or undefined when none is running. */
  get busySince(): number | undefined {
    return this.inFlightSince;
  }

  /** Starts sampling; resolves when the first sample settled (ok or not). */
  start(): Promise<void> {
    const first = this.tick();
    return first;
  }

  private tick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (!this.inFlight) {
      this.inFlightSince = this.now();
      this.inFlight = this.options
        .sample()
        .then(
          (snapshot) => {
            if (this.stopped) return;
            this.latestSnapshot = snapshot;
            this.options.onSample?.(snapshot);
          },
          (error: unknown) => {
            if (!this.stopped) this.options.onError?.(error);
          },
        )
        .finally(() => {
          this.inFlight = undefined;
          this.inFlightSince = undefined;
        });
    }
    const current = this.inFlight;
    this.schedule();
    return current;
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer; resolves once the sample in flight (if any) settled. */
  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    return this.inFlight ?? Promise.resolve();
  }
}
