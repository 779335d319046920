export { createSession, Session } from './session';
export type { CreateSessionOptions, Clock } from './session';
export { SessionState, Topology, DesyncAuthority, PlayerRole } from './types';
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
export { DEFAULT_SESSION_CONFIG, MAX_PLAYERS_LIMIT, resolveSessionConfig } from './config';
