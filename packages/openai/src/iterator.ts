import type { RequestMeasurement } from './measurement.js';

/**
 * An async iterator that forwards every call to `source` unchanged and shows each chunk to the
 * measurement. The request completes when the source reports done (aborted if its signal had
 * aborted: the SDK ends its iteration quietly on `controller.abort()`), is aborted when the
 * consumer calls `return()` first (`break`), and errored when `next()` rejects.
 */
export class MeasuredIterator<T> implements AsyncIterableIterator<T> {
  constructor(
    private readonly source: AsyncIterator<T>,
    private readonly measurement: RequestMeasurement,
    private readonly signal: AbortSignal | undefined,
  ) {}

  next(...args: [] | [unknown]): Promise<IteratorResult<T>> {
    return this.source.next(...args).then(this.onResult, this.onError);
  }

  return(value?: unknown): Promise<IteratorResult<T>> {
    this.measurement.abort();
    const source = this.source;
    if (typeof source.return !== 'function') return Promise.resolve({ value: value as T, done: true });
    return source.return(value);
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    const source = this.source;
    if (typeof source.throw !== 'function') {
      this.measurement.fail(error);
      return Promise.reject(error);
    }
    return source.throw(error).then(this.onResult, this.onError);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private readonly onResult = (result: IteratorResult<T>): IteratorResult<T> => {
    const measurement = this.measurement;
    if (!result.done) measurement.chunk(result.value);
    else if (this.signal?.aborted) measurement.abort(this.signal.reason);
    else measurement.complete();
    return result;
  };

  private readonly onError = (error: unknown): never => {
    this.measurement.fail(error);
    throw error;
  };
}
