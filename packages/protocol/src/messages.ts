/** A player's id: any string (often the transport peer id). Compared with `===`. */
export type PlayerId = string;

/**
 * A simulation tick: a non-negative integer below 2^31. Tick `t`'s inputs advance the game from
 * state `t` to state `t + 1`.
 */
export type Tick = number;

/**
 * The largest tick the wire format carries: 2^31 − 1 (over a year of play at 60 ticks per
 * second). A tick is an integer from 0 to `MAX_TICK`; the codec rejects anything else. A library
 * that needs a sentinel above every real tick can reserve `MAX_TICK` itself and accept ticks up to
 * `MAX_TICK - 1`.
 */
export const MAX_TICK: Tick = 0x7fffffff;

/** The longest an `Input`/`InputAck` echo may say it was held: a minute, in milliseconds. */
export const MAX_ECHO_DELAY_MS = 60_000;

/**
 * The version of the wire protocol. A `JoinRequest` carries it; a host rejects a joiner whose
 * version differs with `JoinRejectReason.VersionMismatch`. Version 2 added player metadata
 * (`JoinRequestMessage.metadata`, `WirePlayer.metadata`) and the `PlayerAway`, `PlayerBack`,
 * `Rejoin` and host-migration (`MigrationQuery`, `MigrationReport`, `HostMigrated`) messages;
 * a version-1 `JoinRequest` still decodes (without metadata), so an older joiner gets that
 * clear refusal rather than a decode error.
 */
export const PROTOCOL_VERSION = 2;

/**
 * The first protocol version whose `JoinRequest` carries player metadata. The codec reads and
 * writes `JoinRequestMessage.metadata` only when `protocolVersion` is at least this.
 */
export const PLAYER_METADATA_VERSION = 2;

/** The first byte of every message. The values are fixed by docs/architecture.md. */
export enum MessageType {
  Input = 0x01,
  InputAck = 0x02,
  Hash = 0x10,
  Sync = 0x11,
  SyncRequest = 0x12,
  DesyncStateRequest = 0x13,
  DesyncState = 0x14,
  Pause = 0x20,
  Resume = 0x21,
  LagReport = 0x22,
  DisconnectReport = 0x23,
  ResumeCountdown = 0x24,
  DropPlayer = 0x25,
  PlayerAway = 0x26,
  PlayerBack = 0x27,
  Rejoin = 0x28,
  MigrationQuery = 0x29,
  MigrationReport = 0x2a,
  HostMigrated = 0x2b,
  InputDigest = 0x2c,
  JoinRequest = 0x30,
  JoinAccept = 0x31,
  JoinReject = 0x32,
  StateSync = 0x33,
  PlayerJoined = 0x34,
  PlayerLeft = 0x35,
  Ping = 0x40,
  Pong = 0x41,
}

/** Whether a room member plays or only watches. Encoded as one byte. */
export enum WireRole {
  Player = 0,
  Spectator = 1,
}

/** Why a player left. Encoded as one byte. */
export enum LeaveReason {
  Left = 0,
  Dropped = 1,
  Disconnected = 2,
  Kicked = 3,
}

/** Why a host refused a join. Encoded as one byte. */
export enum JoinRejectReason {
  RoomFull = 0,
  WrongRoom = 1,
  VersionMismatch = 2,
  RateLimited = 3,
  NotAccepting = 4,
  DuplicatePlayer = 5,
  Other = 6,
}

/**
 * A room member as the wire describes it. `slot` is a small number (0–255) the host assigns on
 * join and that every message about the member uses instead of its string id, so hot messages
 * stay small.
 */
export type WirePlayer = {
  /** The member's slot within the room (0–255), assigned by the host. */
  slot: number;
  /** The member's player id. */
  playerId: PlayerId;
  /** The transport peer id to reach the member at (mesh connects to it). */
  peerId: string;
  /** Player or spectator. */
  role: WireRole;
  /** The first tick whose inputs count for this member. */
  joinTick: Tick;
  /** The first tick whose inputs no longer count, or `-1` while the member is in the room. */
  leaveTick: Tick;
  /**
   * The member's application metadata (a name, a colour…) as it sent it in its `JoinRequest`,
   * at most `maxPlayerMetadataBytes`; empty for none. The protocol never looks inside it.
   */
  metadata: Uint8Array;
};

/** A run of consecutive inputs of one player, starting at `startTick`. */
export type InputRun = {
  /** The player's slot. */
  slot: number;
  /** The tick of `inputs[0]`; `inputs[i]` belongs to `startTick + i`. */
  startTick: Tick;
  /** The inputs, one per tick. Each may have any length up to the input size limit. */
  inputs: Uint8Array[];
};

/**
 * The receiver of a message tells the sender how far it has received a player's inputs:
 * every input of `slot` up to and including `tick` has arrived (`-1`: none yet).
 */
export type InputAckEntry = {
  /** The player's slot. */
  slot: number;
  /** The highest tick up to which every input of this player has been received. */
  tick: Tick;
};

/**
 * Inputs (unreliable). Carries every input the sender has not yet seen acknowledged, for one or
 * more players (a star host relays several players' inputs in one message), plus the sender's
 * own acknowledgements of what it has received over this link, so no separate ack is needed.
 * Consecutive inputs of a run are delta-encoded on the wire.
 */
export type InputMessage = {
  type: MessageType.Input;
  /** The sender's current tick (for frame-advantage estimation). */
  senderTick: Tick;
  acks: InputAckEntry[];
  runs: InputRun[];
  /**
   * The sender's count of `Input`/`InputAck` messages on this link, modulo 256 (a trailing
   * byte, absent when omitted): a gap tells the receiver a packet was lost.
   */
  seq?: number;
  /**
   * An echo, for the receiver's round-trip time (only with `seq`; absent when omitted): the
   * newest `seq` the sender received from the receiver on this link. Replaces pings while
   * inputs flow.
   */
  echoSeq?: number;
  /**
   * With `echoSeq`: how long the sender held that message before this one went out, in whole
   * milliseconds (0 to {@link MAX_ECHO_DELAY_MS}); the receiver subtracts it from the time
   * since it sent `echoSeq`.
   */
  echoDelay?: number;
};

/** A bare acknowledgement / keepalive (unreliable), sent only when there are no inputs to send. */
export type InputAckMessage = {
  type: MessageType.InputAck;
  senderTick: Tick;
  acks: InputAckEntry[];
  /** As {@link InputMessage.seq}. */
  seq?: number;
  /** As {@link InputMessage.echoSeq}. */
  echoSeq?: number;
  /** As {@link InputMessage.echoDelay}. */
  echoDelay?: number;
};

/** The hash of the sender's confirmed state at `tick` (reliable). */
export type HashMessage = {
  type: MessageType.Hash;
  tick: Tick;
  /** An unsigned 32-bit hash. */
  hash: number;
};

/** An authoritative state for desync recovery (reliable). */
export type SyncMessage = {
  type: MessageType.Sync;
  tick: Tick;
  /** The unsigned 32-bit hash of `state`, as the sender's game computed it. */
  hash: number;
  state: Uint8Array;
  /** The room's members as the sender knows them at `tick`. */
  players: WirePlayer[];
};

/** Asks the receiver for its state (reliable); `tick` is the confirmed tick the requester saw fail. */
export type SyncRequestMessage = {
  type: MessageType.SyncRequest;
  tick: Tick;
};

/**
 * Asks the receiver for its confirmed state of `tick`, a tick whose hashes differed, for a desync
 * report (reliable). The receiver answers with {@link DesyncStateMessage} chunks, or not at all.
 */
export type DesyncStateRequestMessage = {
  type: MessageType.DesyncStateRequest;
  tick: Tick;
};

/**
 * One chunk of the sender's confirmed state of `tick`, answering a
 * {@link DesyncStateRequestMessage} (reliable, chunks in order): bytes `offset` to
 * `offset + chunk.length` of a state of `totalBytes` bytes. The decoder checks that the chunk
 * lies within `totalBytes` and that `totalBytes` is within `maxStateBytes`.
 */
export type DesyncStateMessage = {
  type: MessageType.DesyncState;
  tick: Tick;
  /** The whole state's length in bytes. */
  totalBytes: number;
  /** Where this chunk starts in the state. */
  offset: number;
  chunk: Uint8Array;
};

/** The host pauses the game at `tick` (reliable). */
export type PauseMessage = { type: MessageType.Pause; tick: Tick };
/** The host resumes the game; play continues from `tick` (reliable). */
export type ResumeMessage = { type: MessageType.Resume; tick: Tick };
/** A player is `ticksBehind` ticks behind the sender (reliable). */
export type LagReportMessage = { type: MessageType.LagReport; slot: number; ticksBehind: number };
/** The sender lost contact with a member; it is disconnected from `tick` (reliable). */
export type DisconnectReportMessage = {
  type: MessageType.DisconnectReport;
  slot: number;
  tick: Tick;
};
/** Seconds left before a paused game resumes (reliable). */
export type ResumeCountdownMessage = { type: MessageType.ResumeCountdown; seconds: number };
/** The host drops a member from `tick`, with optional application metadata (reliable). */
export type DropPlayerMessage = {
  type: MessageType.DropPlayer;
  slot: number;
  tick: Tick;
  metadata: Uint8Array | null;
};

/**
 * A member is away (reliable). From the host to everyone: the member in `slot` is away from
 * `tick` on, and its input for every tick from `tick` until it is back is `input` (empty for
 * neutral, or its last input). From a member to the host: "I am going away" (`tick` and
 * `input` unused, sent as 0 and empty); the host chooses the tick.
 */
export type PlayerAwayMessage = {
  type: MessageType.PlayerAway;
  slot: number;
  tick: Tick;
  input: Uint8Array;
};

/**
 * A member is back (reliable). From the host: the member in `slot` plays its own inputs again
 * from `tick` on. The returning member also gets the state it catches up from (`state` at
 * `stateTick`, hashing to `hash`); everyone else gets an empty state. From a member to the
 * host: "I am back, let me in" (the other fields unused: 0 and empty).
 */
export type PlayerBackMessage = {
  type: MessageType.PlayerBack;
  slot: number;
  tick: Tick;
  stateTick: Tick;
  hash: number;
  state: Uint8Array;
};

/** The most bytes a rejoin token may have on the wire. */
export const MAX_REJOIN_TOKEN_BYTES = 64;

/**
 * Rejoin (reliable). From the host to a player: the secret that proves it is the player of
 * `slot` when it reconnects (kept by the player, never shown to others). From a player that
 * reconnected to the host: "I am the player of `slot`", with that secret.
 */
export type RejoinMessage = {
  type: MessageType.Rejoin;
  slot: number;
  /** At most {@link MAX_REJOIN_TOKEN_BYTES} bytes. */
  token: Uint8Array;
};

/**
 * Host migration, step 1 (reliable). From the successor (the lowest present player slot that
 * is not away, once the host in `hostSlot` is gone from its view) to every other member: "tell
 * me what you hold". `acks`: the successor's newest received tick per counted slot (-1: none).
 */
export type MigrationQueryMessage = {
  type: MessageType.MigrationQuery;
  hostSlot: number;
  acks: InputAckEntry[];
};

/**
 * Host migration, step 2 (reliable). From a member to the successor: its newest received tick
 * per counted slot (`acks`), and the inputs it holds beyond the successor's of the slots nobody
 * can send again (the old host, departed and away players) as `runs`. With `hostPresent` the
 * member still reaches the host (`acks` and `runs` empty): the successor must not take over yet.
 */
export type MigrationReportMessage = {
  type: MessageType.MigrationReport;
  hostSlot: number;
  hostPresent: boolean;
  acks: InputAckEntry[];
  runs: InputRun[];
};

/**
 * Host migration, step 3 (reliable). From the successor to every member: the player in
 * `newHostSlot` hosts the room; the old host's inputs count up to `leaveTick - 1` (and stop
 * from it). `runs`: the inputs of the slots nobody can send again, from the lowest tick a member
 * lacked; `acks`: the new host's newest received tick per counted slot.
 */
export type HostMigratedMessage = {
  type: MessageType.HostMigrated;
  hostSlot: number;
  newHostSlot: number;
  leaveTick: Tick;
  acks: InputAckEntry[];
  runs: InputRun[];
};

/**
 * A mesh player tells the host what it confirmed of a player's inputs (reliable): `digest` is a
 * 32-bit digest of that player's inputs for the `hashInterval` ticks from `tick`, as the sender
 * received them. The host compares it with its own copy to catch a player that sends different
 * inputs to different peers.
 */
export type InputDigestMessage = {
  type: MessageType.InputDigest;
  slot: number;
  tick: Tick;
  digest: number;
};

/** A peer asks the host to join a room (reliable). */
export type JoinRequestMessage = {
  type: MessageType.JoinRequest;
  protocolVersion: number;
  roomId: string;
  playerId: PlayerId;
  role: WireRole;
  /**
   * The joiner's application metadata, at most `maxPlayerMetadataBytes`; empty for none. On the
   * wire only from {@link PLAYER_METADATA_VERSION}: with an older `protocolVersion` it must be
   * empty and is not encoded.
   */
  metadata: Uint8Array;
};

/**
 * The host accepts a join (reliable): the joiner's slot, everyone in the room, and the room's
 * settings as numbers by name (the session defines the names).
 */
export type JoinAcceptMessage = {
  type: MessageType.JoinAccept;
  roomId: string;
  slot: number;
  players: WirePlayer[];
  config: Record<string, number>;
};

/** The host refuses a join (reliable), with a reason code and a sentence for humans. */
export type JoinRejectMessage = {
  type: MessageType.JoinReject;
  reason: JoinRejectReason;
  message: string;
};

/** The state a late joiner starts from (reliable). */
export type StateSyncMessage = {
  type: MessageType.StateSync;
  tick: Tick;
  hash: number;
  state: Uint8Array;
  players: WirePlayer[];
};

/** A member joins at `player.joinTick` (reliable). */
export type PlayerJoinedMessage = { type: MessageType.PlayerJoined; player: WirePlayer };
/** A member leaves; its inputs stop counting from `tick` (reliable). */
export type PlayerLeftMessage = {
  type: MessageType.PlayerLeft;
  slot: number;
  tick: Tick;
  reason: LeaveReason;
};

/** Latency probe (unreliable). `timestamp` is the sender's clock in ms, wrapped to 32 bits. */
export type PingMessage = { type: MessageType.Ping; timestamp: number; tick: Tick };
/** Answer to a ping: its `timestamp` echoed, and the responder's current tick (unreliable). */
export type PongMessage = { type: MessageType.Pong; timestamp: number; tick: Tick };

/** Every message of the protocol, discriminated by `type`. */
export type Message =
  | InputMessage
  | InputAckMessage
  | HashMessage
  | SyncMessage
  | SyncRequestMessage
  | DesyncStateRequestMessage
  | DesyncStateMessage
  | PauseMessage
  | ResumeMessage
  | LagReportMessage
  | DisconnectReportMessage
  | ResumeCountdownMessage
  | DropPlayerMessage
  | PlayerAwayMessage
  | PlayerBackMessage
  | RejoinMessage
  | MigrationQueryMessage
  | MigrationReportMessage
  | HostMigratedMessage
  | InputDigestMessage
  | JoinRequestMessage
  | JoinAcceptMessage
  | JoinRejectMessage
  | StateSyncMessage
  | PlayerJoinedMessage
  | PlayerLeftMessage
  | PingMessage
  | PongMessage;

/** The message type for a given `MessageType` value. */
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;

/** Whether a message type travels on the reliable channel (everything but inputs, acks and pings). */
export function isReliableMessageType(type: MessageType): boolean {
  return !(
    type === MessageType.Input ||
    type === MessageType.InputAck ||
    type === MessageType.Ping ||
    type === MessageType.Pong
  );
}
