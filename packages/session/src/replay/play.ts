import { RollbackEngine } from '@rbn/core';
import type { EngineConfig, Game } from '@rbn/core';
import { RbnError } from '@rbn/protocol';
import type { PlayerId, Tick } from '@rbn/protocol';
import { decodeReplay } from './decode';
import type { Replay, ReplayLimits } from './format';

/** The outcome of {@link playReplay}. */
export type ReplayResult = {
  /** The tick playback reached (the replay's final tick). */
  finalTick: Tick;
  /** `game.hash()` of the reproduced S(finalTick), as an unsigned 32-bit integer. */
  hash: number;
  /** The recorded final hash. */
  expectedHash: number;
  /** Whether the reproduced hash equals the recorded one. */
  matches: boolean;
};

/** Options of {@link playReplay}. */
export type PlayReplayOptions = {
  /** Bounds for decoding a blob (ignored when a decoded {@link Replay} is given). @default DEFAULT_REPLAY_LIMITS */
  limits?: Partial<ReplayLimits>;
  /** Engine settings for the playback (`startTick`, `maxInputBytes` and `inputPredictor` come from the replay). @default the engine defaults */
  engineConfig?: Omit<EngineConfig, 'startTick' | 'maxInputBytes' | 'inputPredictor'>;
  /** Called after each simulated tick with the tick just simulated (e.g. to render a replay viewer). */
  onTick?: (tick: Tick) => void;
};
/**
 * Plays a replay back: loads its initial state into `game` and reproduces the recorded run with
 * a {@link RollbackEngine}, adding every player as a remote player at its join tick (removing it
 * at its leave tick) and feeding every recorded input with `addRemoteInput` before the tick that
 * uses it, up to the final tick. The game therefore sees exactly the step order and input maps
 * the live engine used, and the final hash matches when the game is deterministic.
 * @param replay - A replay blob, or a replay decoded with {@link decodeReplay}.
 * @param game - A game instance to drive (its state is replaced by the replay's initial state).
 * @param options - Limits, engine settings, a per-tick callback; see {@link PlayReplayOptions}.
 * @returns The final tick, the reproduced and the recorded hash, and whether they match.
 * @throws DecodeError for a malformed blob; RbnError `'REPLAY_INCOMPLETE'` if an input a tick
 * needs was never recorded; `GameError` (from `@rbn/core`) if the game throws.
 * @example
 * ```ts
 * const result = playReplay(blob, new MyGame());
 * if (!result.matches) console.warn('the game is not deterministic');
 * ```
 */
export function playReplay(
  replay: Uint8Array | Replay,
  game: Game<Uint8Array>,
  options?: PlayReplayOptions,
): ReplayResult {
  const r = replay instanceof Uint8Array ? decodeReplay(replay, options?.limits) : replay;
  const engine = new RollbackEngine(game, {
    ...options?.engineConfig,
    startTick: r.startTick,
    maxInputBytes: r.maxInputBytes,
  });
  engine.loadState(r.startTick, r.state);

  // Who is in the game at the start tick (events up to it), added with the start as join tick.
  const events = r.events;
  let e = 0;
  const activeAtStart = new Set<PlayerId>();
  while (e < events.length && events[e]!.tick <= r.startTick) {
    const event = events[e]!;
    if (event.kind === 'join') activeAtStart.add(event.playerId);
    else activeAtStart.delete(event.playerId);
    e++;
  }
  for (const id of activeAtStart) engine.addPlayer(id, r.startTick);

  const players = r.players;
  const cursors = new Array<number>(players.length).fill(0);
  const onTick = options?.onTick;
  for (let t = r.startTick; t < r.finalTick; t++) {
    while (e < events.length && events[e]!.tick === t) {
      const event = events[e]!;
      if (event.kind === 'join') engine.addPlayer(event.playerId, t);
      else engine.removePlayer(event.playerId, t);
      e++;
    }
    for (let i = 0; i < players.length; i++) {
      const runs = players[i]!.runs;
      let c = cursors[i]!;
      while (c < runs.length && runs[c]!.tick + runs[c]!.count <= t) c++;
      cursors[i] = c;
      const run = runs[c];
      if (run !== undefined && run.tick <= t) engine.addRemoteInput(players[i]!.id, t, run.input);
    }
    if (engine.inputsCompleteThrough < t) {
      const missing = engine.playerIds.find((id) => engine.getReceivedTick(id) < t);
      throw new RbnError(
        'REPLAY_INCOMPLETE',
        `the replay has no input of player ${String(missing)} for tick ${t}`,
      );
    }
    engine.tick();
    if (onTick !== undefined) onTick(t);
  }
  const hash = game.hash() >>> 0;
  return { finalTick: r.finalTick, hash, expectedHash: r.finalHash, matches: hash === r.finalHash };
}
