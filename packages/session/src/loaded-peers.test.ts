// Confirmed states are final, and nobody stalls, when peers tick the way pages on a loaded
// machine do: they skip frames, freeze (handling messages meanwhile or not at all) and catch up
// several ticks a frame, step away and back while another member is away, and a fourth player
// joins late; with link drops, a guest's link to another peer also breaks now and then and comes
// back (the guest reconnects into its slot). Each seed below once broke a confirmed state or left
// a peer stuck.
//
// RBN_LOADED_SEEDS=1-300 sweeps more seeds (RBN_LOADED_TOPOLOGY=star|mesh picks one topology,
// RBN_LOADED_DROPS=only|none the runs with or without link drops).
import { LocalTransport, createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { Harness, settle } from './testing/harness';
import type { Peer } from './testing/harness';
import { seededRandom } from './testing/random';
import { scheduledInput } from './testing/test-game';
import { AwayInput, SessionState, Topology } from './types';

const FRAMES = 2400;
/** The last frames: everyone ticks every frame and nobody is away, so all must converge. */
const QUIET_FRAMES = 700;
/** A peer that ticks every frame and plays must advance within this many frames. */
const STALL_FRAMES = 400;
/** Frames a guest whose link came back may take to reconnect (it tries once a second). */
const RECONNECT_FRAMES = 150;
/** Most ticks a page's frame scheduler runs in one frame while it catches up. */
const CATCH_UP_TICKS = 4;

/** How a peer ticks: every frame, not at all until a frame, or once every few frames. */
type Mode =
  | { kind: 'normal' }
  /** `hard`: its messages wait too (its clock stops; they all arrive when it resumes). */
  | { kind: 'frozen'; until: number; hard: boolean }
  | { kind: 'throttled'; until: number; every: number };

type Outcome = { mismatches: string[]; stalls: string[]; events: string[] };

/**
 * `RBN_LOADED_TRACE=p2:480-550`: a debugging aid. Every event is shown, with where that peer
 * was each frame of the range, and the inputs every peer held near a mismatch or a stall.
 */
const TRACE = ((text) => {
  const match = text ? /^(\w+):(\d+)-(\d+)$/.exec(text) : null;
  return match ? { peer: match[1]!, from: Number(match[2]), to: Number(match[3]) } : undefined;
})(process.env.RBN_LOADED_TRACE);

/** A peer's inputs of each player (first byte, `-` for none) from a little before `tick`. */
function inputsNear(p: Peer, ids: readonly string[], tick: number): string {
  // The session's own engine (its public view has no inputs): a debugging aid only.
  const engine = (
    p.session as unknown as { engine: { getInput(id: string, t: number): Uint8Array | undefined } }
  ).engine;
  const rows = ids.map((id) => {
    const row: string[] = [];
    for (let t = tick - 2; t <= tick + 8; t++) row.push(String(engine.getInput(id, t)?.[0] ?? '-'));
    return `${id}[${row.join(' ')}]`;
  });
  return `inputs from ${tick - 2}: ${rows.join(' ')}; links ${[...p.transport.connectedPeers].join(',')}`;
}

async function run(seed: number, topology: Topology, drops: boolean): Promise<Outcome> {
  const rand = seededRandom(seed * 7919 + (topology === Topology.Mesh ? 1 : 2));
  const lateJoin = rand() < 0.6;
  const ids = lateJoin ? ['p0', 'p1', 'p2', 'p3'] : ['p0', 'p1', 'p2'];
  const latency = 10 + Math.floor(rand() * 70);
  const jitter = Math.floor(rand() * 30);
  const reorder = rand() < 0.5 ? rand() * 0.15 : 0;
  const packetLoss = rand() < 0.4 ? rand() * 0.05 : 0;
  const awayInput = rand() < 0.5 ? AwayInput.Neutral : AwayInput.Repeat;
  const hostFreezes = rand() < 0.3;
  const inputDelayTicks = Math.floor(rand() * 4);
  const joinFrame = 100 + Math.floor(rand() * 300);
  const net = createLocalTransportGroup(ids, { latency, jitter, seed, reorder, packetLoss });
  // With link drops, a window no drop and freeze together outlast (its end is not under test).
  const reconnectWindowMs = drops ? 30_000 : 5000;
  const cfg = { topology, reconnectWindowMs, awayInput, inputDelayTicks };
  const h = new Harness(net, seed, cfg);
  const events: string[] = [];
  const note = (text: string): void => {
    events.push(`[${h.frame}] ${text}`);
  };
  await h.start(600, 3);
  for (const p of h.peers) {
    p.session.on('stateChange', (state) => note(`${p.id}: ${SessionState[state]}`));
    p.session.on('hostChanged', (id) => note(`${p.id}: host ${id}`));
    p.session.on('playerLeft', (info) => note(`${p.id}: ${info.playerId} left`));
    p.session.on('playerAway', (id, tick) => note(`${p.id}: ${id} away from ${tick}`));
    p.session.on('playerBack', (id, tick) => note(`${p.id}: ${id} back at ${tick}`));
  }
  const modes = new Map<Peer, Mode>(h.peers.map((p) => [p, { kind: 'normal' }]));
  const backlog = new Map<Peer, number>(h.peers.map((p) => [p, 0]));
  const heldMs = new Map<Peer, number>(h.peers.map((p) => [p, 0]));
  const awayUntil = new Map<Peer, number>();
  const recorded = new Map<number, { hash: number; peer: string }>();
  const mismatches: string[] = [];
  const stalls: string[] = [];
  const lastAdvance = new Map<Peer, { tick: number; frame: number }>();
  const quietFrom = FRAMES - QUIET_FRAMES;
  const late = h.peers[3];
  let joining = false;
  // Link drops draw from their own stream, so the runs without them are what they always were.
  const dropRand = seededRandom(seed * 104729 + 17);
  /** Broken links: the guest, the peer at the other end, and the frame the link comes back. */
  const broken: { guest: Peer; other: Peer; until: number }[] = [];
  const cut = (p: Peer) => broken.some((b) => b.guest === p);
  let restoredAt = Number.NEGATIVE_INFINITY;

  for (let frame = 0; frame < FRAMES; frame++) {
    await settle();
    const f = h.frame++;
    const playing = h.peers.filter((p) => p.session.state === SessionState.Playing);
    if (late && frame === joinFrame) {
      note('p3 joins');
      joining = true;
      late.session.joinRoom(h.host.session.roomId!, h.host.transport.localPeerId).catch(() => {
        stalls.push('p3 could not join');
      });
    }
    if (frame < quietFrom) {
      for (const p of playing) {
        if (modes.get(p)!.kind !== 'normal' || (p === h.host && !hostFreezes)) continue;
        const r = rand();
        if (r < 0.006) {
          const hard = rand() < 0.5;
          const frames = 5 + Math.floor(rand() * (rand() < 0.3 ? 150 : 60));
          modes.set(p, { kind: 'frozen', until: frame + frames, hard });
          note(`${p.id} freezes ${hard ? '(messages wait)' : ''} for ${frames} frames`);
        } else if (r < 0.01) {
          const every = 2 + Math.floor(rand() * 3);
          const frames = 20 + Math.floor(rand() * 150);
          modes.set(p, { kind: 'throttled', until: frame + frames, every });
          note(`${p.id} ticks once every ${every} frames for ${frames} frames`);
        }
      }
      if (rand() < 0.006) {
        const guests = playing.filter(
          (p) => p !== h.host && !awayUntil.has(p) && !p.session.isHost,
        );
        const p = guests[Math.floor(rand() * guests.length)];
        if (p) {
          const frames = 10 + Math.floor(rand() * 150);
          p.session.setAway(true);
          awayUntil.set(p, frame + frames);
          note(`${p.id} setAway(true) for ${frames} frames`);
        }
      }
    }
    // One broken link at a time, and the next one once the last guest had time to reconnect (it
    // tries once a second): two guests cut from the host at once is the host's loss to them (they
    // take over, and the host plays on alone: a partition, not a drop).
    const calm = broken.length === 0 && frame - restoredAt > RECONNECT_FRAMES;
    if (drops && frame < quietFrom && dropRand() < 0.004 && calm) {
      const guests = playing.filter((p) => p !== h.host && p !== late && !cut(p));
      const guest = guests[Math.floor(dropRand() * guests.length)];
      const others = h.peers.filter(
        (p) => p !== guest && (p === h.host || topology === Topology.Mesh),
      );
      const other = others[Math.floor(dropRand() * others.length)];
      if (guest && other) {
        const frames = 20 + Math.floor(dropRand() * 130);
        LocalTransport.unlink(net.get(guest.id)!, net.get(other.id)!);
        broken.push({ guest, other, until: frame + frames });
        note(`${guest.id}'s link to ${other.id} breaks for ${frames} frames`);
      }
    }
    for (const b of [...broken]) {
      if (frame < b.until && frame < quietFrom) continue;
      broken.splice(broken.indexOf(b), 1);
      restoredAt = frame;
      LocalTransport.link(net.get(b.guest.id)!, net.get(b.other.id)!);
      lastAdvance.delete(b.guest);
      note(`${b.guest.id}'s link to ${b.other.id} is back`);
    }
    for (const [p, until] of awayUntil) {
      if (frame < until && frame < quietFrom) continue;
      awayUntil.delete(p);
      // It took over meanwhile (a host is never away), or its window ran out: nothing to say.
      if (p.session.isHost || p.session.state !== SessionState.Playing) continue;
      p.session.setAway(false);
      note(`${p.id} setAway(false)`);
    }

    h.peers.forEach((p, index) => {
      let mode = modes.get(p)!;
      if (mode.kind !== 'normal' && (frame >= mode.until || frame >= quietFrom)) {
        if (mode.kind === 'frozen' && mode.hard) p.transport.tick(heldMs.get(p)!);
        heldMs.set(p, 0);
        mode = { kind: 'normal' };
        modes.set(p, mode);
      }
      let ticks = 1;
      if (mode.kind === 'frozen' || (mode.kind === 'throttled' && f % mode.every !== 0)) {
        ticks = 0;
        backlog.set(p, Math.min(backlog.get(p)! + 1, 600));
      } else if (mode.kind === 'normal' && backlog.get(p)! > 0) {
        const extra = Math.min(backlog.get(p)!, CATCH_UP_TICKS - 1);
        ticks += extra;
        backlog.set(p, backlog.get(p)! - extra);
      }
      if (p.session.state === SessionState.Disconnected) ticks = p === late && joining ? 1 : 0;
      if (p.session.state === SessionState.Lobby) ticks = 1;
      for (let k = 0; k < ticks; k++) {
        const r = p.session.tick(scheduledInput(seed, index, f * 2 + k));
        const engine = p.session.rollbackEngine;
        const hash = r.confirmedTick > 0 ? engine?.getSnapshot(r.confirmedTick)?.hash : undefined;
        if (hash === undefined) continue;
        const first = recorded.get(r.confirmedTick);
        if (!first) recorded.set(r.confirmedTick, { hash, peer: p.id });
        else if (first.hash !== hash && mismatches.length < 5) {
          if (mismatches.length === 0) {
            if (TRACE) {
              const other = h.peers.find((q) => q.id === first.peer)!;
              for (const q of [other, p]) note(`${q.id}: ${inputsNear(q, ids, r.confirmedTick)}`);
            }
            note('first mismatch');
          }
          mismatches.push(`tick ${r.confirmedTick}: ${first.peer} ${first.hash}, ${p.id} ${hash}`);
        }
      }
    });
    for (const p of h.peers) {
      const mode = modes.get(p)!;
      if (mode.kind === 'frozen' && mode.hard) heldMs.set(p, heldMs.get(p)! + h.frameMs);
      else p.transport.tick(h.frameMs);
    }
    if (TRACE && frame >= TRACE.from && frame <= TRACE.to) {
      const p = h.peers.find((q) => q.id === TRACE.peer);
      if (p) {
        const links = [...p.transport.connectedPeers].join(',');
        note(
          `${p.id} at ${p.session.currentTick}, confirmed ${p.session.confirmedTick}, ${SessionState[p.session.state]}, links ${links}`,
        );
      }
    }
    for (const p of h.peers) {
      const tick = p.session.currentTick;
      const before = lastAdvance.get(p);
      const free =
        modes.get(p)!.kind === 'normal' &&
        !awayUntil.has(p) &&
        !cut(p) &&
        p.session.state === SessionState.Playing;
      if (!before || tick !== before.tick || !free) lastAdvance.set(p, { tick, frame });
      else if (frame - before.frame === STALL_FRAMES) {
        if (TRACE) note(`${p.id} stuck: ${inputsNear(p, ids, p.session.confirmedTick)}`);
        stalls.push(`${p.id} stuck at tick ${tick} from frame ${before.frame}`);
      }
    }
  }
  const hostConfirmed = h.host.session.confirmedTick;
  for (const p of h.peers) {
    if (p.session.state !== SessionState.Playing) {
      stalls.push(`${p.id} ends ${SessionState[p.session.state]}`);
    } else if (Math.abs(p.session.confirmedTick - hostConfirmed) > 120) {
      stalls.push(`${p.id} confirmed ${p.session.confirmedTick}, the host ${hostConfirmed}`);
    }
  }
  return { mismatches, stalls, events };
}

/** `RBN_LOADED_SEEDS`: `a-b` or `a,b,c`. */
function seedsFromEnv(): number[] | undefined {
  const text = process.env.RBN_LOADED_SEEDS;
  if (!text) return undefined;
  const range = /^(\d+)-(\d+)$/.exec(text);
  if (!range) return text.split(',').map(Number);
  const [from, to] = [Number(range[1]), Number(range[2])];
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

// Mesh 118 and star 17/63/169: a member's inputs made before it heard it was away reached the
// others and lay past its back tick. Mesh 10: a member acknowledged an away player's inputs it
// had straight from it. Mesh 298 and star 122: the host stopped relaying a window's inputs
// before a lagging peer held them. Star 242: a guest got stand-ins before the `PlayerAway` that
// announced them and dropped them on hearing it (the host had seen them acknowledged). Mesh 378:
// a late joiner heard of away windows that opened before the state it loaded and forgot the
// inputs of both players from there, which nobody would send it again: stuck for good.
const pinned: [string, Topology, number[]][] = [
  ['mesh', Topology.Mesh, [10, 118, 298, 378]],
  ['star', Topology.Star, [17, 63, 122, 169, 242]],
];
// With link drops, star 5 and 17: a player that reconnected never heard of a fourth player who
// joined meanwhile, and came back playing without it. Mesh 20: a broken link between two players
// stayed down for good (one try to open it, while the other's network was still down). Mesh 5: a
// player's back tick after its rejoin fell before inputs it made before it lost the host, which
// reached the host later (the rejoin does not name them). Mesh 988: a stalled player heard at
// once that another player was away, back, and away again; that player's own inputs of the first
// window, which waited with the rest, then counted in place of the host's stand-ins. Mesh 1459: a
// player's own inputs that arrived past a gap stayed when a window opened over them (only
// contiguous ones were taken back), and counted in place of the stand-ins. Mesh 1724 and star
// 1765: the host (itself stalled) decided a player away and back before the player heard of
// either; the player's inputs from the back tick on, already with the host, were made again
// when it came back from the host's state, differently. Star 2643: a player's link to the host
// broke as the game started, before the token the host hands out on its first frame arrived; it
// could not come back (the host now hands it out on admission, in the lobby). Star 914: the
// host stalled 1.5 s and, as it came back, the successor's link to it broke; its refused try to
// reconnect skipped hostLossGraceMs, and it took over on the word of the other player, which had
// lost the host in the stall and heard it again a moment later: two rooms. (Since the token
// comes on admission, the seed's timing no longer breaks that link in time; the host-migration
// test "a host that stalls within hostLossGraceMs keeps the room…" pins the cause.)
const pinnedDrops: [string, Topology, number[]][] = [
  ['mesh', Topology.Mesh, [5, 20, 988, 1459, 1724]],
  ['star', Topology.Star, [5, 17, 914, 1765, 2643]],
];
const chosen = process.env.RBN_LOADED_TOPOLOGY;
const dropsChosen = process.env.RBN_LOADED_DROPS;
const cases = [
  ...(dropsChosen === 'only' ? [] : pinned.map((c): [...typeof c, boolean] => [...c, false])),
  ...(dropsChosen === 'none' ? [] : pinnedDrops.map((c): [...typeof c, boolean] => [...c, true])),
]
  .filter(([name]) => !chosen || name === chosen)
  .map(([name, topology, seeds, drops]): [string, Topology, number[], boolean] => [
    drops ? `${name}, link drops` : name,
    topology,
    seedsFromEnv() ?? seeds,
    drops,
  ])
  .filter(([, , seeds]) => seeds.length > 0);

describe.each(cases)('pages on a loaded machine (%s)', (name, topology, seeds, drops) => {
  it.each(seeds)('seed %i: confirmed states agree and every peer keeps up', async (seed) => {
    const { mismatches, stalls, events } = await run(seed, topology, drops);
    // The events up to the first mismatch tell most, else the last ones.
    const until = events.findIndex((e) => e.endsWith('first mismatch')) + 1 || events.length;
    const shown = TRACE ? events : events.slice(Math.max(0, until - 30), until);
    const story = `seed ${seed} (${name}); events:\n${shown.join('\n')}`;
    expect(mismatches, story).toEqual([]);
    expect(stalls, `${stalls.join('; ')}; ${story}`).toEqual([]);
  });
});
