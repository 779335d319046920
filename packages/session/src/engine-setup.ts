import { RollbackEngine } from '@rbn/core';
import type { Game, InputPredictor } from '@rbn/core';
import type { Tick } from '@rbn/protocol';
import type { Roster } from './roster';
import { PlayerRole } from './types';
import type { SessionConfig } from './types';

/** What {@link buildEngine} builds from. */
export type EngineSetup = {
  readonly game: Game<Uint8Array>;
  readonly cfg: SessionConfig;
  /** The local member's role (a spectator never predicts). */
  readonly role: PlayerRole;
  /** The room's members with their join and leave ticks. */
  readonly roster: Roster;
  readonly predictor: InputPredictor<Uint8Array> | undefined;
  /** The clock `snapshotInterval: 'auto'` measures `serialize` and `step` with. */
  readonly costClock: () => number;
};

/**
 * Builds the rollback engine for a game starting (or joined) at `startTick`, with every
 * player of the roster whose inputs count from then on.
 * @param setup - The game, config, local role, roster and predictor.
 * @param startTick - The engine's first tick.
 */
export function buildEngine(setup: EngineSetup, startTick: Tick): RollbackEngine {
  const { game, cfg, role, roster, predictor, costClock } = setup;
  const engine = new RollbackEngine(game, {
    snapshotHistorySize: cfg.snapshotHistorySize,
    // A spectator receives confirmed inputs only and runs in lockstep with them: it never
    // predicts, so what it shows never rolls back.
    maxSpeculationTicks: role === PlayerRole.Spectator ? 0 : cfg.maxSpeculationTicks,
    snapshotInterval: cfg.snapshotInterval,
    costClock,
    hashInterval: cfg.hashInterval,
    inputDelayTicks: cfg.inputDelayTicks,
    startTick,
    ...(predictor ? { inputPredictor: predictor } : {}),
  });
  for (const m of roster.all()) {
    if (m.role !== PlayerRole.Player || m.joinTick < 0) continue;
    if (m.leaveTick >= 0 && m.leaveTick <= startTick) continue;
    engine.addPlayer(m.playerId, m.joinTick, { local: m.isLocal });
    if (m.leaveTick >= 0) engine.removePlayer(m.playerId, m.leaveTick);
  }
  return engine;
}
