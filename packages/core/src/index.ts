export type { Game, InputPredictor } from './game';
export { repeatLastInputPredictor, emptyInputPredictor } from './input-predictors';
export { RollbackEngine, validateEngineConfig } from './rollback-engine';
export {
  DEFAULT_ENGINE_CONFIG,
  ENGINE_CONFIG_LIMITS,
  MAX_INPUT_DELAY_TICKS,
} from './internal/config';
export type {
  EngineConfig,
  TickResult,
  AdvancedTickResult,
  StalledTickResult,
  RemoteInputResult,
  EngineSnapshot,
  EngineStats,
} from './rollback-engine';
export { GameError } from './game-error';
export type { GameOperation } from './game-error';
export { runSyncTest } from './sync-test';
export type { SyncTestOptions, SyncTestResult } from './sync-test';
