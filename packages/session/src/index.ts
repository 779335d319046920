export { createSession, Session } from './session';
export type { CreateSessionOptions, Clock } from './session';
export type { EngineView } from './engine-view';
export type { Game, InputPredictor } from '@rbn/core';
export { SessionState, Topology, DesyncAuthority, PlayerRole, AwayInput } from './types';
export type {
  PlayerInfo,
  SessionConfig,
  SessionEvents,
  SessionEventName,
  ErrorContext,
  ErrorSource,
  TickResult,
  NetworkStats,
} from './types';
export { DEFAULT_DESYNC_REPORT_OPTIONS, DESYNC_CHUNK_BYTES } from './desync-report';
export type { DesyncReport, DesyncReportOptions } from './desync-report';
export { diffStates, MAX_DIFF_ENTRIES } from './desync-diff';
export type { DesyncDiff, ByteRange, PathDifference } from './desync-diff';
export {
  encodeIncident,
  decodeIncident,
  bisectIncident,
  INCIDENT_FORMAT_VERSION,
} from './replay/incident';
export type { Incident, IncidentLimits, BisectResult } from './replay/incident';
export { DEFAULT_SESSION_CONFIG, MAX_PLAYERS_LIMIT, resolveSessionConfig } from './config';
export {
  encodePlayerMetadata,
  decodePlayerMetadata,
  MAX_PLAYER_METADATA_BYTES,
} from './player-metadata';
export type { PlayerMetadata, PlayerMetadataValue } from './player-metadata';
export { REJOIN_TOKEN_BYTES } from './reconnect';
export type { RejoinTicket } from './reconnect';
export { SlidingWindowRateLimiter } from './rate-limiter';
export type { RateLimiterOptions } from './rate-limiter';
export { TimeSync, tickDiff } from './time-sync';
export type { TimeSyncOptions } from './time-sync';
export { createFrameScheduler } from './frame-scheduler';
export type { FrameScheduler, FrameSchedulerOptions } from './frame-scheduler';
export { tickWhileHiddenHost } from './hidden-host';
export type { HiddenPageSource } from './hidden-host';
export {
  ReplayRecorder,
  decodeReplay,
  playReplay,
  REPLAY_FORMAT_VERSION,
  DEFAULT_REPLAY_LIMITS,
} from './replay';
export type {
  Replay,
  ReplayEvent,
  ReplayInputRun,
  ReplayPlayer,
  ReplayLimits,
  ReplayRecorderOptions,
  ReplayFinish,
  ReplayResult,
  PlayReplayOptions,
} from './replay';
