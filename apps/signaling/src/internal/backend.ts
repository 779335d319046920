/**
 * The one internal interface behind which rooms, groups and signal routing live: in memory for
 * a single process, or in Redis so several processes share them. Messages for peers travel as
 * ready-to-send JSON text so the Redis path never re-encodes them.
 */

/** Where a backend hands messages for peers attached to this server. */
export interface BackendSink {
  /** Deliver `json` to local peer `peerId` (if it is still attached here). */
  deliver(peerId: string, json: string): void;
  /** A newer connection (epoch `epoch` was replaced) took `peerId` over: drop the old socket. */
  kick(peerId: string, epoch: number): void;
  /**
   * The shared backend presumed this server crashed (its heartbeat expired while it was alive)
   * and removed every peer it held: its sockets no longer stand for anyone.
   */
  forgotten(): void;
}

/** A join request: a fresh peer entering a room (plain) or a `?next=N` group of it. */
export type JoinRequest = {
  room: string;
  /** `N` of `?next=N`, or `null` for a plain room. */
  groupSize: number | null;
  peerId: string;
  /**
   * With `groupSize`: join this existing `?next=N` group of the room (late, beyond N) instead of
   * the one filling; `null` for ordinary matchmaking.
   */
  targetGroup: string | null;
  /** Plain rooms refuse joiners beyond this many members. */
  maxRoomSize: number;
  nowMs: number;
};

/** Where a peer sits. */
export type Membership = {
  room: string;
  group: string;
  groupSize: number | null;
  host: string;
  /** The other members, oldest first. */
  peers: string[];
  /** Connection epoch: bumped on every resume, so stale sockets cannot act for the peer. */
  epoch: number;
};

/** A `?next=N` group that is full and still has members: a game in progress. */
export type FullGroup = { group: string; host: string; peers: string[] };

/** The outcome of a join. */
export type JoinResult =
  | (Membership & {
      ok: true;
      /** Set when this join filled a `?next=N` group: ms since the group's first join. */
      matchLatencyMs: number | null;
      /**
       * Set when this join opened a new `?next=N` group while the room's last filled group of N
       * still has members (the joiner may rather watch that game or join it late).
       */
      fullGroup: FullGroup | null;
    })
  | { ok: false; reason: 'room-full' | 'group-gone' };

/** Rooms, groups and routing. */
export interface Backend {
  /** Connects (if needed) and starts delivering to `sink`. */
  start(sink: BackendSink): Promise<void>;
  /** Whether the backend can serve (its Redis connections are up). */
  isReady(): boolean;
  /** Adds a fresh peer; existing members get `new-peer`. */
  join(request: JoinRequest): Promise<JoinResult>;
  /**
   * Takes an existing peer of `room` over for this server (bumping its epoch); `null`, with no
   * effect at all, if it is gone or belongs to another room.
   */
  resume(peerId: string, room: string): Promise<Membership | null>;
  /** The peer's socket dropped: keep it in its group, but mark it disconnected. */
  detach(peerId: string, epoch: number): Promise<void>;
  /**
   * Removes the peer (remaining members get `peer-left`) if its epoch still matches, and, with
   * `onlyIfDetached`, only if no connection resumed it meanwhile.
   */
  leave(peerId: string, epoch: number, onlyIfDetached: boolean): Promise<void>;
  /**
   * Relays `json` from `from` (in `group`) to `to`; false if `to` is not in that group. The
   * in-memory backend answers synchronously (no promise per signal on the hot path).
   */
  relay(from: string, group: string, to: string, json: string): boolean | Promise<boolean>;
  /** The resume-token secret every server of the cluster uses (`candidate` if it is the first). */
  resumeSecret(candidate: string): Promise<string>;
  /** Stops delivering and disconnects. */
  close(): Promise<void>;
}

/** The group id of a plain room. */
export function plainGroupId(room: string): string {
  return `r:${room}`;
}

/** The group id of the `k`th `?next=N` group of a room. */
export function nextGroupId(room: string, groupSize: number, k: number): string {
  return `n:${room}:${groupSize}:${k}`;
}

/** Whether `group` is a `?next=N` group id of `room` (what `?group=` may name). */
export function isNextGroupOf(group: string, room: string, groupSize: number): boolean {
  const prefix = `n:${room}:${groupSize}:`;
  return group.startsWith(prefix) && /^\d+$/.test(group.slice(prefix.length));
}

/** JSON of the `new-peer` event. */
export function newPeerJson(id: string, host: string): string {
  return JSON.stringify({ type: 'new-peer', id, host });
}

/** JSON of the `peer-left` event. */
export function peerLeftJson(id: string, host: string): string {
  return JSON.stringify({ type: 'peer-left', id, host });
}
