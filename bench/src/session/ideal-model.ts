// The ideal peer the session suite compares both libraries with: a small discrete model over the
// same seeded packet trace (trace-network.ts) and the same inputs, not a library.
//
// - Send every tick: each peer sends one packet per frame over each of its links, carrying every
//   input the receiver has not acknowledged, so an input arrives with the first packet sent at or
//   after its tick that is not lost.
// - Relay on receipt (star): the host forwards what it receives at once, to every other guest,
//   and its own per-frame packets carry every relayed input a guest has not acknowledged.
// - Save every predicted tick: a rollback restarts exactly at the first tick whose remote input
//   turned out to differ from the prediction ("repeat the last known input"); no snapshot interval
//   adds ticks, and a correct prediction costs nothing.
import type { LinkConditions } from './trace-network';
import { packetFate } from './trace-network';
import { inputFor } from './games';

const FRAME_MS = 1000 / 60;
/** Orders events that share a millisecond: delivered before the frame's ticks, the ticks, after. */
const PHASE = 1e-6;
/** Frames of packets simulated past the run, so inputs near its end still arrive. */
const TAIL = 60;

/** What the ideal peer does in a scenario, in the terms the suite reports for the libraries. */
export type IdealOutcome = {
  /** Game `step` calls per frame per peer. */
  stepsPerFrame: number;
  rollbacks: number;
  /** Mean ticks resimulated per rollback. */
  meanRollbackDepth: number;
  maxRollbackDepth: number;
};

/** The scenario as the model needs it. */
export type IdealScenario = {
  players: number;
  mesh: boolean;
  conditions: LinkConditions;
  /** Measured frames (one tick per peer per frame, every peer on the same tick). */
  frames: number;
  /** Seeds the packet trace (as for the libraries' `TraceNetwork`). */
  seed: number;
  /** Seeds the inputs (as for the libraries' runs). */
  inputSeed: number;
};

/** A send or a delivery: its time and where it falls among the events of that instant. */
type Instant = { time: number; phase: 0 | 1 | 2 };
/** A packet on one link: when it left and when it arrived (Infinity: lost). */
type Packet = { key: number; arrival: number; arrivedAt: Instant | null };

/** Phase 0: delivered before the frame's ticks; 1: during the ticks; 2: delivered after them. */
function keyOf(at: Instant): number {
  return at.time + at.phase * PHASE;
}

/** Sends packets at the given instants from `from` to `to`; fills in each arrival. */
function transmit(s: IdealScenario, from: number, to: number, sends: Instant[]): Packet[] {
  sends.sort((a, b) => keyOf(a) - keyOf(b));
  const packets: Packet[] = [];
  let ms = -1;
  let k = 0;
  for (const send of sends) {
    const wholeMs = Math.floor(send.time + 1e-6);
    k = wholeMs === ms ? k + 1 : 0;
    ms = wholeMs;
    const delay = packetFate(s.seed, from, to, wholeMs, k, s.conditions, false);
    let arrivedAt: Instant | null = null;
    if (delay !== null) {
      // With no delay a packet sent during the ticks is delivered after them (the next advance).
      arrivedAt =
        delay > 0
          ? { time: send.time + delay, phase: 0 }
          : { time: send.time, phase: send.phase === 1 ? 2 : send.phase };
    }
    packets.push({
      key: keyOf(send),
      arrival: arrivedAt === null ? Infinity : keyOf(arrivedAt),
      arrivedAt,
    });
  }
  return packets;
}

/** Earliest arrival of any packet of `packets` (sorted) sent at or after `key`. */
function firstArrivalFrom(packets: Packet[], suffixMin: Float64Array, key: number): number {
  let lo = 0;
  let hi = packets.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (packets[mid]!.key < key - 1e-9) lo = mid + 1;
    else hi = mid;
  }
  return lo < packets.length ? suffixMin[lo]! : Infinity;
}

function suffixMinimum(packets: Packet[]): Float64Array {
  const out = new Float64Array(packets.length);
  let min = Infinity;
  for (let i = packets.length - 1; i >= 0; i--) {
    min = Math.min(min, packets[i]!.arrival);
    out[i] = min;
  }
  return out;
}

/** Frame f's ticks: after what was delivered by then, before what they send is delivered. */
function tickAt(f: number): Instant {
  return { time: f * FRAME_MS, phase: 1 };
}

function tickKey(f: number): number {
  return keyOf(tickAt(f));
}

/**
 * When each player's input of each frame reaches each peer: `arrivals[i][p][g]` is the key at
 * which peer i learns player p's input of frame g (Infinity: never).
 */
function arrivalTimes(s: IdealScenario): Float64Array[][] {
  const n = s.players;
  const total = s.frames + TAIL;
  const frameSends = (): Instant[] => Array.from({ length: total }, (_, f) => tickAt(f));
  const arrivals = Array.from({ length: n }, () =>
    Array.from({ length: n }, () => new Float64Array(s.frames).fill(Infinity)),
  );
  const direct = (from: number, to: number): Packet[] => transmit(s, from, to, frameSends());
  const fill = (to: number, player: number, packets: Packet[], from: (g: number) => number) => {
    const suffix = suffixMinimum(packets);
    for (let g = 0; g < s.frames; g++) {
      arrivals[to]![player]![g] = firstArrivalFrom(packets, suffix, from(g));
    }
  };
  if (s.mesh) {
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) if (a !== b) fill(b, a, direct(a, b), tickKey);
    }
    return arrivals;
  }
  // Star: guests reach the host directly...
  const toHost: Packet[][] = [];
  for (let p = 1; p < n; p++) {
    const packets = direct(p, 0);
    toHost[p] = packets;
    fill(0, p, packets, tickKey);
  }
  // ...and the host reaches guest q with its frame packets plus a relay at every receipt from
  // another guest.
  for (let q = 1; q < n; q++) {
    const sends = frameSends();
    for (let p = 1; p < n; p++) {
      if (p === q) continue;
      for (const packet of toHost[p]!) if (packet.arrivedAt !== null) sends.push(packet.arrivedAt);
    }
    const fromHost = transmit(s, 0, q, sends);
    fill(q, 0, fromHost, tickKey);
    for (let p = 1; p < n; p++) {
      if (p !== q) fill(q, p, fromHost, (g) => arrivals[0]![p]![g]!);
    }
  }
  return arrivals;
}

/**
 * Runs the ideal peer of every player over the scenario's packet trace.
 * @param s - The scenario.
 * @returns Steps per frame and rollback depths of the ideal peers.
 */
export function idealModel(s: IdealScenario): IdealOutcome {
  const n = s.players;
  const arrivals = arrivalTimes(s);
  const actual = Array.from({ length: n }, (_, p) =>
    Int16Array.from({ length: s.frames }, (_, g) => inputFor(s.inputSeed, p, g)[0]!),
  );
  let steps = 0;
  let rollbacks = 0;
  let resimulated = 0;
  let maxDepth = 0;
  for (let i = 0; i < n; i++) {
    const used = actual.map(() => new Int16Array(s.frames).fill(-1));
    const known = new Int32Array(n);
    const predicted = (p: number) => (known[p]! > 0 ? actual[p]![known[p]! - 1]! : -1);
    for (let f = 0; f < s.frames; f++) {
      const now = tickKey(f);
      let first = f;
      for (let p = 0; p < n; p++) {
        if (p === i) continue;
        while (known[p]! < f && arrivals[i]![p]![known[p]!]! < now) {
          const g = known[p]!;
          if (used[p]![g] !== actual[p]![g]) first = Math.min(first, g);
          known[p] = g + 1;
        }
      }
      for (let p = 0; p < n; p++) {
        if (p === i) continue;
        for (let g = first; g <= f; g++) {
          used[p]![g] = g < known[p]! ? actual[p]![g]! : predicted(p);
        }
      }
      const depth = f - first;
      steps += 1 + depth;
      if (depth > 0) {
        rollbacks++;
        resimulated += depth;
        maxDepth = Math.max(maxDepth, depth);
      }
    }
  }
  return {
    stepsPerFrame: steps / (s.frames * n),
    rollbacks,
    meanRollbackDepth: rollbacks === 0 ? 0 : resimulated / rollbacks,
    maxRollbackDepth: maxDepth,
  };
}
