// A setup file of every vitest project (vitest.config.ts): before each test, the worker's event
// loop turns once.
//
// vitest 3's worker sends its results to the main process over an RPC whose calls time out after
// a fixed 60 s (birpc's default; no option sets it). The reply arrives at once, but the worker
// reads it only when its event loop turns, and vitest's runner does not turn it between tests:
// from one file's start to its end, tests that await only promises (the session harness's
// `settle`) or nothing at all are one synchronous stretch. When the loop turns after more than
// 60 s, Node runs the expired timer before it reads the waiting reply: "[vitest-worker]: Timeout
// calling "onTaskUpdate"", an unhandled error that fails the run (and, in a project whose files
// share one worker, loses the results of every file after it). With this hook the longest
// stretch is one test, and a test that runs past its testTimeout (30 s) fails by itself.
// CONTRIBUTING.md, "Loaded runs and vitest's 60 s worker RPC limit".
import { beforeEach } from 'vitest';

beforeEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
