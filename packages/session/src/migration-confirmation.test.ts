// A confirmed state stays final across a host migration: whatever members freeze, step away or
// answer the successor late, and however the host goes (goodbye, link closed, silent), every
// state a peer confirmed hashes the same on every peer that confirmed it, a late joiner too.
import { MessageType, decodeMessage } from '@rbn/protocol';
import { LocalTransport, createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { Harness, settle } from './testing/harness';
import type { Peer } from './testing/harness';
import { seededRandom } from './testing/random';
import { scheduledInput } from './testing/test-game';
import { SessionState, Topology } from './types';

const TIMEOUT_MS = 1000;

/**
 * The fewest states a run must check against another peer's (each peer and tick once), so no
 * run passes by checking nothing. Some runs have little to check: everyone but the new host
 * steps away and stays away. (Counting a peer that stands still at one confirmed tick once per
 * frame, as this test did before, made the count depend on which peer confirmed a tick first.)
 */
const MIN_CHECKED = 25;

type HostExit = 'leaves' | 'link closed' | 'silent';

type Scenario = {
  readonly topology: Topology;
  readonly seed: number;
  /** One member's `MigrationReport` is held back past `disconnectTimeout`, its link alive. */
  readonly slowReport: boolean;
};

/** Holds a peer's `MigrationReport`s back until `releaseAt` (frames), its other messages flow. */
function delayReports(peer: Peer, holdFrames: number, frame: () => number): () => void {
  const transport = peer.transport;
  const send = transport.send.bind(transport);
  const held: { to: string; data: Uint8Array; at: number }[] = [];
  transport.send = (to: string, data: Uint8Array, reliable: boolean): void => {
    if (data[0] === MessageType.MigrationReport) {
      const message = decodeMessage(data);
      if (message.type === MessageType.MigrationReport && !message.hostPresent) {
        held.push({ to, data: data.slice(), at: frame() + holdFrames });
        return;
      }
    }
    send(to, data, reliable);
  };
  return () => {
    for (let i = held.length - 1; i >= 0; i--) {
      const h = held[i]!;
      if (h.at > frame()) continue;
      held.splice(i, 1);
      if (transport.connectedPeers.has(h.to)) send(h.to, h.data, true);
    }
  };
}

async function runScenario(
  s: Scenario,
): Promise<{ mismatches: string[]; confirmed: number; states: string }> {
  const rand = seededRandom(s.seed);
  const players = rand() < 0.5 ? 3 : 4;
  const ids = [...Array.from({ length: players }, (_, i) => `p${i}`), 'late'];
  const transports = createLocalTransportGroup(ids, {
    ...{ latency: 30 + Math.floor(rand() * 40), jitter: 20, reorder: 0.1 },
    seed: s.seed,
  });
  const h = new Harness(transports, s.seed, {
    ...{ topology: s.topology, disconnectTimeout: TIMEOUT_MS, disconnectNotifyStart: 300 },
    reconnectWindowMs: 4000,
  });
  await h.start(600, players);
  let frame = 0;
  // A host the others replaced (it was silent past disconnectTimeout) goes on alone with its
  // own view of the room (see the README's limits): its confirmations are not compared.
  const deposed = new Set<Peer>();
  for (const p of h.peers) {
    p.session.on('hostChanged', (id) => {
      for (const q of h.peers) if (q.id !== id && q.session.isHost) deposed.add(q);
    });
  }
  const log: string[] = [];
  if (process.env.MIG_DEBUG) {
    for (const p of h.peers) {
      p.session.on('playerAway', (id, t) => log.push(`f${frame} ${p.id}: away ${id}@${t}`));
      p.session.on('playerBack', (id, t) => log.push(`f${frame} ${p.id}: back ${id}@${t}`));
      p.session.on('hostChanged', (id, t) => log.push(`f${frame} ${p.id}: host ${id}@${t}`));
      p.session.on('playerLeft', (info) => {
        log.push(`f${frame} ${p.id}: left ${info.playerId}`);
      });
    }
  }
  const exits: HostExit[] = ['leaves', 'link closed', 'silent'];
  const exit = exits[Math.floor(rand() * exits.length)]!;
  const lossFrame = 120 + Math.floor(rand() * 240);
  const lateJoin = rand() < 0.5;
  const frozenUntil = new Map<Peer, number>();
  const pendingMs = new Map<Peer, number>();
  const recorded = new Map<number, { hash: number; peer: string }>();
  const mismatches: string[] = [];
  /** States checked against another peer's, each (peer, tick) once. */
  let confirmed = 0;
  const checked = new Set<string>();
  const host = h.host;
  let hostGone = false;
  let release: (() => void) | null = null;
  const frames = 1200;
  for (; frame < frames; frame++) {
    await settle();
    if (frame === lossFrame - 20 && s.slowReport) {
      // The successor (p1) falls behind on the host's inputs; one other member answers late.
      for (const p of h.peers.slice(1, players)) frozenUntil.delete(p);
      transports.get('p0')!.setLinkConditions('p1', { latency: 400 });
      const slow = h.peers[2 + Math.floor(rand() * (players - 2))]!;
      release = delayReports(slow, Math.ceil((TIMEOUT_MS * 1.5) / h.frameMs), () => frame);
    }
    if (frame === lossFrame) {
      hostGone = true;
      if (exit === 'leaves') host.session.leaveRoom();
      else if (exit === 'link closed') {
        for (const p of h.peers.slice(1)) {
          LocalTransport.unlink(transports.get('p0')!, transports.get(p.id)!);
        }
      }
      frozenUntil.set(host, Infinity);
    }
    const calm = s.slowReport && frame > lossFrame - 40 && frame < lossFrame + 200;
    if (frame < frames - 300 && !calm && rand() < 0.012) {
      const peer = h.peers[Math.floor(rand() * players)]!;
      // Long enough to be marked away (and a member, silent past disconnectTimeout, to lose its
      // link); a host is frozen for less than that: one silent longer is lost and replaced, and
      // goes on alone with its own view of the room (see the README's limits).
      const longest = peer.session.isHost ? 50 : 80;
      const until = frame + 10 + Math.floor(rand() * (longest - 10));
      const frozen = (frozenUntil.get(peer) ?? -1) > frame;
      if (!frozen && !(peer === host && hostGone)) {
        frozenUntil.set(peer, until);
        if (process.env.MIG_DEBUG) log.push(`f${frame} ${peer.id}: frozen until f${until}`);
      }
    }
    if (frame < frames - 300 && rand() < 0.006) {
      const peer = h.peers[1 + Math.floor(rand() * (players - 1))]!;
      if (peer.session.state === SessionState.Playing && !peer.session.isHost) {
        const away = rand() < 0.5;
        peer.session.setAway(away);
        if (process.env.MIG_DEBUG) log.push(`f${frame} ${peer.id}: setAway(${away})`);
      }
    }
    if (lateJoin && frame === lossFrame + 240) {
      const newHost = h.peers.find((p) => p !== host && p.session.isHost);
      const late = h.peers[players]!;
      if (newHost) {
        late.session.joinRoom(newHost.session.roomId!, newHost.id).catch(() => {});
      }
    }
    release?.();
    h.peers.forEach((peer, index) => {
      if ((frozenUntil.get(peer) ?? -1) > frame) return;
      if (peer.session.state === SessionState.Disconnected) return;
      const r = peer.session.tick(scheduledInput(s.seed, index, h.frame));
      const hash =
        r.confirmedTick > 0
          ? peer.session.rollbackEngine?.getSnapshot(r.confirmedTick)?.hash
          : undefined;
      if (hash === undefined) return;
      // The old host's own confirmations are not compared: a host that goes may have confirmed
      // its own inputs that never reached anyone.
      if (peer === host || deposed.has(peer)) return;
      const first = recorded.get(r.confirmedTick);
      if (!first) recorded.set(r.confirmedTick, { hash, peer: peer.id });
      else if (first.hash !== hash) {
        if (mismatches.length < 5)
          mismatches.push(
            `tick ${r.confirmedTick}: ${first.peer} ${first.hash}, ${peer.id} ${hash} (frame ${frame}, host ${exit} at ${lossFrame})`,
          );
      } else if (first.peer !== peer.id && !checked.has(`${peer.id}@${r.confirmedTick}`)) {
        checked.add(`${peer.id}@${r.confirmedTick}`);
        confirmed++;
      }
    });
    h.frame++;
    for (const peer of h.peers) {
      if ((frozenUntil.get(peer) ?? -1) > frame) {
        pendingMs.set(peer, (pendingMs.get(peer) ?? 0) + h.frameMs);
        continue;
      }
      peer.transport.tick(h.frameMs + (pendingMs.get(peer) ?? 0));
      pendingMs.delete(peer);
    }
  }
  if (process.env.MIG_DEBUG) console.log(log.join('\n'));
  const states = h.peers.map(
    (p) =>
      `${p.id}:${SessionState[p.session.state]}${p.session.isHost ? '(host)' : ''}@${p.session.confirmedTick}`,
  );
  return { mismatches, confirmed, states: `${states.join(' ')}; host ${exit} at ${lossFrame}` };
}

// Every one of these failed before the fix (each in several of the four runs): 7001, 7002, 7018
// and 7026 as an away player took its own inputs back in its away window under the new host;
// 7011 and 7028 as the successor announced after disconnectTimeout without the report of a
// member whose link was still up (that member had confirmed ticks with old-host inputs the
// successor lacked); 7029 (mesh) as the late joiner, admitted while a player was away, counted
// that player's own inputs where everyone else counted the host's stand-ins; 7034 (mesh) as a
// player the old host marked away never heard it (its link dropped with the host) and played
// its own inputs in its away window under the new host. Two more failed once a changed input was
// resent on frames 1 and 3 (not 1, 2, 3): 7003 (mesh) as the successor, thawing from a freeze,
// took its own stall for the silence of a member (whose messages it got in one burst, stamped
// before the stall ended) and announced without that member's report, below a tick the member
// had confirmed with the old host's inputs; 7034 (star) as the new host marked a player away (at
// its request, before that player's own inputs reached it) from a tick a member already held
// that player's inputs for, relayed by the old host, and had confirmed with.
// MIG_SEEDS=n runs seeds 7001… instead, to look for more.
const SWEEP = Number(process.env.MIG_SEEDS ?? 0);
const SEEDS =
  SWEEP > 0
    ? Array.from({ length: SWEEP }, (_, i) => 7001 + i)
    : [7001, 7002, 7003, 7011, 7018, 7026, 7028, 7029, 7034];

describe.each([
  ['star', Topology.Star],
  ['mesh', Topology.Mesh],
])('confirmed states survive host migration (%s)', (_name, topology) => {
  it.each(SEEDS)(
    'seed %i: members freeze and step away, the host goes, a late joiner comes',
    async (seed) => {
      const { mismatches, confirmed, states } = await runScenario({
        topology,
        seed,
        slowReport: false,
      });
      expect(mismatches, `seed ${seed}`).toEqual([]);
      expect(confirmed, `seed ${seed}: too little was compared (${states})`).toBeGreaterThanOrEqual(
        MIN_CHECKED,
      );
    },
  );
  it.each(SEEDS)(
    'seed %i: a member answers the successor after disconnectTimeout, its link alive',
    async (seed) => {
      const { mismatches, confirmed, states } = await runScenario({
        topology,
        seed,
        slowReport: true,
      });
      expect(mismatches, `seed ${seed}`).toEqual([]);
      expect(confirmed, `seed ${seed}: too little was compared (${states})`).toBeGreaterThanOrEqual(
        MIN_CHECKED,
      );
    },
  );
});

describe('confirmed states survive a reconnect during away windows', () => {
  it('seed 7024 (mesh): a member that reconnects learns the away windows announced while its link was down', async () => {
    // Seed 7024 failed before: p1 lost its link while p2 was marked away and, back, counted
    // p2's own inputs where everyone else counted the host's stand-ins. (Its room ends later:
    // when the host goes, every player left is away, so nobody can take over.)
    const { mismatches } = await runScenario({
      topology: Topology.Mesh,
      seed: 7024,
      slowReport: false,
    });
    expect(mismatches, 'seed 7024').toEqual([]);
  });
});
