export type { ConnectionMetrics, TransportAdapter } from './transport';
export { RbnError, DecodeError } from './errors';
export {
  PROTOCOL_VERSION,
  PLAYER_METADATA_VERSION,
  MAX_TICK,
  MAX_ECHO_DELAY_MS,
  MAX_REJOIN_TOKEN_BYTES,
  MessageType,
  WireRole,
  LeaveReason,
  JoinRejectReason,
  isReliableMessageType,
} from './messages';
export type {
  PlayerId,
  Tick,
  WirePlayer,
  InputRun,
  InputAckEntry,
  Message,
  MessageOf,
  InputMessage,
  InputAckMessage,
  HashMessage,
  SyncMessage,
  SyncRequestMessage,
  DesyncStateRequestMessage,
  DesyncStateMessage,
  PauseMessage,
  ResumeMessage,
  LagReportMessage,
  DisconnectReportMessage,
  ResumeCountdownMessage,
  DropPlayerMessage,
  PlayerAwayMessage,
  PlayerBackMessage,
  RejoinMessage,
  MigrationQueryMessage,
  MigrationReportMessage,
  HostMigratedMessage,
  InputDigestMessage,
  JoinRequestMessage,
  JoinAcceptMessage,
  JoinRejectMessage,
  StateSyncMessage,
  PlayerJoinedMessage,
  PlayerLeftMessage,
  PingMessage,
  PongMessage,
} from './messages';
export { DEFAULT_LIMITS } from './limits';
export type { ProtocolLimits } from './limits';
export { encodeMessage } from './encode';
export { decodeMessage, tryDecodeMessage } from './decode';
export type { DecodeResult } from './decode';
export { InputView } from './input-view';
export { InputWriter } from './input-writer';
export { writeInputDelta, readInputDelta } from './input-delta';
export { assertMessageBytes, checkTick, describeValue, sameBytes } from './arguments';
export { ByteWriter } from './byte-writer';
export { ByteReader } from './byte-reader';
