/**
 * The JSON protocol spoken over the signaling WebSocket. Every frame is one UTF-8 JSON object
 * with a `type`. This file has no runtime dependencies so the browser client can share it.
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
  | 'not-ready';

/** Server → client: your last message was refused; nothing was relayed. */
export type ErrorMessage = { type: 'error'; code: ErrorCode; message: string };

/** Every message the server may send. */
export type ServerMessage =
  WelcomeMessage | NewPeerMessage | PeerLeftMessage | SignalMessage | PongMessage | ErrorMessage;

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
} as const;

/**
 * Deepest nesting of arrays and objects a signal's `data` may have. Real signals (an SDP
 * description, an ICE candidate) nest two levels; the cap stops "JSON bombs" (tens of thousands
 * of nested arrays within the size cap) that would overflow the stack when re-encoded.
 */
export const MAX_SIGNAL_DEPTH = 32;

/** Whether a parsed JSON value nests arrays/objects deeper than `max` (iterative: never recurses). */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [current, depth] = item;
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Result of {@link parseClientMessage}. */
export type ParseResult =
  { ok: true; message: ClientMessage } | { ok: false; code: ErrorCode; message: string };

/**
 * Parses and validates one text frame from a client. Never throws.
 * @param text - The frame's text.
 * @returns The message, or the error code and a sentence to send back.
 */
export function parseClientMessage(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: 'malformed', message: 'message is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'malformed', message: 'message must be a JSON object' };
  }
  const record = value as Record<string, unknown>;
  switch (record['type']) {
    case 'signal': {
      const to = record['to'];
      if (typeof to !== 'string' || to.length === 0 || to.length > 128) {
        return { ok: false, code: 'invalid-message', message: 'signal needs a string "to"' };
      }
      if (!('data' in record)) {
        return { ok: false, code: 'invalid-message', message: 'signal needs "data"' };
      }
      if (nestedDeeperThan(record['data'], MAX_SIGNAL_DEPTH)) {
        return {
          ok: false,
          code: 'invalid-message',
          message: `signal data is nested deeper than ${MAX_SIGNAL_DEPTH} levels`,
        };
      }
      return { ok: true, message: { type: 'signal', to, data: record['data'] as JsonValue } };
    }
    case 'leave':
      return { ok: true, message: { type: 'leave' } };
    case 'ping':
      return { ok: true, message: { type: 'ping' } };
    default:
      return {
        ok: false,
        code: 'unknown-type',
        message: `unknown message type ${JSON.stringify(record['type'] ?? null).slice(0, 40)}`,
      };
  }
}
