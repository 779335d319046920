import type { RawData, WebSocket } from 'ws';
import { parseClientMessage } from '../protocol.js';
import type { ClientMessage, ErrorCode } from '@rbn/online';
import { Outbox } from './outbox.js';
import { TokenBucket } from './rate-limiter.js';

/** One WebSocket connection and the peer it acts for. */
export type Conn = {
  ws: WebSocket;
  ip: string;
  room: string;
  peerId: string;
  epoch: number;
  group: string;
  joined: boolean;
  /** Messages delivered before the welcome went out. */
  pending: string[];
  /** Their total length in characters. */
  pendingBytes: number;
  alive: boolean;
  bucket: TokenBucket;
  strikes: number;
  /** Relays shed because this sender was over its share of the backend queue. */
  sheds: number;
  /** What waits unsent on this socket, by sender. */
  outbox: Outbox;
  /** Closed deliberately (leave, superseded, shutdown, cut): no resume grace. */
  ended: boolean;
  closed: boolean;
  /** The drop was handled (grace started or left). */
  dropped: boolean;
};

/**
 * A fresh connection record for a socket that just upgraded.
 * @returns The record, not yet joined.
 */
export function createConn(
  ws: WebSocket,
  ip: string,
  room: string,
  limits: { rate: number; burst: number; maxSendBuffer: number },
  nowMs: number,
): Conn {
  return {
    ws,
    ip,
    room,
    peerId: '',
    epoch: 0,
    group: '',
    joined: false,
    pending: [],
    pendingBytes: 0,
    alive: true,
    bucket: new TokenBucket(limits.rate, limits.burst, nowMs),
    strikes: 0,
    sheds: 0,
    outbox: new Outbox(limits.maxSendBuffer),
    ended: false,
    closed: false,
    dropped: false,
  };
}

/** What to do with one incoming frame. */
export type FrameVerdict =
  | { kind: 'ignore' }
  | { kind: 'error'; code: ErrorCode; message: string }
  /** Rate limited again: counted, not answered (errors go out only now and then). */
  | { kind: 'quiet-reject' }
  | { kind: 'close-abusive' }
  | { kind: 'message'; message: ClientMessage };

/** The byte size of a frame as `ws` hands it over. */
export function frameSize(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

function frameText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return (Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
}

/**
 * Checks one frame of a connection against its rate limit, size cap, framing and state, and
 * parses it. Updates the connection's rate-limit strikes.
 * @returns The verdict: a message to act on, an error to send back, or a close.
 */
export function judgeFrame(
  conn: Pick<Conn, 'ended' | 'bucket' | 'strikes' | 'joined'>,
  data: RawData,
  isBinary: boolean,
  nowMs: number,
  limits: { rate: number; maxStrikes: number; maxMessageBytes: number },
): FrameVerdict {
  // Left, superseded or refused: the socket is closing and no longer acts for the peer.
  if (conn.ended) return { kind: 'ignore' };
  if (!conn.bucket.take(nowMs)) {
    conn.strikes += 1;
    if (conn.strikes > limits.maxStrikes) return { kind: 'close-abusive' };
    if (conn.strikes === 1 || conn.strikes % 50 === 0) {
      return {
        kind: 'error',
        code: 'rate-limited',
        message: `more than ${limits.rate} messages per second`,
      };
    }
    return { kind: 'quiet-reject' };
  }
  conn.strikes = 0;
  const size = frameSize(data);
  if (size > limits.maxMessageBytes) {
    const message = `message of ${size} bytes exceeds ${limits.maxMessageBytes}`;
    return { kind: 'error', code: 'too-large', message };
  }
  if (isBinary) {
    const message = 'binary frames are not supported; send JSON text';
    return { kind: 'error', code: 'malformed', message };
  }
  if (!conn.joined) {
    return {
      kind: 'error',
      code: 'not-ready',
      message: 'wait for the welcome message before sending',
    };
  }
  const parsed = parseClientMessage(frameText(data));
  if (!parsed.ok) return { kind: 'error', code: parsed.code, message: parsed.message };
  return { kind: 'message', message: parsed.message };
}
