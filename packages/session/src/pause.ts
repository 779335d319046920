import type { RollbackEngine } from '@rbn/core';
import { MessageType, RbnError } from '@rbn/protocol';
import type { PauseMessage, ResumeCountdownMessage, ResumeMessage } from '@rbn/protocol';
import type { Clock } from './internal/clock';
import type { Emitter } from './internal/emitter';
import type { Reporter } from './internal/reporter';
import type { LinkTable } from './links';
import { resetLiveness } from './liveness';
import { fromHost } from './roster';
import type { Roster } from './roster';
import { SessionState } from './types';

/** What the resume countdown asks for on a frame. */
export type CountdownStep =
  | { readonly kind: 'wait' }
  | { readonly kind: 'announce'; readonly seconds: number }
  | { readonly kind: 'resume' };

const WAIT: CountdownStep = { kind: 'wait' };

/**
 * The host's resume countdown: started by `resume()`, advanced by `tick()`, announcing each
 * whole second left and then resuming.
 */
export class ResumeCountdown {
  #endsAt = 0;
  #announced = 0;
  #running = false;

  /** Whether a countdown runs. */
  get running(): boolean {
    return this.#running;
  }

  /** Starts a countdown of `seconds` (> 0). */
  start(now: number, seconds: number): void {
    this.#endsAt = now + seconds * 1000;
    this.#announced = seconds;
    this.#running = true;
  }

  /** Stops the countdown (the room ended). */
  cancel(): void {
    this.#running = false;
  }

  /** What the countdown asks for now. */
  advance(now: number): CountdownStep {
    if (!this.#running) return WAIT;
    const left = Math.ceil((this.#endsAt - now) / 1000);
    if (left <= 0) {
      this.#running = false;
      return { kind: 'resume' };
    }
    if (left < this.#announced) {
      this.#announced = left;
      return { kind: 'announce', seconds: left };
    }
    return WAIT;
  }
}

/** What {@link Pausing} works with (the session's own parts, no more). */
export type PausingDeps = {
  readonly links: LinkTable;
  readonly emitter: Emitter;
  readonly report: Reporter;
  readonly roster: Roster;
  readonly clock: Clock;
};

/**
 * Pause and resume: the host's `pause()` / `resume()` (with its countdown) and every member's
 * handling of the host's `Pause`, `Resume` and `ResumeCountdown`. The state changes are
 * returned for the orchestrator to apply.
 */
export class Pausing {
  readonly #countdown = new ResumeCountdown();

  /** @param deps - The session's parts this uses. */
  constructor(private readonly deps: PausingDeps) {}

  /**
   * Host: pauses for everyone.
   * @throws RbnError `'NOT_HOST'` for a non-host, `'INVALID_STATE'` unless playing.
   */
  pause(state: SessionState, engine: RollbackEngine | null): void {
    if (!this.deps.roster.isHost)
      throw new RbnError('NOT_HOST', 'pause: only the host can pause the game');
    if (state !== SessionState.Playing) {
      throw new RbnError('INVALID_STATE', 'pause: the game is not playing');
    }
    const tick = engine ? engine.currentTick : 0;
    this.deps.links.broadcast({ type: MessageType.Pause, tick });
  }

  /**
   * Host: starts the resume countdown.
   * @returns Whether the game resumes at once (a countdown of 0).
   * @throws RbnError `'NOT_HOST'` for a non-host, `'INVALID_STATE'` unless paused.
   */
  resume(state: SessionState, seconds: number): boolean {
    if (!this.deps.roster.isHost)
      throw new RbnError('NOT_HOST', 'resume: only the host can resume the game');
    if (state !== SessionState.Paused) {
      throw new RbnError('INVALID_STATE', 'resume: the game is not paused');
    }
    if (this.#countdown.running) return false;
    if (seconds <= 0) return true;
    this.#countdown.start(this.deps.clock.now(), seconds);
    this.deps.links.broadcast({ type: MessageType.ResumeCountdown, seconds });
    this.deps.emitter.emit('resumeCountdown', seconds);
    return false;
  }

  /**
   * Host, every frame: advances the countdown.
   * @returns Whether the countdown ended and the game resumes now.
   */
  frame(now: number): boolean {
    const step = this.#countdown.advance(now);
    if (step.kind === 'resume') return true;
    if (step.kind === 'announce') {
      this.deps.links.broadcast({ type: MessageType.ResumeCountdown, seconds: step.seconds });
      this.deps.emitter.emit('resumeCountdown', step.seconds);
    }
    return false;
  }

  /** Host: tells everyone the game resumes (the orchestrator then enters `Playing`). */
  announceResume(engine: RollbackEngine | null): void {
    const tick = engine ? engine.currentTick : 0;
    this.deps.links.broadcast({ type: MessageType.Resume, tick });
    resetLiveness(this.deps.links, this.deps.clock.now());
  }

  /** Stops a running countdown (the room ended). */
  cancel(): void {
    this.#countdown.cancel();
  }

  /**
   * A `Pause`, `Resume` or `ResumeCountdown` from a peer.
   * @returns The state to enter, or `null` for none.
   */
  onMessage(peerId: string, message: HostPauseMessage, state: SessionState): SessionState | null {
    if (!fromHost(this.deps.roster, this.deps.report, peerId, message.type)) return null;
    switch (message.type) {
      case MessageType.Pause:
        return state === SessionState.Playing ? SessionState.Paused : null;
      case MessageType.Resume:
        if (state !== SessionState.Paused) return null;
        resetLiveness(this.deps.links, this.deps.clock.now());
        return SessionState.Playing;
      case MessageType.ResumeCountdown:
        this.deps.emitter.emit('resumeCountdown', message.seconds);
        return null;
    }
  }
}

/** The host's pause messages. */
export type HostPauseMessage = PauseMessage | ResumeMessage | ResumeCountdownMessage;
