import type { JsonValue } from '../protocol';

/**
 * What the host of a signaling group sends each member through the server's relay: the id of
 * the session room and the peer id of the session's host. Joiners accept it only from the peer
 * the server names as the group's host, so no other member can send them into a room of its
 * own. The two hosts differ after a host migration: the group's host (its oldest member) still
 * announces the room, naming the session's new host, whom the joiner then joins.
 */
export type RoomAnnouncement = { rbn: 'room'; roomId: string; host?: string };

/** A room announcement as read: the room, and whom to join (absent: the sender). */
export type ReadAnnouncement = { roomId: string; host: string | undefined };

/** Longest room id accepted (the session makes 16 hex characters). */
const MAX_ROOM_ID_LENGTH = 128;
/** Longest host peer id accepted (the signaling server caps a peer id it relays to at 128). */
const MAX_PEER_ID_LENGTH = 128;

/**
 * The announcement for `roomId`, hosted by `host`.
 * @param roomId - The session room id.
 * @param host - The session host's peer id, when it is not the sender.
 * @returns A JSON value to relay.
 */
export function roomAnnouncement(roomId: string, host?: string): RoomAnnouncement & JsonValue {
  return host === undefined ? { rbn: 'room', roomId } : { rbn: 'room', roomId, host };
}

function boundedString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

/**
 * Reads a relayed signal as a room announcement.
 * @param value - A signal's data, as any peer of the group may have sent it.
 * @returns The room id and host, or `undefined` when the value is not a well-formed announcement.
 */
export function readRoomAnnouncement(value: unknown): ReadAnnouncement | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { rbn, roomId, host } = value as { rbn?: unknown; roomId?: unknown; host?: unknown };
  if (rbn !== 'room' || !boundedString(roomId, MAX_ROOM_ID_LENGTH)) return undefined;
  if (host !== undefined && !boundedString(host, MAX_PEER_ID_LENGTH)) return undefined;
  return { roomId, host };
}
