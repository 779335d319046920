import type {
  Backend,
  BackendSink,
  FullGroup,
  JoinRequest,
  JoinResult,
  Membership,
} from './backend.js';
import { isNextGroupOf, newPeerJson, nextGroupId, peerLeftJson, plainGroupId } from './backend.js';

type Group = {
  id: string;
  room: string;
  groupSize: number | null;
  /** Members in join order: the first is the host. */
  members: Set<string>;
  createdAtMs: number;
};

type PeerRecord = { group: Group; epoch: number; attached: boolean };

/** Everything in one process's memory. */
export class MemoryBackend implements Backend {
  #sink: BackendSink | undefined;
  readonly #groups = new Map<string, Group>();
  /** `room\nN` → the group currently filling. */
  readonly #open = new Map<string, Group>();
  /** `room\nN` → the group that filled last (while it has members). */
  readonly #filled = new Map<string, Group>();
  readonly #peers = new Map<string, PeerRecord>();
  #counter = 0;

  start(sink: BackendSink): Promise<void> {
    this.#sink = sink;
    return Promise.resolve();
  }

  isReady(): boolean {
    return this.#sink !== undefined;
  }

  join(request: JoinRequest): Promise<JoinResult> {
    const { room, groupSize, peerId } = request;
    const found = this.#groupFor(request);
    if ('reason' in found) return Promise.resolve({ ok: false, reason: found.reason });
    const { group, fullGroup } = found;
    const peers = [...group.members];
    group.members.add(peerId);
    this.#peers.set(peerId, { group, epoch: 1, attached: true });
    const host = peers[0] ?? peerId;
    let matchLatencyMs: number | null = null;
    const key = `${room}\n${groupSize}`;
    if (groupSize !== null && this.#open.get(key) === group && group.members.size >= groupSize) {
      this.#open.delete(key);
      this.#filled.set(key, group);
      matchLatencyMs = request.nowMs - group.createdAtMs;
    }
    const json = newPeerJson(peerId, host);
    for (const p of peers) this.#sink?.deliver(p, json);
    return Promise.resolve({
      ok: true,
      room,
      group: group.id,
      groupSize,
      host,
      peers,
      epoch: 1,
      matchLatencyMs,
      fullGroup,
    });
  }

  /** The group a join goes to (and the game in progress it opened a new group beside). */
  #groupFor(
    request: JoinRequest,
  ): { group: Group; fullGroup: FullGroup | null } | { reason: 'room-full' | 'group-gone' } {
    const { room, groupSize, targetGroup } = request;
    if (groupSize === null) {
      const id = plainGroupId(room);
      let group = this.#groups.get(id);
      if (group && group.members.size >= request.maxRoomSize) return { reason: 'room-full' };
      if (!group) {
        group = { id, room, groupSize, members: new Set(), createdAtMs: request.nowMs };
        this.#groups.set(id, group);
      }
      return { group, fullGroup: null };
    }
    if (targetGroup !== null) {
      const group = this.#groups.get(targetGroup);
      if (!group || !isNextGroupOf(targetGroup, room, groupSize)) return { reason: 'group-gone' };
      if (group.members.size >= request.maxRoomSize) return { reason: 'room-full' };
      return { group, fullGroup: null };
    }
    const key = `${room}\n${groupSize}`;
    const open = this.#open.get(key);
    if (open) return { group: open, fullGroup: null };
    const id = nextGroupId(room, groupSize, ++this.#counter);
    const group: Group = { id, room, groupSize, members: new Set(), createdAtMs: request.nowMs };
    this.#groups.set(id, group);
    this.#open.set(key, group);
    const filled = this.#filled.get(key);
    const members = filled ? [...filled.members] : [];
    const fullGroup =
      filled && members[0] !== undefined
        ? { group: filled.id, host: members[0], peers: members }
        : null;
    return { group, fullGroup };
  }

  resume(peerId: string, room: string): Promise<Membership | null> {
    const record = this.#peers.get(peerId);
    if (!record || record.group.room !== room) return Promise.resolve(null);
    const old = record.epoch;
    record.epoch += 1;
    if (record.attached) this.#sink?.kick(peerId, old);
    record.attached = true;
    const members = [...record.group.members];
    return Promise.resolve({
      room: record.group.room,
      group: record.group.id,
      groupSize: record.group.groupSize,
      host: members[0] ?? peerId,
      peers: members.filter((m) => m !== peerId),
      epoch: record.epoch,
    });
  }

  detach(peerId: string, epoch: number): Promise<void> {
    const record = this.#peers.get(peerId);
    if (record && record.epoch === epoch) record.attached = false;
    return Promise.resolve();
  }

  leave(peerId: string, epoch: number, onlyIfDetached: boolean): Promise<void> {
    const record = this.#peers.get(peerId);
    if (!record || record.epoch !== epoch || (onlyIfDetached && record.attached)) {
      return Promise.resolve();
    }
    this.#peers.delete(peerId);
    const group = record.group;
    group.members.delete(peerId);
    if (group.members.size === 0) {
      this.#groups.delete(group.id);
      const key = `${group.room}\n${group.groupSize}`;
      if (this.#open.get(key) === group) this.#open.delete(key);
      if (this.#filled.get(key) === group) this.#filled.delete(key);
      return Promise.resolve();
    }
    const host = group.members.values().next().value ?? peerId;
    const json = peerLeftJson(peerId, host);
    for (const p of group.members) this.#sink?.deliver(p, json);
    return Promise.resolve();
  }

  relay(_from: string, group: string, to: string, json: string): boolean {
    const target = this.#peers.get(to);
    if (!target || target.group.id !== group) return false;
    this.#sink?.deliver(to, json);
    return true;
  }

  resumeSecret(candidate: string): Promise<string> {
    return Promise.resolve(candidate);
  }

  close(): Promise<void> {
    this.#sink = undefined;
    return Promise.resolve();
  }
}
