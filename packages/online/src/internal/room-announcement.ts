import type { JsonValue } from '../protocol';

/**
 * What the host of a signaling group sends each member through the server's relay: the id of
 * the session room it created. Joiners accept it only from the peer the server names as the
 * group's host, so no other member can send them into a room of its own.
 */
export type RoomAnnouncement = { rbn: 'room'; roomId: string };

/** Longest room id accepted (the session makes 16 hex characters). */
const MAX_ROOM_ID_LENGTH = 128;

/**
 * The announcement for `roomId`.
 * @param roomId - The host's session room id.
 * @returns A JSON value to relay.
 */
export function roomAnnouncement(roomId: string): RoomAnnouncement & JsonValue {
  return { rbn: 'room', roomId };
}

/**
 * Reads a relayed signal as a room announcement.
 * @param value - A signal's data, as any peer of the group may have sent it.
 * @returns The room id, or `undefined` when the value is not a well-formed announcement.
 */
export function readRoomAnnouncement(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { rbn, roomId } = value as { rbn?: unknown; roomId?: unknown };
  if (rbn !== 'room' || typeof roomId !== 'string') return undefined;
  if (roomId.length === 0 || roomId.length > MAX_ROOM_ID_LENGTH) return undefined;
  return roomId;
}
