/** A monotonic clock in milliseconds. Injected in tests so timing can be scripted exactly. */
export type Clock = () => number;

export const monotonicClock: Clock = () => performance.now();
