export { createSignalingServer } from './server.js';
export { ROOM_NAME_PATTERN } from './internal/http.js';
export type { SignalingServer, SignalingServerOptions } from './options.js';
export { readConfig } from './config.js';
export { createTurnCredentials } from './turn.js';
export type { TurnOptions } from './turn.js';
export { createRoomToken, verifyToken } from './tokens.js';
export type { AuthOptions } from './tokens.js';
export { CloseCode, parseClientMessage } from './protocol.js';
export type {
  ClientMessage,
  ErrorCode,
  ErrorMessage,
  IceServer,
  JsonValue,
  LeaveRequest,
  NewPeerMessage,
  ParseResult,
  PeerLeftMessage,
  PingRequest,
  PongMessage,
  ServerMessage,
  SignalMessage,
  SignalRequest,
  WelcomeMessage,
} from './protocol.js';
export { SignalingClient, SignalingError, connectTransport } from './client.js';
export type {
  SignalingClientEvents,
  SignalingClientOptions,
  SignalingTransport,
  WebSocketConstructor,
  WebSocketLike,
} from './client.js';
