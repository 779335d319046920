import { MessageType, PROTOCOL_VERSION, RbnError } from '@rbn/protocol';
import type { JoinRequestMessage, PlayerId, RejoinMessage } from '@rbn/protocol';
import { rejoinTicketError } from './reconnect';
import type { RejoinTicket } from './reconnect';
import { HOST_SLOT, toWireRole } from './roster';
import type { NewMember } from './roster';
import { PlayerRole, SessionState } from './types';

/**
 * Entering a room: the misuse checks `createRoom`, `joinRoom` and `rejoinRoom` share, the room
 * id a host makes up, and what a joiner sends the host (a fresh session taking its slot back
 * adds its proof, see `reconnect.ts`).
 */

/** A fresh random room id (16 hex digits). */
export function randomRoomId(): string {
  const c = (globalThis as { crypto?: { getRandomValues?(a: Uint8Array): Uint8Array } }).crypto;
  const bytes = new Uint8Array(8);
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  let id = '';
  for (const b of bytes) id += b.toString(16).padStart(2, '0');
  return id;
}

/**
 * Why `createRoom` or `joinRoom` cannot run now, or `null`: the misuse checks both share.
 * @param method - Which of the two is called.
 * @param destroyed - Whether the session was destroyed.
 * @param state - The session's state (both need `Disconnected`).
 * @param role - The local role (a spectator cannot host).
 */
export function roomEntryRefusal(
  method: 'createRoom' | 'joinRoom',
  destroyed: boolean,
  state: SessionState,
  role: PlayerRole,
): RbnError | null {
  if (destroyed) return new RbnError('DESTROYED', 'the session was destroyed');
  if (state !== SessionState.Disconnected) {
    return new RbnError('INVALID_STATE', `${method}: already in a room`);
  }
  if (method === 'createRoom' && role === PlayerRole.Spectator) {
    return new RbnError('INVALID_STATE', 'createRoom: a spectator cannot host a room');
  }
  return null;
}

/**
 * The member `createRoom` seats: the local player as the room's host, in slot 0.
 * @param local - The local player's id and metadata (a host always plays).
 * @param peerId - The local transport's peer id.
 */
export function hostMember(local: JoinerLocal, peerId: string): NewMember {
  const { playerId, metadata } = local;
  return {
    slot: HOST_SLOT,
    playerId,
    peerId,
    role: PlayerRole.Player,
    joinTick: -1,
    leaveTick: -1,
    metadata,
  };
}

/** The local member, as a join request describes it. */
export type JoinerLocal = { playerId: PlayerId; role: PlayerRole; metadata: Uint8Array };

/** What a joiner sends the host: the request and, for a fresh session taking its slot back, the proof. */
export type JoinAsk = {
  readonly request: JoinRequestMessage;
  readonly hostPeerId: string;
  readonly proof?: RejoinMessage;
};

/**
 * Joiner: `joinRoom()`'s request to the host (see {@link joinRequest}).
 * @returns The request and the host, or the error the promise rejects with.
 */
export function joinAsk(
  roomId: string,
  hostPeerId: string,
  localPeerId: string,
  local: JoinerLocal,
): JoinAsk | RbnError {
  const request = joinRequest(roomId, hostPeerId, localPeerId, local);
  return request instanceof RbnError ? request : { request, hostPeerId };
}

/**
 * Joiner: checks `joinRoom()`'s arguments and builds the request.
 * @returns The request, or the error the promise rejects with.
 */
export function joinRequest(
  roomId: unknown,
  hostPeerId: unknown,
  localPeerId: string,
  local: { playerId: PlayerId; role: PlayerRole; metadata: Uint8Array },
): JoinRequestMessage | RbnError {
  if (typeof roomId !== 'string' || typeof hostPeerId !== 'string' || hostPeerId.length === 0) {
    return new RbnError('INVALID_ARGUMENT', 'joinRoom: roomId and hostPeerId must be strings');
  }
  if (hostPeerId === localPeerId) {
    return new RbnError('INVALID_ARGUMENT', 'joinRoom: cannot join yourself');
  }
  return {
    type: MessageType.JoinRequest,
    protocolVersion: PROTOCOL_VERSION,
    roomId,
    playerId: local.playerId,
    role: toWireRole(local.role),
    metadata: local.metadata,
  };
}

/**
 * Joiner: checks `rejoinRoom()`'s ticket and builds the join request and the proof that
 * follows it.
 * @returns Both and the host, or the error the promise rejects with.
 */
export function rejoinRequest(
  ticket: RejoinTicket,
  localPeerId: string,
  local: JoinerLocal,
): JoinAsk | RbnError {
  const bad = rejoinTicketError(ticket);
  if (bad) return bad;
  if (ticket.playerId !== local.playerId) {
    const text = `rejoinRoom: the ticket is player '${ticket.playerId}''s, this session is '${local.playerId}'`;
    return new RbnError('INVALID_ARGUMENT', text);
  }
  const { roomId, hostPeerId, slot, token } = ticket;
  const request = joinRequest(roomId, hostPeerId, localPeerId, local);
  if (request instanceof RbnError) return request;
  return { request, hostPeerId, proof: { type: MessageType.Rejoin, slot, token: token.slice() } };
}
