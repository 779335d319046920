/**
 * `promise`, or a rejection that names what hung once `ms` passed: a test that would otherwise
 * wait for good fails with a name (the cap is far beyond what the awaited thing needs).
 * @param promise - What the test waits for.
 * @param what - What is still pending when the cap is reached, for the error.
 * @param ms - The cap.
 */
export function withHangCap<T>(promise: Promise<T>, what: string, ms = 20_000): Promise<T> {
  let cap: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    cap = setTimeout(() => reject(new Error(`hang cap: ${what} after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(cap));
}
