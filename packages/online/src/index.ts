export { joinOnline } from './join-online';
export type {
  GroupFull,
  GroupFullChoice,
  JoinOnlineOptions,
  PageEventTarget,
  VisibilitySource,
} from './join-online';
export type { RejoinStorage } from './rejoin-storage';
export { SignalingClient, SignalingError, connectTransport } from './signaling-client';
export type {
  SignalingClientEvents,
  SignalingClientOptions,
  SignalingClientState,
  SignalingTransport,
  WebSocketConstructor,
  WebSocketLike,
} from './signaling-client';
export { CloseCode } from './protocol';
export type {
  ClientMessage,
  ErrorCode,
  ErrorMessage,
  GroupFullMessage,
  IceServer,
  JsonValue,
  LeaveRequest,
  NewPeerMessage,
  PeerLeftMessage,
  PingRequest,
  PongMessage,
  ServerMessage,
  SignalMessage,
  SignalRequest,
  WelcomeMessage,
} from './protocol';
