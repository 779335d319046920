import type { Backend, BackendSink, JoinRequest, JoinResult, Membership } from './backend.js';
import { newPeerJson, nextGroupId, peerLeftJson, plainGroupId } from './backend.js';

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
    let group: Group | undefined;
    if (groupSize === null) {
      const id = plainGroupId(room);
      group = this.#groups.get(id);
      if (group && group.members.size >= request.maxRoomSize) {
        return Promise.resolve({ ok: false, reason: 'room-full' });
      }
      if (!group) {
        group = { id, room, groupSize, members: new Set(), createdAtMs: request.nowMs };
        this.#groups.set(id, group);
      }
    } else {
      const key = `${room}\n${groupSize}`;
      group = this.#open.get(key);
      if (!group) {
        const id = nextGroupId(room, groupSize, ++this.#counter);
        group = { id, room, groupSize, members: new Set(), createdAtMs: request.nowMs };
        this.#groups.set(id, group);
        this.#open.set(key, group);
      }
    }
    const peers = [...group.members];
    group.members.add(peerId);
    this.#peers.set(peerId, { group, epoch: 1, attached: true });
    const host = peers[0] ?? peerId;
    let matchLatencyMs: number | null = null;
    if (groupSize !== null && group.members.size >= groupSize) {
      this.#open.delete(`${room}\n${groupSize}`);
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
    });
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
