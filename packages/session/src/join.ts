import type { RollbackEngine } from '@rbn/core';
import { JoinRejectReason, PROTOCOL_VERSION } from '@rbn/protocol';
import type { JoinRequestMessage, PlayerId, Tick } from '@rbn/protocol';
import { SLOT_COUNT } from './internal/link';
import { PlayerRole, SessionState } from './types';

/** Ticks between the host's newest input and a late joiner's first counted tick. */
export const JOIN_MARGIN_TICKS = 4;

/** Everything {@link decideAdmission} decides from. */
export type AdmissionInput = {
  readonly request: JoinRequestMessage;
  readonly role: PlayerRole;
  readonly isHost: boolean;
  /** Whether the requesting peer is within its join rate limit. */
  readonly withinRateLimit: boolean;
  /** When it is not, how long until it may ask again (ms). */
  readonly retryAfterMs: number;
  readonly roomId: string | null;
  readonly state: SessionState;
  /** Whether the peer or the player id is in the room already. */
  readonly duplicate: boolean;
  readonly players: number;
  readonly spectators: number;
  readonly maxPlayers: number;
  readonly maxSpectators: number;
  /** The slot the joiner would get, or -1 when every slot was used in this game. */
  readonly freeSlot: number;
};

/** The host's answer to a join request. */
export type Admission =
  | { readonly admit: true; readonly slot: number }
  | {
      readonly admit: false;
      readonly reason: JoinRejectReason;
      readonly text: string;
      /** Every join slot of this game is used: the host hears of it too. */
      readonly slotsExhausted?: true;
    };

function refuse(reason: JoinRejectReason, text: string): Admission {
  return { admit: false, reason, text };
}

/**
 * Whether the host admits a join request, in the order the checks are made: hosting, rate
 * limit, protocol version, room id, room state, duplicates, capacity, free slot.
 * @param input - The request and the room.
 * @returns Admit (with the slot) or refuse (with the reason told to the joiner).
 */
export function decideAdmission(input: AdmissionInput): Admission {
  const { request } = input;
  if (!input.isHost) return refuse(JoinRejectReason.NotAccepting, 'this peer does not host a room');
  if (!input.withinRateLimit) {
    const wait = Math.ceil(input.retryAfterMs);
    return refuse(JoinRejectReason.RateLimited, `too many join requests; try again in ${wait} ms`);
  }
  if (request.protocolVersion !== PROTOCOL_VERSION) {
    return refuse(
      JoinRejectReason.VersionMismatch,
      `protocol version ${request.protocolVersion} is not supported; the host speaks version ${PROTOCOL_VERSION}`,
    );
  }
  if (request.roomId !== input.roomId) {
    return refuse(JoinRejectReason.WrongRoom, `no room '${request.roomId}' here`);
  }
  if (
    input.state !== SessionState.Lobby &&
    input.state !== SessionState.Playing &&
    input.state !== SessionState.Paused
  ) {
    return refuse(JoinRejectReason.NotAccepting, 'the room is closing');
  }
  if (input.duplicate) {
    return refuse(
      JoinRejectReason.DuplicatePlayer,
      `player '${request.playerId}' is already in the room`,
    );
  }
  if (input.role === PlayerRole.Player && input.players >= input.maxPlayers) {
    return refuse(JoinRejectReason.RoomFull, `the room is full (${input.maxPlayers} players)`);
  }
  if (input.role === PlayerRole.Spectator && input.spectators >= input.maxSpectators) {
    return refuse(
      JoinRejectReason.RoomFull,
      `the room is full (${input.maxSpectators} spectators)`,
    );
  }
  if (input.freeSlot < 0) {
    // Slots of members who left a game in progress are not reused (their inputs and leave
    // tick stay addressable by slot until the game ends), so a game admits at most 255 joins.
    return {
      admit: false,
      reason: JoinRejectReason.RoomFull,
      text: `this game has used all ${SLOT_COUNT - 1} join slots (slots of members who left are not reused while a game runs); the host must start a new room`,
      slotsExhausted: true,
    };
  }
  return { admit: true, slot: input.freeSlot };
}

/**
 * The tick a late joiner's inputs count from: one no peer can have confirmed yet (after the
 * host's newest input, plus a margin for reordering), so everyone adds the player at that same
 * tick without a visible correction.
 */
export function lateJoinTick(engine: RollbackEngine): Tick {
  return Math.max(engine.lastLocalInputTick, engine.currentTick - 1) + 1 + JOIN_MARGIN_TICKS;
}

/**
 * Adds a late joining player to the running engine.
 * @returns An error text when the engine still holds a departing player of that id.
 */
export function addLatePlayer(
  engine: RollbackEngine,
  playerId: PlayerId,
  joinTick: Tick,
): string | null {
  try {
    engine.addPlayer(playerId, joinTick);
    return null;
  } catch (error) {
    return `player '${playerId}' is still leaving; try again shortly (${String(error)})`;
  }
}

/** Mesh rooms with more players than this get a warning. */
export const MESH_RECOMMENDED_PLAYERS = 4;
