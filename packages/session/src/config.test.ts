import { MAX_INPUT_DELAY_TICKS } from '@rbn/core';
import { createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { resolveSessionConfig } from './config';
import { createSession } from './session';
import type { SessionConfig } from './types';
import { TestGame } from './testing/test-game';

function session(config: Partial<SessionConfig> = {}) {
  const transport = createLocalTransportGroup(['a'], { seed: 1 }).get('a')!;
  return createSession({ game: new TestGame(), transport, config });
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('session config (one source of truth: the engine limits in @rbn/core)', () => {
  it('rejects at createSession an input delay the engine would reject at start', () => {
    expect(codeOf(() => session({ inputDelayTicks: 100 }))).toBe('INVALID_CONFIG');
    expect(codeOf(() => session({ inputDelayTicks: MAX_INPUT_DELAY_TICKS }))).toBeUndefined();
  });

  it('allows snapshotHistorySize up to the engine limit of 65,536 and not beyond', () => {
    expect(
      codeOf(() => resolveSessionConfig({ snapshotHistorySize: 65_536, maxSpeculationTicks: 60 })),
    ).toBeUndefined();
    expect(codeOf(() => resolveSessionConfig({ snapshotHistorySize: 65_537 }))).toBe(
      'INVALID_CONFIG',
    );
  });

  it('rejects maxSpeculationTicks that is not below snapshotHistorySize', () => {
    expect(codeOf(() => session({ snapshotHistorySize: 60, maxSpeculationTicks: 60 }))).toBe(
      'INVALID_CONFIG',
    );
    expect(
      codeOf(() => session({ snapshotHistorySize: 61, maxSpeculationTicks: 60 })),
    ).toBeUndefined();
  });

  it('rejects at once an inputDelayTicks setter value the engine would reject, and keeps the old value', () => {
    const s = session({ inputDelayTicks: 2 });
    expect(codeOf(() => (s.inputDelayTicks = 100))).toBe('INVALID_CONFIG');
    expect(s.inputDelayTicks).toBe(2);
    s.inputDelayTicks = 64;
    expect(s.inputDelayTicks).toBe(64);
  });
});
