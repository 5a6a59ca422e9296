/**
 * A tracker wraps a function. It is also a TypeScript 5 standard method decorator:
 * called with (method, context) it returns the replacement method.
 */
export interface Tracker {
  <This, Args extends unknown[], Result>(
    fn: (this: This, ...args: Args) => Result,
    context?: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Result>,
  ): (this: This, ...args: Args) => Result;
}

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

export function assertFunction(value: unknown, what: string): void {
  if (typeof value !== 'function') {
    throw new TypeError(`Expected a function for ${what} but received ${value === null ? 'null' : typeof value}`);
  }
}
