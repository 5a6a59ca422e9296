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
}

export class GpuSampler {
  private latestSnapshot: GpuSnapshot | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: SamplerOptions) {}

  get latest(): GpuSnapshot | undefined {
    return this.latestSnapshot;
  }

  /** Starts sampling; resolves when the first sample settled (ok or not). */
  start(): Promise<void> {
    const first = this.tick();
    return first;
  }

  private tick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (!this.inFlight) {
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
