import { RbnError } from '@rbn/protocol';
import { checkRange } from './internal/check-range';
import { checkPlayerMetadata } from './player-metadata';
import { AwayInput, DesyncAuthority, Topology } from './types';
import { DEFAULT_ENGINE_CONFIG, ENGINE_CONFIG_LIMITS, validateEngineConfig } from '@rbn/core';
import type { Game } from '@rbn/core';
import type { PlayerId, TransportAdapter } from '@rbn/protocol';
import type { SessionConfig } from './types';

/** The most players a room can hold (star); mesh is not recommended above 4. */
export const MAX_PLAYERS_LIMIT = 16;

/** The settings a session uses for every field its caller leaves out. */
export const DEFAULT_SESSION_CONFIG: Readonly<SessionConfig> = Object.freeze({
  tickRate: 60,
  maxPlayers: 4,
  maxSpectators: 16,
  topology: Topology.Star,
  // The engine's settings take the engine's defaults (one source: @rbn/core).
  snapshotHistorySize: DEFAULT_ENGINE_CONFIG.snapshotHistorySize,
  maxSpeculationTicks: DEFAULT_ENGINE_CONFIG.maxSpeculationTicks,
  // Chosen online from the game's measured serialize and step costs (see @rbn/core).
  snapshotInterval: 'auto',
  hashInterval: DEFAULT_ENGINE_CONFIG.hashInterval,
  inputDelayTicks: DEFAULT_ENGINE_CONFIG.inputDelayTicks,
  disconnectTimeout: 5000,
  disconnectNotifyStart: 750,
  awayAfterMs: 500,
  reconnectWindowMs: 60_000,
  hostLossGraceMs: 3000,
  awayInput: AwayInput.Neutral,
  desyncAuthority: DesyncAuthority.Host,
  lagReportThreshold: 30,
  resumeCountdownSeconds: 3,
  joinRateLimitRequests: 5,
  joinRateLimitWindowMs: 10_000,
  inputHeartbeatTicks: 8,
  pingInterval: 500,
  keepaliveInterval: 200,
  joinTimeout: 10_000,
});

type Rule = { min: number; max: number; integer: boolean };

const RULES: { [K in keyof SessionConfig]: Rule } = {
  tickRate: { min: 1, max: 1000, integer: false },
  maxPlayers: { min: 2, max: MAX_PLAYERS_LIMIT, integer: true },
  maxSpectators: { min: 0, max: 255 - MAX_PLAYERS_LIMIT, integer: true },
  topology: { min: Topology.Star, max: Topology.Mesh, integer: true },
  // The engine's settings take the engine's limits (one source: @rbn/core); a session needs at
  // least one tick of speculation for its players (spectators run in lockstep).
  snapshotHistorySize: { ...ENGINE_CONFIG_LIMITS.snapshotHistorySize, integer: true },
  maxSpeculationTicks: { min: 1, max: ENGINE_CONFIG_LIMITS.maxSpeculationTicks.max, integer: true },
  snapshotInterval: { ...ENGINE_CONFIG_LIMITS.snapshotInterval, integer: true },
  hashInterval: { ...ENGINE_CONFIG_LIMITS.hashInterval, integer: true },
  inputDelayTicks: { ...ENGINE_CONFIG_LIMITS.inputDelayTicks, integer: true },
  disconnectTimeout: { min: 1, max: 3_600_000, integer: false },
  disconnectNotifyStart: { min: 0, max: 3_600_000, integer: false },
  awayAfterMs: { min: 0, max: 3_600_000, integer: false },
  reconnectWindowMs: { min: 0, max: 3_600_000, integer: false },
  hostLossGraceMs: { min: 0, max: 3_600_000, integer: false },
  awayInput: { min: AwayInput.Neutral, max: AwayInput.Repeat, integer: true },
  desyncAuthority: { min: DesyncAuthority.Host, max: DesyncAuthority.Peer, integer: true },
  lagReportThreshold: { min: 1, max: 1_000_000, integer: true },
  resumeCountdownSeconds: { min: 0, max: 60, integer: true },
  joinRateLimitRequests: { min: 1, max: 1_000_000, integer: true },
  joinRateLimitWindowMs: { min: 1, max: 3_600_000, integer: false },
  inputHeartbeatTicks: { min: 1, max: 60, integer: true },
  pingInterval: { min: 1, max: 60_000, integer: false },
  keepaliveInterval: { min: 1, max: 60_000, integer: false },
  joinTimeout: { min: 1, max: 3_600_000, integer: false },
};

/**
 * Checks one config value.
 * @param field - The config field.
 * @param value - The value to check.
 * @throws RbnError `'INVALID_CONFIG'` naming the field when the value is out of range.
 */
export function validateConfigField(field: keyof SessionConfig, value: unknown): void {
  if ((field === 'snapshotInterval' || field === 'inputDelayTicks') && value === 'auto') return;
  const rule = RULES[field];
  checkRange(`config.${field}`, value, rule.min, rule.max, rule.integer);
}

/**
 * Fills in defaults and validates a session config.
 * @param config - The caller's partial config.
 * @returns A complete, validated config.
 * @throws RbnError `'INVALID_CONFIG'` naming the first invalid field (unknown fields too).
 */
export function resolveSessionConfig(config: Partial<SessionConfig> = {}): SessionConfig {
  for (const key of Object.keys(config)) {
    if (!(key in RULES)) {
      throw new RbnError('INVALID_CONFIG', `config.${key} is not a session setting`);
    }
  }
  const resolved: SessionConfig = { ...DEFAULT_SESSION_CONFIG };
  for (const key of Object.keys(RULES) as (keyof SessionConfig)[]) {
    const value = config[key];
    if (value === undefined) continue;
    validateConfigField(key, value);
    (resolved as Record<keyof SessionConfig, unknown>)[key] = value;
  }
  // Whatever the engine would reject when the game starts is rejected now.
  validateEngineConfig({
    snapshotHistorySize: resolved.snapshotHistorySize,
    maxSpeculationTicks: resolved.maxSpeculationTicks,
    // 'auto' gets the session's clock when the engine is created.
    snapshotInterval: resolved.snapshotInterval === 'auto' ? 1 : resolved.snapshotInterval,
    hashInterval: resolved.hashInterval,
    inputDelayTicks: resolved.inputDelayTicks === 'auto' ? 0 : resolved.inputDelayTicks,
  });
  if (resolved.disconnectNotifyStart > resolved.disconnectTimeout) {
    throw new RbnError(
      'INVALID_CONFIG',
      `config.disconnectNotifyStart (${resolved.disconnectNotifyStart}) must not exceed config.disconnectTimeout (${resolved.disconnectTimeout})`,
    );
  }
  return resolved;
}

/** The config fields a host sends a joiner, which the joiner adopts (the room's settings). */
export const ROOM_CONFIG_FIELDS = [
  'tickRate',
  'maxPlayers',
  'maxSpectators',
  'topology',
  'hashInterval',
  'desyncAuthority',
  'resumeCountdownSeconds',
] as const satisfies readonly (keyof SessionConfig)[];

/**
 * Checks the parts of `createSession`'s options that are not settings.
 * @returns The game, the transport and the local player id (defaulted to the peer id).
 * @throws RbnError `'INVALID_ARGUMENT'` naming the bad option (also for metadata that is not a
 * Uint8Array of at most `MAX_PLAYER_METADATA_BYTES`).
 */
export function checkSessionOptions(options: unknown): {
  game: Game<Uint8Array>;
  transport: TransportAdapter;
  localPlayerId: PlayerId;
  metadata: Uint8Array;
} {
  if (typeof options !== 'object' || options === null) {
    throw new RbnError('INVALID_ARGUMENT', 'createSession needs an options object');
  }
  const { game, transport, localPlayerId, metadata } = options as {
    game?: Game<Uint8Array>;
    transport?: TransportAdapter;
    localPlayerId?: unknown;
    metadata?: unknown;
  };
  if (!game || typeof game.step !== 'function' || typeof game.serialize !== 'function') {
    throw new RbnError('INVALID_ARGUMENT', 'createSession: options.game must implement Game');
  }
  if (!transport || typeof transport.send !== 'function') {
    const text = 'createSession: options.transport must implement TransportAdapter';
    throw new RbnError('INVALID_ARGUMENT', text);
  }
  const id = localPlayerId ?? transport.localPeerId;
  if (typeof id !== 'string' || id.length === 0) {
    const text = 'createSession: localPlayerId must be a non-empty string';
    throw new RbnError('INVALID_ARGUMENT', text);
  }
  return { game, transport, localPlayerId: id, metadata: checkPlayerMetadata(metadata) };
}
