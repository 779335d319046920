/**
 * The default time source of the session, the rate limiter and the frame scheduler:
 * `performance.now` where the runtime has it, else `Date.now`.
 * @returns A function that reads the current time in milliseconds.
 */
export function defaultNow(): () => number {
  const perf = (globalThis as { performance?: { now(): number } }).performance;
  if (perf !== undefined) return () => perf.now();
  return () => Date.now();
}

/** A source of milliseconds (monotonic). */
export interface Clock {
  /** The current time in milliseconds. */
  now(): number;
}
