/**
 * The JSON protocol spoken over the reference signaling server's WebSocket (`apps/signaling`).
 * Every frame is one UTF-8 JSON object with a `type`. The server imports these types from here,
 * so the client and the server cannot drift apart.
 */

/** A JSON value: what a signal may carry (an SDP description, an ICE candidate, anything). */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One entry of `RTCConfiguration.iceServers`, as the server hands it out. */
export type IceServer = {
  /** TURN (or STUN) URLs, e.g. `turn:turn.example.com:3478?transport=udp`. */
  urls: string[];
  /** coturn `use-auth-secret` username: `<expiry unix seconds>:<peerId>`. */
  username?: string;
  /** base64 HMAC-SHA1 of the username keyed with the TURN secret. */
  credential?: string;
};

/** Client → server: relay `data` to peer `to` of the same room or group. */
export type SignalRequest = { type: 'signal'; to: string; data: JsonValue };
/** Client → server: leave now (peers get `peer-left` at once; no resume grace window). */
export type LeaveRequest = { type: 'leave' };
/** Client → server: application-level keepalive; the server answers `pong`. */
export type PingRequest = { type: 'ping' };

/** Every message a client may send. */
export type ClientMessage = SignalRequest | LeaveRequest | PingRequest;

/** Server → client, first message after the upgrade: who you are and who is there. */
export type WelcomeMessage = {
  type: 'welcome';
  /** Your server-assigned peer id. */
  id: string;
  /** The room name from the URL path. */
  room: string;
  /** The group id: the room itself, or one `?next=N` group of it. */
  group: string;
  /** `N` of `?next=N`, or `null` in a plain room. */
  groupSize: number | null;
  /** The group's host: its longest-present peer (the first joiner). */
  host: string;
  /** Whether you are the host. */
  isHost: boolean;
  /** The other peers already in the group, oldest first. */
  peers: string[];
  /** Reconnect with `?resume=<this>` within the grace window to keep your id. */
  resumeToken: string;
  /** Whether this connection resumed an earlier id (true) or got a fresh one (false). */
  resumed: boolean;
  /** Ready-to-use `iceServers` with time-limited TURN credentials, when TURN is configured. */
  iceServers: IceServer[];
};

/**
 * Server → client, just before `welcome`: your `?next=N` join opened a new group because the
 * room's last group of N is already full and still has members (a game in progress). You are in
 * the new group (its host, waiting for others); to watch that game or join it late instead,
 * leave and connect again with `?next=N&group=<group>`.
 */
export type GroupFullMessage = {
  type: 'group-full';
  /** The full group's id, for `?group=`. */
  group: string;
  /** `N` of `?next=N`. */
  groupSize: number;
  /** The full group's host. */
  host: string;
  /** Its members, oldest first. */
  peers: string[];
};

/** Server → client: a peer joined your group. */
export type NewPeerMessage = { type: 'new-peer'; id: string; host: string };
/** Server → client: a peer left your group (closed, or its resume grace window ran out). */
export type PeerLeftMessage = { type: 'peer-left'; id: string; host: string };
/** Server → client: a signal from a peer of your group. */
export type SignalMessage = { type: 'signal'; from: string; data: JsonValue };
/** Server → client: the answer to `ping`. */
export type PongMessage = { type: 'pong' };

/** Why the server refused a message or a connection. */
export type ErrorCode =
  | 'too-large'
  | 'malformed'
  | 'unknown-type'
  | 'invalid-message'
  | 'not-in-room'
  | 'rate-limited'
  | 'room-full'
  | 'group-gone'
  | 'not-ready';

/** Server → client: your last message was refused; nothing was relayed. */
export type ErrorMessage = { type: 'error'; code: ErrorCode; message: string };

/** Every message the server may send. */
export type ServerMessage =
  | WelcomeMessage
  | GroupFullMessage
  | NewPeerMessage
  | PeerLeftMessage
  | SignalMessage
  | PongMessage
  | ErrorMessage;

/** WebSocket close codes the server uses. */
export const CloseCode = {
  /** Server shutting down (standard "going away"). */
  GoingAway: 1001,
  /** Abusive client: kept flooding after being rate limited, or sent a frame over the hard cap. */
  PolicyViolation: 1008,
  /** The room is at its size cap. */
  RoomFull: 4001,
  /** This id was resumed by a newer connection. */
  Superseded: 4002,
  /** The client said `leave`. */
  Left: 4000,
  /** `?group=` named a group that has ended (or never was one of this room's `?next=N`). */
  GroupGone: 4003,
} as const;
