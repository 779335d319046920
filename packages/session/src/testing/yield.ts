/**
 * Lets the event loop turn once (timers, I/O), as a test that awaits only promises never does.
 * A long simulation calls it every so often: vitest's worker reads its RPC replies only when its
 * event loop turns, and fails the run when one waited 60 s (a long sweep on a loaded machine;
 * CONTRIBUTING.md, "Loaded runs and vitest's 60 s worker RPC limit"). The sessions under test
 * run on virtual time, so no timer of theirs is due; but every promise callback still waiting
 * runs in the turn. Call it where the test awaits anyway (a `settle`, between two runs or
 * seeds), not amid frames that run back to back, or callbacks run frames earlier than before.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
