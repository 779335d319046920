// Session scenarios, rbn vs rollback-netcode@0.0.6, in one process: the same game (1 KB integer
// state, inputs changing every ~8 ticks), the same seeded network conditions on each library's
// own in-memory transport, the same lockstep frame loop at 60 Hz.
import {
  createFrameScheduler,
  createSession as createRbnSession,
  Topology as RbnTopology,
} from '@rbn/session';
import type { Session as RbnSession } from '@rbn/session';
import { createLocalTransportGroup as createRbnGroup } from '@rbn/transport-local';
import {
  createLocalTransportGroup as createRnGroup,
  createSession as createRnSession,
  Topology as RnTopology,
} from 'rollback-netcode';
import type { Session as RnSession } from 'rollback-netcode';
import { median, printTable } from '../table';
import type { Row } from '../table';

const FRAME_MS = 1000 / 60;
const TICKS = 1200;
/** Frames of constant input after the run, so every peer can confirm and agree. */
const SETTLE = 240;

/** The benchmark game: 256 32-bit words (1 KB), every player's input stirs all of them. */
class BenchGame {
  readonly words = new Int32Array(256);
  private readonly bytes = new Uint8Array(this.words.buffer);
  private readonly ids: string[] = [];
  serialize(): Uint8Array {
    return this.bytes.slice();
  }
  deserialize(data: Uint8Array): void {
    this.bytes.set(data.subarray(0, this.bytes.length));
  }
  step(inputs: Map<string, Uint8Array>): void {
    const w = this.words;
    this.ids.length = 0;
    for (const id of inputs.keys()) this.ids.push(id);
    this.ids.sort();
    let mix = w[0]! | 0;
    for (const id of this.ids) {
      const input = inputs.get(id)!;
      for (let i = 0; i < input.length; i++) mix = (Math.imul(mix, 31) + input[i]! + 7) | 0;
      mix = (mix + id.length) | 0;
    }
    for (let i = 1; i < w.length; i++) {
      w[i] = (Math.imul(w[i]!, 1103515245) + mix + i) | 0;
      mix ^= w[i]!;
    }
    w[0] = w[0]! + 1;
  }
  hash(): number {
    let h = 0x811c9dc5;
    const w = this.words;
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i]!, 16777619);
    return h >>> 0;
  }
}

function inputFor(seed: number, player: number, frame: number): Uint8Array {
  const epoch = Math.floor((frame + player * 5) / 8);
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(player + 1, 0xc2b2ae35);
  h = Math.imul(h ^ epoch, 0x165667b1);
  h ^= h >>> 15;
  return new Uint8Array([h & 0x0f]);
}

type Scenario = {
  name: string;
  players: number;
  mesh: boolean;
  latency: number;
  jitter: number;
  packetLoss: number;
};

type Outcome = {
  cpuMicrosPerTickPerPeer: number;
  /**
   * Process CPU time (user + system, so time spent waiting for a busy machine's CPU does not
   * count) of the whole frame loop per tick per peer: the session, its engine, the game, and
   * the library's own in-memory transport.
   */
  processCpuMicrosPerTickPerPeer: number;
  /** CPU per tick of game progress: all CPU divided by the ticks that advanced. */
  cpuMicrosPerAdvancedTick: number;
  bytesPerSecondPerPeer: number;
  messagesPerSecondPerPeer: number;
  rollbacks: number;
  meanRollbackDepth: number;
  maxRollbackDepth: number;
  /** Ticks resimulated by the most-rolling peer ÷ by the least-rolling peer (1 = symmetric). */
  rollbackAsymmetry: number;
  stalledTicks: number;
  /** Share of peer-frames (during the changing-input run) in which the game advanced. */
  advancedShare: number;
  converged: boolean;
};

/** What the frame loop needs from one peer of either library. */
type BenchPeer = {
  game: BenchGame;
  tick(input: Uint8Array): { advanced: boolean; rolledBack: boolean; rollbackTicks: number };
  advanceNetwork(ms: number): void;
  currentTick(): number;
  /** The library's time-sync multiplier for the game loop (rollback-netcode has none: 1). */
  frameDelayMultiplier(): number;
};

type Counters = { bytes: number; messages: number; micros: number };

/** Counts what a session hands its transport (send and broadcast). */
function countSends(
  transport: {
    send(peerId: string, message: Uint8Array, reliable: boolean): void;
    broadcast(message: Uint8Array, reliable: boolean): void;
    readonly connectedPeers: ReadonlySet<string>;
  },
  counters: Counters,
): void {
  const send = transport.send.bind(transport);
  const broadcast = transport.broadcast.bind(transport);
  transport.send = (peerId, message, reliable) => {
    counters.bytes += message.byteLength;
    counters.messages++;
    send(peerId, message, reliable);
  };
  transport.broadcast = (message, reliable) => {
    const n = transport.connectedPeers.size;
    counters.bytes += message.byteLength * n;
    counters.messages += n;
    broadcast(message, reliable);
  };
}

/** Times the session's message handler (the receive side of its CPU). */
function timeHandler(
  transport: { onMessage: ((peerId: string, message: Uint8Array) => void) | null },
  counters: Counters,
): void {
  const handler = transport.onMessage;
  if (!handler) return;
  transport.onMessage = (peerId, message) => {
    const start = performance.now();
    handler(peerId, message);
    counters.micros += (performance.now() - start) * 1000;
  };
}

async function microtasks(): Promise<void> {
  for (let i = 0; i < 8; i++) await Promise.resolve();
}

async function runScenario(
  scenario: Scenario,
  seed: number,
  setup: (ids: string[]) => Promise<{ peers: BenchPeer[]; counters: Counters[] }>,
): Promise<Outcome> {
  const ids = Array.from({ length: scenario.players }, (_, i) => `peer-${i}`);
  const { peers, counters } = await setup(ids);
  for (const c of counters) {
    c.bytes = 0;
    c.messages = 0;
    c.micros = 0;
  }
  let rollbacks = 0;
  let rollbackTicks = 0;
  let stalledAll = 0;
  let maxDepth = 0;
  const perPeerRollbackTicks = peers.map(() => 0);
  let stalled = 0;
  const frames = TICKS + SETTLE;
  const hashes = peers.map(() => new Map<number, number>());
  let measuredBytes = 0;
  let measuredMessages = 0;
  const cpuStart = process.cpuUsage();
  for (let f = 0; f < frames; f++) {
    const changing = f < TICKS;
    for (let i = 0; i < peers.length; i++) {
      const peer = peers[i]!;
      const input = inputFor(seed, i, changing ? f : TICKS);
      const start = performance.now();
      const r = peer.tick(input);
      counters[i]!.micros += (performance.now() - start) * 1000;
      if (!r.advanced) {
        stalled += changing ? 1 : 0;
        stalledAll++;
      }
      if (r.rolledBack && changing) {
        rollbacks++;
        rollbackTicks += r.rollbackTicks;
        perPeerRollbackTicks[i] = perPeerRollbackTicks[i]! + r.rollbackTicks;
        if (r.rollbackTicks > maxDepth) maxDepth = r.rollbackTicks;
      }
      if (!changing && r.advanced) hashes[i]!.set(peer.currentTick(), peer.game.hash());
    }
    for (const peer of peers) peer.advanceNetwork(FRAME_MS);
    if (f === TICKS - 1) {
      measuredBytes = counters.reduce((s, c) => s + c.bytes, 0);
      measuredMessages = counters.reduce((s, c) => s + c.messages, 0);
    }
  }
  const used = process.cpuUsage(cpuStart);
  const processCpu = used.user + used.system;
  const cpu = counters.reduce((s, c) => s + c.micros, 0);
  const seconds = TICKS / 60;
  // Converged: every peer reached a common tick in the quiet phase with the same state there.
  let common = Infinity;
  for (const h of hashes) common = Math.min(common, h.size === 0 ? -1 : Math.max(...h.keys()));
  const atCommon = hashes.map((h) => h.get(common));
  const converged =
    common > TICKS / 2 && atCommon.every((h) => h !== undefined && h === atCommon[0]);
  return {
    cpuMicrosPerTickPerPeer: cpu / frames / peers.length,
    processCpuMicrosPerTickPerPeer: processCpu / frames / peers.length,
    cpuMicrosPerAdvancedTick: cpu / Math.max(1, frames * peers.length - stalledAll),
    bytesPerSecondPerPeer: measuredBytes / seconds / peers.length,
    messagesPerSecondPerPeer: measuredMessages / seconds / peers.length,
    rollbacks,
    meanRollbackDepth: rollbacks === 0 ? 0 : rollbackTicks / rollbacks,
    maxRollbackDepth: maxDepth,
    rollbackAsymmetry:
      Math.max(...perPeerRollbackTicks) / Math.max(1, Math.min(...perPeerRollbackTicks)),
    stalledTicks: stalled,
    advancedShare: 1 - stalled / (TICKS * peers.length),
    converged,
  };
}

/** What a skewed-clock run measured for one library. */
type SkewOutcome = {
  /** Ticks each peer resimulated after the first 5 s. */
  rollbackTicks: number[];
  /** Ticks each peer advanced (stalled calls do not count). */
  ticks: number[];
  multiplierMax: number;
  converged: boolean;
};

/**
 * Real game loops with skewed clocks: `seconds` of real time in 1 ms steps; peer i's clock runs
 * at `rates[i]` × real time and starts `offsets[i]` ms early. Each peer draws an animation frame
 * every 1000/60 ms of its own clock and runs as many ticks as its `createFrameScheduler` says are
 * due. With `timeSync`, the library's multiplier is fed to the scheduler (rollback-netcode has
 * none, so it stays 1). Then the inputs stop changing and the peers must agree on a state.
 */
async function runSkewed(
  scenario: Scenario,
  seed: number,
  setup: (ids: string[]) => Promise<{ peers: BenchPeer[] }>,
  skew: { rates: number[]; offsets: number[]; seconds: number },
): Promise<SkewOutcome> {
  const ids = Array.from({ length: scenario.players }, (_, i) => `peer-${i}`);
  const { peers } = await setup(ids);
  const clocks = skew.offsets.slice();
  const schedulers = peers.map((_, i) =>
    createFrameScheduler({ tickRate: 60, now: () => clocks[i]! }),
  );
  const nextFrame = peers.map(() => 0);
  const calls = peers.map(() => 0);
  const outcome: SkewOutcome = {
    rollbackTicks: peers.map(() => 0),
    ticks: peers.map(() => 0),
    multiplierMax: 1,
    converged: false,
  };
  for (let ms = 0; ms < skew.seconds * 1000; ms++) {
    peers.forEach((peer, i) => {
      clocks[i] = clocks[i]! + skew.rates[i]!;
      if (clocks[i] < nextFrame[i]!) return;
      nextFrame[i] = nextFrame[i]! + FRAME_MS;
      const scheduler = schedulers[i]!;
      scheduler.frameDelayMultiplier = peer.frameDelayMultiplier();
      outcome.multiplierMax = Math.max(outcome.multiplierMax, scheduler.frameDelayMultiplier);
      for (let n = scheduler.frame(); n > 0; n--) {
        const r = peer.tick(inputFor(seed, i, calls[i]!));
        calls[i] = calls[i]! + 1;
        if (r.advanced) outcome.ticks[i] = outcome.ticks[i]! + 1;
        if (r.rolledBack && ms > 5000) {
          outcome.rollbackTicks[i] = outcome.rollbackTicks[i]! + r.rollbackTicks;
        }
      }
    });
    for (const peer of peers) peer.advanceNetwork(1);
    if (ms % 100 === 0) await microtasks();
  }
  // Quiet phase in lockstep: constant inputs until every peer can confirm a common state.
  const hashes = peers.map(() => new Map<number, number>());
  for (let f = 0; f < SETTLE; f++) {
    peers.forEach((peer, i) => {
      const r = peer.tick(inputFor(seed, i, TICKS));
      if (r.advanced) hashes[i]!.set(peer.currentTick(), peer.game.hash());
    });
    for (const peer of peers) peer.advanceNetwork(FRAME_MS);
  }
  let common = Infinity;
  for (const h of hashes) common = Math.min(common, h.size === 0 ? -1 : Math.max(...h.keys()));
  const atCommon = hashes.map((h) => h.get(common));
  outcome.converged = common > 0 && atCommon.every((h) => h !== undefined && h === atCommon[0]);
  return outcome;
}

function skewAsymmetry(o: SkewOutcome): number {
  return Math.max(...o.rollbackTicks) / Math.max(1, Math.min(...o.rollbackTicks));
}

async function setupRbn(
  scenario: Scenario,
  seed: number,
  ids: string[],
): Promise<{ peers: BenchPeer[]; counters: Counters[]; sessions: RbnSession[] }> {
  const transports = createRbnGroup(ids, {
    latency: scenario.latency,
    jitter: scenario.jitter,
    packetLoss: scenario.packetLoss,
    seed,
  });
  const counters: Counters[] = [];
  const peers: BenchPeer[] = [];
  const sessions: RbnSession[] = [];
  for (const id of ids) {
    const transport = transports.get(id)!;
    const c: Counters = { bytes: 0, messages: 0, micros: 0 };
    countSends(transport, c);
    const game = new BenchGame();
    const session = createRbnSession({
      game,
      transport,
      config: {
        topology: scenario.mesh ? RbnTopology.Mesh : RbnTopology.Star,
        maxPlayers: Math.max(4, scenario.players),
      },
      clock: { now: () => transport.now },
    });
    timeHandler(transport, c);
    counters.push(c);
    sessions.push(session);
    const result = { advanced: false, rolledBack: false, rollbackTicks: 0 };
    peers.push({
      game,
      tick(input) {
        const r = session.tick(input);
        result.advanced = r.advanced;
        result.rolledBack = r.rolledBack;
        result.rollbackTicks = r.rollbackTicks;
        return result;
      },
      advanceNetwork: (ms) => transport.tick(ms),
      currentTick: () => session.currentTick,
      frameDelayMultiplier: () => session.frameDelayMultiplier,
    });
  }
  const host = sessions[0]!;
  const roomId = await host.createRoom();
  let joined = 0;
  for (const s of sessions.slice(1)) void s.joinRoom(roomId, ids[0]!).then(() => joined++);
  for (let i = 0; i < 600 && joined < sessions.length - 1; i++) {
    await microtasks();
    for (const p of peers) p.tick(new Uint8Array(1));
    for (const p of peers) p.advanceNetwork(FRAME_MS);
  }
  await microtasks();
  host.start();
  for (let i = 0; i < 600 && !sessions.every((s) => s.currentTick >= 0); i++) {
    for (const p of peers) p.advanceNetwork(FRAME_MS);
    await microtasks();
  }
  return { peers, counters, sessions };
}

async function setupRn(
  scenario: Scenario,
  seed: number,
  ids: string[],
): Promise<{ peers: BenchPeer[]; counters: Counters[]; sessions: RnSession[] }> {
  const transports = createRnGroup(ids, {
    latency: scenario.latency,
    jitter: scenario.jitter,
    packetLoss: scenario.packetLoss,
    deterministic: true,
    seed,
  });
  const counters: Counters[] = [];
  const peers: BenchPeer[] = [];
  const sessions: RnSession[] = [];
  for (const id of ids) {
    const transport = transports.get(id)!;
    const c: Counters = { bytes: 0, messages: 0, micros: 0 };
    countSends(transport, c);
    const game = new BenchGame();
    const session = createRnSession({
      game: game,
      transport,
      config: {
        topology: scenario.mesh ? RnTopology.Mesh : RnTopology.Star,
        maxPlayers: Math.max(4, scenario.players),
      },
    });
    timeHandler(transport, c);
    counters.push(c);
    sessions.push(session);
    const result = { advanced: false, rolledBack: false, rollbackTicks: 0 };
    peers.push({
      game,
      tick(input) {
        const before = session.currentTick;
        const r = session.tick(input);
        result.advanced = session.currentTick !== before;
        result.rolledBack = r.rolledBack;
        result.rollbackTicks = r.rollbackTicks ?? 0;
        return result;
      },
      advanceNetwork: (ms) => transport.tick(ms),
      currentTick: () => session.currentTick,
      frameDelayMultiplier: () => 1,
    });
  }
  const host = sessions[0]!;
  const roomId = await host.createRoom();
  let joined = 0;
  for (const s of sessions.slice(1)) void s.joinRoom(roomId, ids[0]!).then(() => joined++);
  for (let i = 0; i < 600 && joined < sessions.length - 1; i++) {
    await microtasks();
    for (const p of peers) p.advanceNetwork(FRAME_MS);
  }
  await microtasks();
  for (let i = 0; i < 120; i++) {
    for (const p of peers) p.advanceNetwork(FRAME_MS);
    await microtasks();
  }
  host.start();
  for (let i = 0; i < 120; i++) {
    for (const p of peers) p.advanceNetwork(FRAME_MS);
    await microtasks();
  }
  return { peers, counters, sessions };
}

const SCENARIOS: Scenario[] = [
  {
    name: '2 players star, 100 ms RTT, 5% loss',
    players: 2,
    mesh: false,
    latency: 50,
    jitter: 5,
    packetLoss: 0.05,
  },
  {
    name: '4 players star, 100 ms RTT, 5% loss',
    players: 4,
    mesh: false,
    latency: 50,
    jitter: 5,
    packetLoss: 0.05,
  },
  {
    name: '4 players mesh, 100 ms RTT, 5% loss',
    players: 4,
    mesh: true,
    latency: 50,
    jitter: 5,
    packetLoss: 0.05,
  },
  {
    name: '8 players star, 100 ms RTT, 2% loss',
    players: 8,
    mesh: false,
    latency: 50,
    jitter: 5,
    packetLoss: 0.02,
  },
  {
    name: '4 players star, 150 ms RTT, 10% loss',
    players: 4,
    mesh: false,
    latency: 75,
    jitter: 5,
    packetLoss: 0.1,
  },
];

/** Runs of each scenario per library; the CPU figures are their median. */
const REPEATS = 7;
/** Untimed runs of each library before the first table (see sessionSuite). */
const WARM_UP_ROUNDS = 10;

function withMedianCpu(runs: Outcome[]): Outcome {
  return {
    ...runs[0]!,
    cpuMicrosPerTickPerPeer: median(runs.map((o) => o.cpuMicrosPerTickPerPeer)),
    processCpuMicrosPerTickPerPeer: median(runs.map((o) => o.processCpuMicrosPerTickPerPeer)),
    cpuMicrosPerAdvancedTick: median(runs.map((o) => o.cpuMicrosPerAdvancedTick)),
  };
}

/** Runs every session scenario for both libraries and prints one table per scenario. */
export default async function sessionSuite(): Promise<void> {
  const seed = 20_261_121;
  // Warm both libraries up (JIT) first, alternating, so the first table is not penalised: V8
  // keeps tiering code up for several runs of a scenario (a library's CPU per tick in its first
  // run here is several times its steady state, for rbn and rollback-netcode alike).
  for (let w = 0; w < WARM_UP_ROUNDS; w++) {
    const warm: Scenario = { ...SCENARIOS[w % 2]!, name: 'warm-up' };
    await runScenario(warm, seed, async (ids) => setupRbn(warm, seed, ids));
    await runScenario(warm, seed, async (ids) => setupRn(warm, seed, ids));
  }
  for (const scenario of SCENARIOS) {
    // Every run is seeded and identical but for timing: repeat, alternating the libraries, and
    // report the median CPU (the machine's noise dwarfs a 1200-tick run otherwise).
    const rbnRuns: Outcome[] = [];
    const rnRuns: Outcome[] = [];
    for (let r = 0; r < REPEATS; r++) {
      rbnRuns.push(await runScenario(scenario, seed, async (ids) => setupRbn(scenario, seed, ids)));
      rnRuns.push(await runScenario(scenario, seed, async (ids) => setupRn(scenario, seed, ids)));
    }
    const rbn = withMedianCpu(rbnRuns);
    const rn = withMedianCpu(rnRuns);
    const rows: Row[] = [
      {
        // A stalled frame advances no game time, so a library that stalls on most frames looks
        // cheap per frame: read the per-frame CPU rows with this one.
        metric: 'frames in which the game advanced (per peer, input phase)',
        unit: '%',
        rbn: rbn.advancedShare * 100,
        competitor: rn.advancedShare * 100,
      },
      {
        metric: `process CPU per frame per peer, incl. transport (median of ${REPEATS})`,
        unit: 'µs',
        rbn: rbn.processCpuMicrosPerTickPerPeer,
        competitor: rn.processCpuMicrosPerTickPerPeer,
        target: '',
      },
      {
        metric: `session CPU per frame per peer, wall clock (median of ${REPEATS})`,
        unit: 'µs',
        rbn: rbn.cpuMicrosPerTickPerPeer,
        competitor: rn.cpuMicrosPerTickPerPeer,
        target: '',
      },
      {
        metric: `session CPU per advanced tick per peer (median of ${REPEATS}; the fair comparison)`,
        unit: 'µs',
        rbn: rbn.cpuMicrosPerAdvancedTick,
        competitor: rn.cpuMicrosPerAdvancedTick,
        target: '≤ 0.2×',
      },
      {
        metric: 'bytes/s per peer',
        rbn: rbn.bytesPerSecondPerPeer,
        competitor: rn.bytesPerSecondPerPeer,
        target: '≤ 0.4×',
      },
      {
        metric: 'messages/s per peer',
        rbn: rbn.messagesPerSecondPerPeer,
        competitor: rn.messagesPerSecondPerPeer,
        target: '≤ 0.55×',
      },
      { metric: 'rollbacks (all peers)', rbn: rbn.rollbacks, competitor: rn.rollbacks },
      {
        metric: 'mean rollback depth',
        unit: 'ticks',
        rbn: rbn.meanRollbackDepth,
        competitor: rn.meanRollbackDepth,
      },
      {
        metric: 'max rollback depth',
        unit: 'ticks',
        rbn: rbn.maxRollbackDepth,
        competitor: rn.maxRollbackDepth,
      },
      {
        metric: 'rollback asymmetry (most ÷ least rolling peer)',
        rbn: rbn.rollbackAsymmetry,
        competitor: rn.rollbackAsymmetry,
        target: 'close to 1',
      },
      { metric: 'stalled ticks (all peers)', rbn: rbn.stalledTicks, competitor: rn.stalledTicks },
      {
        metric: 'all peers converged',
        rbn: rbn.converged ? 'yes' : 'NO',
        competitor: rn.converged ? 'yes' : 'NO',
        target: 'rbn: yes',
      },
    ];
    printTable(`session: ${scenario.name}, ${TICKS} ticks at 60 Hz (seed ${seed})`, rows);
    if (rn.advancedShare < 0.9) {
      console.log(
        `Note: rollback-netcode advanced in only ${(rn.advancedShare * 100).toFixed(0)} % of its frames (it stalls waiting for inputs), so its CPU per frame counts mostly frames without game progress; the CPU target (≤ 0.2×) is read against CPU per advanced tick, which compares the work of a tick (bench/README.md).\n`,
      );
    }
  }

  // Time sync: two peers whose clocks disagree (peer 0 runs 0.1 % fast and started 250 ms, 15
  // ticks, early). Without time sync the peer that runs ahead does nearly all the rolling back.
  const skewed: Scenario = { ...SCENARIOS[0]!, name: 'skewed clocks' };
  const skew = { rates: [1.001, 1], offsets: [250, 0], seconds: 20 };
  const rbnSkew = await runSkewed(skewed, seed, (ids) => setupRbn(skewed, seed, ids), skew);
  const rnSkew = await runSkewed(skewed, seed, (ids) => setupRn(skewed, seed, ids), skew);
  printTable(
    'session: 2 players star, 100 ms RTT, 5% loss, skewed clocks (peer 0: +0.1 %, 250 ms early), 20 s of real game loops',
    [
      {
        metric: 'rollback asymmetry (most ÷ least rolling peer, after 5 s)',
        rbn: skewAsymmetry(rbnSkew),
        competitor: skewAsymmetry(rnSkew),
        target: 'close to 1',
      },
      {
        metric: 'ticks resimulated, peer 0 / peer 1',
        rbn: rbnSkew.rollbackTicks.join(' / '),
        competitor: rnSkew.rollbackTicks.join(' / '),
      },
      {
        metric: 'ticks advanced in 20 s, peer 0 / peer 1',
        rbn: rbnSkew.ticks.join(' / '),
        competitor: rnSkew.ticks.join(' / '),
      },
      {
        metric: 'largest time-sync multiplier given to the game loop',
        rbn: rbnSkew.multiplierMax,
        competitor: rnSkew.multiplierMax,
      },
      {
        metric: 'all peers converged',
        rbn: rbnSkew.converged ? 'yes' : 'NO',
        competitor: rnSkew.converged ? 'yes' : 'NO',
        target: 'rbn: yes',
      },
    ],
  );
}
