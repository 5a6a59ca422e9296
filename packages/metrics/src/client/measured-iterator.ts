/** What a measured stream reports to: each item, and how the iteration ended. */
export interface StreamObserver<T> {
  chunk(value: T): void;
  complete(): void;
  abort(reason?: unknown): void;
  fail(error: unknown): void;
}

/**
 * An async iterator that forwards every call to `source` unchanged and shows each item to the observer. The
 * request completes when the source reports done (aborted if `signal` had aborted: Stainless SDKs end their
 * iteration quietly on `controller.abort()`), is aborted when the consumer calls `return()` first (`break`; the
 * value `ReadableStream.from` passes on cancel is the reason), and errored when `next()` rejects.
 */
export class MeasuredIterator<T> implements AsyncIterableIterator<T> {
  constructor(
    private readonly source: AsyncIterator<T>,
    private readonly observer: StreamObserver<T>,
    private readonly signal: AbortSignal | undefined,
  ) {}

  next(...args: [] | [unknown]): Promise<IteratorResult<T>> {
    return this.source.next(...args).then(this.onResult, this.onError);
  }

  return(value?: unknown): Promise<IteratorResult<T>> {
    this.observer.abort(value);
    const source = this.source;
    if (typeof source.return !== 'function') return Promise.resolve({ value: value as T, done: true });
    return source.return(value);
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    const source = this.source;
    if (typeof source.throw !== 'function') {
      this.observer.fail(error);
      return Promise.reject(error);
    }
    return source.throw(error).then(this.onResult, this.onError);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private readonly onResult = (result: IteratorResult<T>): IteratorResult<T> => {
    const observer = this.observer;
    if (!result.done) observer.chunk(result.value);
    else if (this.signal?.aborted) observer.abort(this.signal.reason);
    else observer.complete();
    return result;
  };

  private readonly onError = (error: unknown): never => {
    this.observer.fail(error);
    throw error;
  };
}
