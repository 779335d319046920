import { MessageType } from '@rbn/protocol';
import type { Message, StateSyncMessage } from '@rbn/protocol';
import type { DesyncRecovery } from './desync';
import type { Emitter } from './internal/emitter';
import type { Link } from './internal/link';
import type { Reporter } from './internal/reporter';
import { onJoinAccept, onJoinReject, onPlayerJoined } from './join';
import type { Admissions, JoinAcceptOutcome, JoinerDeps, RoomStatus } from './join';
import type { Departures } from './leave';
import type { Liveness } from './liveness';
import type { Pausing } from './pause';
import type { Recording } from './recording';
import type { JoinerLocal } from './room-entry';
import type { Survival } from './survival';
import type { SessionState } from './types';

/**
 * Where {@link dispatch} sends each message: the session's concepts, the room as it is when the
 * message arrives, and the session's own reactions to their outcomes (state transitions, the
 * room's end, a join's completion). The session builds it once.
 */
export type Receivers = {
  readonly liveness: Liveness;
  readonly desync: DesyncRecovery;
  readonly pausing: Pausing;
  readonly departures: Departures;
  readonly survival: Survival;
  readonly admissions: Admissions;
  readonly joiner: JoinerDeps;
  readonly recording: Recording;
  readonly emitter: Emitter;
  readonly report: Reporter;
  /** The local member as a joiner: its ids, role and metadata. */
  readonly local: () => JoinerLocal & { peerId: string };
  /** The room now: its id, the session's state, the engine and the config. */
  readonly room: () => RoomStatus;
  readonly setState: (next: SessionState) => void;
  /** Ends the room for the local session when a departure handler says so (`why` not null). */
  readonly endRoomIf: (why: string | null) => void;
  readonly failJoin: (error: Error) => void;
  readonly joinAccepted: (outcome: JoinAcceptOutcome) => void;
  readonly stateSync: (peerId: string, message: StateSyncMessage) => void;
  /** Applies the room's link plan after a member was seated. */
  readonly relink: () => void;
};

/**
 * Hands one decoded message to the concept that owns its type: one line per message type.
 * Inputs and input acks never get here (`InputExchange.receiveBytes` takes them first).
 * @param r - The session's receivers.
 * @param peerId - The sender.
 * @param message - The decoded message.
 * @param link - The link to the sender, if any.
 * @param now - The session clock's time.
 */
export function dispatch(
  r: Receivers,
  peerId: string,
  message: Message,
  link: Link | undefined,
  now: number,
): void {
  const { engine, cfg, state } = r.room();
  switch (message.type) {
    case MessageType.Input:
    case MessageType.InputAck:
      return; // InputExchange.receiveBytes took them
    case MessageType.Ping:
      return r.liveness.onPing(link, peerId, message.timestamp, engine, now);
    case MessageType.Pong:
      return r.liveness.onPong(link, message, engine, cfg, now);
    case MessageType.Hash: // desync detection, recovery and reports: desync.ts
    case MessageType.InputDigest:
    case MessageType.Sync:
    case MessageType.SyncRequest:
    case MessageType.DesyncStateRequest:
    case MessageType.DesyncState:
      return r.desync.receive(peerId, message, engine, cfg, now);
    case MessageType.Pause:
    case MessageType.Resume:
    case MessageType.ResumeCountdown: {
      const next = r.pausing.onMessage(peerId, message, state);
      return next === null ? undefined : r.setState(next);
    }
    case MessageType.LagReport:
      return r.liveness.onLagReport(peerId, message, engine, now);
    case MessageType.DisconnectReport:
      return r.departures.onDisconnectReport(peerId, message.slot, engine, cfg, now);
    case MessageType.DropPlayer:
      return r.endRoomIf(r.departures.onDropPlayer(peerId, message, engine, cfg));
    case MessageType.PlayerAway: // away and back, reconnect and host migration: survival.ts
    case MessageType.PlayerBack:
    case MessageType.Rejoin:
    case MessageType.MigrationQuery:
    case MessageType.MigrationReport:
    case MessageType.HostMigrated:
      return r.survival.receive(peerId, message, engine, cfg, now);
    case MessageType.JoinRequest:
      // A fresh session of a player (a reloaded page) waits for its proof (reconnect.ts).
      if (r.survival.holdFreshJoin(peerId, message, engine)) return;
      return r.admissions.onJoinRequest(peerId, message, r.room());
    case MessageType.JoinAccept:
      return r.joinAccepted(onJoinAccept(r.joiner, cfg, r.local(), peerId, message));
    case MessageType.JoinReject: {
      const error = onJoinReject(r.joiner, peerId, message);
      return error ? r.failJoin(error) : undefined;
    }
    case MessageType.StateSync:
      return r.stateSync(peerId, message);
    case MessageType.PlayerJoined: {
      r.departures.onSlotTaken(peerId, message.player, engine, cfg);
      const seated = onPlayerJoined(r.joiner, peerId, message, engine, r.recording);
      if (seated) r.relink();
      if (seated?.announce) r.emitter.emit('playerJoined', seated.member.info);
      return;
    }
    case MessageType.PlayerLeft:
      return r.endRoomIf(r.survival.onPlayerLeft(peerId, message, engine, cfg, now));
    default: {
      const unknown: never = message;
      r.report.peer(peerId, undefined, `unexpected message ${String(unknown)}`);
    }
  }
}
