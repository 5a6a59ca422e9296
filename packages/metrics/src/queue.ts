import type { Recorder } from './recorder.js';
import type { RequestSink } from './sinks.js';
import type { ModelSeries } from './series.js';

/**
 * One request's place in a queue. Leaving the queue (dequeue or abandon) happens once,
 * so the queue-size gauge stays exact however the caller's code exits.
 */
export class QueueTicket implements Disposable {
  private left = false;
  private readonly sink: RequestSink;
  private readonly enqueuedAt: number;

  constructor(
    private readonly recorder: Recorder,
    private readonly series: ModelSeries,
  ) {
    this.sink = recorder.requestSink();
    this.enqueuedAt = recorder.now();
    series.addToQueue(1);
  }

  get waiting(): boolean {
    return !this.left;
  }

  /** The request leaves the queue to be served: records its wait. Returns the wait in seconds. */
  dequeue(): number {
    if (this.left) return 0;
    this.left = true;
    const seconds = Math.max(0, (this.recorder.now() - this.enqueuedAt) / 1000);
    this.series.addToQueue(-1);
    this.sink.queueWait(this.series, seconds);
    return seconds;
  }

  /** The request leaves the queue without being served (timeout, client gone): no wait is recorded. */
  abandon(): void {
    if (this.left) return;
    this.left = true;
    this.series.addToQueue(-1);
  }

  [Symbol.dispose](): void {
    this.abandon();
  }
}

/** Waits for `acquire` (a semaphore, a slot) as a queued request: dequeued on success, abandoned on error. */
export async function waitInQueue<T>(recorder: Recorder, model: unknown, acquire: () => PromiseLike<T> | T): Promise<T> {
  const ticket = new QueueTicket(recorder, recorder.series(model));
  try {
    const value = await acquire();
    ticket.dequeue();
    return value;
  } finally {
    ticket.abandon();
  }
}
