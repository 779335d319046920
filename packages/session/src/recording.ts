import type { RollbackEngine } from '@rbn/core';
import { RbnError } from '@rbn/protocol';
import type { PlayerId, Tick } from '@rbn/protocol';
import { ReplayRecorder } from './replay';
import type { Roster } from './roster';
import { PlayerRole } from './types';

/**
 * Where a replay recording stands: `off`; `wanted` before anything was confirmed (the
 * recorder starts at the first confirmed state it sees); `recording` with the newest recorded
 * tick; `finished` with the blob, waiting for `stopRecording()`.
 */
export type RecordingState =
  | { readonly kind: 'off' }
  | { readonly kind: 'wanted' }
  | { readonly kind: 'recording'; readonly recorder: ReplayRecorder; through: Tick }
  | { readonly kind: 'finished'; readonly blob: Uint8Array };

/** The session's replay recording (see `Session.startRecording`). */
export class Recording {
  #state: RecordingState = { kind: 'off' };

  /** Whether recording was asked for and not stopped yet. */
  get active(): boolean {
    return this.#state.kind !== 'off';
  }

  /** Starts a recording. @throws RbnError `'INVALID_STATE'` when already recording. */
  start(): void {
    if (this.active) throw new RbnError('INVALID_STATE', 'startRecording: already recording');
    this.#state = { kind: 'wanted' };
  }

  /**
   * Ends the recording and returns the blob.
   * @throws RbnError `'INVALID_STATE'` when not recording, or nothing was confirmed yet.
   */
  stop(engine: RollbackEngine | null, roster: Roster): Uint8Array {
    if (!this.active) throw new RbnError('INVALID_STATE', 'stopRecording: not recording');
    if (engine) {
      this.capture(engine, roster);
      this.end(engine);
    }
    const state = this.#state;
    this.#state = { kind: 'off' };
    if (state.kind !== 'finished') {
      throw new RbnError('INVALID_STATE', 'stopRecording: nothing was confirmed yet');
    }
    return state.blob;
  }

  /** Records every input confirmed since the last call (starting the recorder if needed). */
  capture(engine: RollbackEngine, roster: Roster): void {
    let state = this.#state;
    if (state.kind === 'off' || state.kind === 'finished') return;
    if (state.kind === 'wanted') {
      const start = engine.getConfirmedState();
      const recorder = new ReplayRecorder({ startTick: start.tick, state: start.state });
      for (const m of roster.all()) {
        if (m.role !== PlayerRole.Player || m.joinTick < 0) continue;
        if (m.leaveTick >= 0 && m.leaveTick <= start.tick) continue;
        recorder.recordJoin(m.playerId, m.joinTick);
        if (m.leaveTick >= 0) recorder.recordLeave(m.playerId, m.leaveTick);
      }
      state = { kind: 'recording', recorder, through: start.tick - 1 };
      this.#state = state;
    }
    const confirmed = engine.confirmedTick;
    for (let t = state.through + 1; t <= confirmed; t++) {
      for (const m of roster.all()) {
        if (m.role !== PlayerRole.Player || m.joinTick < 0 || m.joinTick > t) continue;
        if (m.leaveTick >= 0 && t >= m.leaveTick) continue;
        const input = engine.getInput(m.playerId, t);
        if (input) state.recorder.recordInput(m.playerId, t, input);
      }
    }
    if (confirmed > state.through) state.through = confirmed;
  }

  /** Closes the recording at the newest recorded tick (before a state load replaces history). */
  end(engine: RollbackEngine): void {
    const state = this.#state;
    if (state.kind !== 'recording') return;
    const finalTick = state.through + 1;
    const snapshot = engine.getSnapshot(finalTick);
    if (!snapshot) return;
    this.#state = {
      kind: 'finished',
      blob: state.recorder.finish({ finalTick, finalHash: snapshot.hash }),
    };
  }

  /** A player joins the recorded game. */
  recordJoin(playerId: PlayerId, tick: Tick): void {
    if (this.#state.kind === 'recording') this.#state.recorder.recordJoin(playerId, tick);
  }

  /** A player leaves the recorded game. */
  recordLeave(playerId: PlayerId, tick: Tick): void {
    if (this.#state.kind === 'recording') this.#state.recorder.recordLeave(playerId, tick);
  }
}
