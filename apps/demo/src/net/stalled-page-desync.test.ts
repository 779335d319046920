import { createRandom } from '@rbn/determinism';
import { SessionState } from '@rbn/session';
import { createLocalTransportGroup } from '@rbn/transport-local';
import type { LocalTransport } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { Pacer } from '../loop';
import { SessionPeer } from './session-peer';

/** Local mode's defaults (local-mode.ts, loop.ts): its network, ping interval and frame cap. */
const NETWORK = { latency: 60, jitter: 10, packetLoss: 0.05 };
const PING_INTERVAL_MS = 100;
const MAX_FRAME_MS = 250;
const FRAME_MS = 1000 / 60;
const ARENA_SEED = 20261121;
/** Frames of the page before a run gives up (about 2 minutes of smooth frames). */
const FRAME_LIMIT = 8000;

/**
 * How a stall of the page reaches the peers.
 * - `capped`: the loop's next frame, its elapsed time capped at 250 ms (what local mode does).
 * - `both`: the network runs the whole stall, then both pacers catch up (at most 8 ticks each).
 * - `one`: the network and the other peer run frame by frame, then the stalled peer catches up.
 */
type StallShape = 'capped' | 'both' | 'one';
const SHAPES: readonly StallShape[] = ['capped', 'both', 'one'];

/** What one run saw: the e2e test's figures, and the events to tell a failure by. */
type Outcome = {
  /** A state transfer repaired the desync (else an away and back did, before it was found). */
  recovered: boolean;
  /** P2 came back from away, with the host's state, after the desync was induced. */
  backAfterInduced: boolean;
  inducedAt: number;
  /** P2's confirmed game tick when the recovery was seen (or the wait for one ended). */
  recoveredAt: number;
  to: number;
  compared: number;
  mismatches: number[];
  unsimulated: number;
  events: string[];
};

/**
 * The demo's desync scenario (e2e "detects a desync induced on one peer…") on a page that
 * stalls like one on a loaded machine, in virtual time: P1 hosts, P2 joins, both are paced by
 * the demo's `Pacer` from one loop that steps the network first (as local mode does); P2's state
 * is corrupted after a seeded tick; after the recovery both peers' confirmed hashes are compared
 * from `recoveredAt + 60` on, over every tick both simulated.
 * @param seed - Seeds the network, the frame times, the stalls and the inputs.
 */
async function stalledPageRun(seed: number): Promise<Outcome> {
  const random = createRandom(seed);
  const group = createLocalTransportGroup(['p1', 'p2'], { ...NETWORK, seed });
  const transports = [...group.values()] as [LocalTransport, LocalTransport];
  const events: string[] = [];
  const at = () => `${Math.round(transports[0].now)}ms`;
  const peers: SessionPeer[] = [];
  const pacers: Pacer[] = [];
  const seat = (label: string, transport: LocalTransport): SessionPeer => {
    const peer = new SessionPeer({
      label,
      transport,
      seed: ARENA_SEED,
      config: { pingInterval: PING_INTERVAL_MS },
      clock: { now: () => transport.now },
    });
    const { session } = peer;
    session.on('desync', (tick) => events.push(`${at()} ${label}: desync at ${tick}`));
    session.on('stateSynced', (tick) => events.push(`${at()} ${label}: loaded ${tick}`));
    session.on('playerAway', (p, tick) => events.push(`${at()} ${label}: ${p} away at ${tick}`));
    session.on('playerBack', (p, tick) => events.push(`${at()} ${label}: ${p} back at ${tick}`));
    peers.push(peer);
    // The overlay reads the peer's link figures after every tick.
    pacers.push(new Pacer(peer, () => peer.stats()));
    return peer;
  };

  // Half the runs press no keys, as the e2e test; the others hold seeded buttons.
  const idle = random.nextInt(2) === 0;
  const held = [0, 0];
  const readInput = (i: number) => (): number => {
    if (idle) return 0;
    const value = random.nextUint32();
    if (value % 12 === 0) held[i] = (value >>> 8) & 31;
    return held[i] ?? 0;
  };
  const inputs = [readInput(0), readInput(1)];

  /** Local mode's `advance`: the network in 1 ms steps, then each peer's pacer (or all but one). */
  const advance = (ms: number, skip = -1): void => {
    for (let done = 0; done < ms; done += 1) {
      const step = Math.min(1, ms - done);
      for (const t of transports) t.tick(step);
    }
    pacers.forEach((pacer, i) => {
      if (i !== skip) pacer.advance(ms, inputs[i]!);
    });
  };
  const stall = (): void => {
    const shape = SHAPES[random.nextInt(SHAPES.length)]!;
    const ms = 100 + random.nextInt(1401);
    if (shape === 'capped') advance(Math.min(ms, MAX_FRAME_MS));
    else if (shape === 'both') advance(ms);
    else {
      const stalled = random.nextInt(2);
      for (let left = ms; left > 0; left -= FRAME_MS) advance(Math.min(left, FRAME_MS), stalled);
      pacers[stalled]!.advance(ms, inputs[stalled]!);
    }
  };
  // A busy machine: mostly 16.7 ms frames, some two or three frames long; half the runs also
  // have stretches of long frames (up to the loop's 250 ms cap).
  const heavy = random.nextInt(2) === 0;
  let longFrames = 0;
  const frame = (): void => {
    if (heavy && longFrames === 0 && random.nextInt(150) === 0)
      longFrames = 10 + random.nextInt(60);
    if (longFrames > 0) {
      longFrames--;
      advance(Math.min(MAX_FRAME_MS, 30 + random.nextInt(300)));
      return;
    }
    const r = random.nextInt(20);
    advance(r < 14 ? FRAME_MS : r < 18 ? 2 * FRAME_MS : 3 * FRAME_MS + random.nextInt(20));
  };

  const host = seat('P1', transports[0]);
  host.session.on('playerJoined', (player) => {
    if (player.playerId === 'p2' && host.session.state === SessionState.Lobby) {
      host.session.start();
    }
  });
  const roomId = await host.session.createRoom();
  const guest = seat('P2', transports[1]);
  const joined = guest.session.joinRoom(roomId, 'p1');
  let frames = 0;
  for (; frames < FRAME_LIMIT && guest.state() !== 'Playing'; frames++) {
    frame();
    await Promise.resolve();
  }
  await joined;

  const confirmedGameTick = (p: SessionPeer) =>
    p.confirmedTick() + 1 + (p.game.tick - p.currentTick());
  const hashAt = (p: SessionPeer, t: number) =>
    t <= confirmedGameTick(p) ? p.hashes.get(t) : undefined;

  // Stalls: one in `stallRate` frames at random, and one soon after the induction, after each
  // desync found and after each state loaded.
  const stallRate = 30 + random.nextInt(120);
  let stallIn = -1;
  const stallWithin = (frameCount: number) => {
    const next = random.nextInt(frameCount);
    if (stallIn < 0 || next < stallIn) stallIn = next;
  };
  for (const peer of peers) {
    peer.session.on('desync', () => stallWithin(20));
    peer.session.on('stateSynced', () => stallWithin(40));
  }
  const pageFrame = async () => {
    if (stallIn === 0 || random.nextInt(stallRate) === 0) stall();
    else frame();
    if (stallIn >= 0) stallIn--;
    await Promise.resolve();
    frames++;
  };

  const induceAfter = 60 + random.nextInt(140);
  let inducedAt = -1;
  while (frames < FRAME_LIMIT && inducedAt < 0) {
    if (guest.currentTick() > induceAfter) {
      guest.induceDesync();
      inducedAt = guest.currentTick();
      events.push(`${at()} P2: desync induced at ${inducedAt}`);
      stallWithin(15);
    }
    await pageFrame();
  }
  const induced = events.length;
  // An away and back may load the host's state before the desync is found: the peers must
  // agree all the same, compared from where the wait for a recovery ends.
  const giveUp = frames + 3000;
  while (frames < giveUp && guest.counters.recoveries === 0) await pageFrame();
  const recoveredAt = confirmedGameTick(guest);

  // As the e2e test: 150 ticks past the recovery; longer while too few ticks were simulated by
  // both (P2 never simulates the ticks it jumped over coming back from away).
  let target = recoveredAt + 150;
  let to = 0;
  let mismatches: number[] = [];
  let unsimulated = 0;
  for (;;) {
    while (frames < FRAME_LIMIT && !peers.every((p) => confirmedGameTick(p) > target)) {
      await pageFrame();
    }
    to = Math.min(...peers.map(confirmedGameTick));
    mismatches = [];
    unsimulated = 0;
    for (let t = recoveredAt + 60; t <= to; t++) {
      const [a, b] = [hashAt(host, t), hashAt(guest, t)];
      if (a === undefined || b === undefined) unsimulated++;
      else if (a !== b) mismatches.push(t);
    }
    if (to - recoveredAt - 59 - unsimulated >= 60 || frames >= FRAME_LIMIT) break;
    target = to + 60;
  }
  for (const p of peers) p.destroy();
  return {
    recovered: guest.counters.recoveries > 0,
    backAfterInduced: events.slice(induced).some((e) => e.includes('P2: p2 back')),
    inducedAt,
    recoveredAt,
    to,
    compared: to - recoveredAt - 59 - unsimulated,
    mismatches,
    unsimulated,
    events,
  };
}

/**
 * Seeds to run: `DEMO_DESYNC_SEEDS=1-500` (or `3,7,9-12`) sweeps more than the pinned ones.
 * @param pinned - The seeds of the normal run.
 */
function seeds(pinned: number[]): number[] {
  const spec = process.env['DEMO_DESYNC_SEEDS'];
  if (!spec) return pinned;
  return spec.split(',').flatMap((part) => {
    const [from, until = from] = part.split('-').map(Number) as [number, number?];
    return Array.from({ length: until - from + 1 }, (_, i) => from + i);
  });
}

describe('desync recovery on a stalling page', () => {
  // 2: a plain recovery; 3: an away and back repairs P2 before the desync is found; 14: away
  // before the induction and after the recovery; 20: P2 away 80 ticks after the recovery (the
  // e2e failure's shape); 24, 35: fail when a guest confirms ticks the host has not acked (the
  // host may still decide them while it is away; `capConfirmation`), which peers.test.ts misses.
  it.each(seeds([2, 3, 14, 20, 24, 35]))(
    'repairs the induced desync, and the peers agree at every confirmed tick after it (seed %i)',
    async (seed) => {
      const run = await stalledPageRun(seed);
      const what = `seed ${seed}: ${JSON.stringify(run, null, 1)}`;
      expect(run.recovered || run.backAfterInduced, what).toBe(true);
      expect(run.mismatches, what).toEqual([]);
      expect(run.compared, what).toBeGreaterThanOrEqual(60);
    },
  );
});
