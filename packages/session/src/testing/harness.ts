import type { TransportAdapter } from '@rbn/protocol';
import { createLocalTransportGroup } from '@rbn/transport-local';
import { createSession } from '../session';
import type { Session } from '../session';
import { SessionState } from '../types';
import type { ErrorContext, SessionConfig } from '../types';
import { TestGame, scheduledInput } from './test-game';
import { yieldToEventLoop } from './yield';

/** A transport with virtual time (LocalTransport), as the harness needs it. */
export type VirtualTransport = TransportAdapter & { tick(ms: number): void; readonly now: number };

/** One peer of a harness run. */
export type Peer = {
  id: string;
  session: Session;
  game: TestGame;
  transport: VirtualTransport;
  errors: { error: Error; context: ErrorContext }[];
  desyncs: { tick: number; local: number; remote: number }[];
  synced: number[];
  rollbacks: number;
  rollbackTicks: number;
  stalls: number;
};

/** How many {@link settle} calls go by between two turns of the event loop. */
const SETTLES_PER_TURN = 50;
let settlesSinceTurn = 0;

/**
 * Lets promise callbacks (transport connects, join answers) run; every
 * {@link SETTLES_PER_TURN}th call, the event loop turns too ({@link yieldToEventLoop}), so a
 * sweep that settles each frame never blocks the worker for long. The turn changes no result:
 * with a turn at every call, every harness of the session suite ended in the same state.
 */
export async function settle(): Promise<void> {
  for (let i = 0; i < 8; i++) await Promise.resolve();
  if (++settlesSinceTurn >= SETTLES_PER_TURN) {
    settlesSinceTurn = 0;
    await yieldToEventLoop();
  }
}

/** How long {@link Harness.runUntil} and {@link Harness.runSettledUntil} wait, and for what. */
export type RunUntilOptions = {
  /** How many frames at most before it throws. */
  maxFrames: number;
  /** What the condition means, for the error when it does not hold in time ("p2 is back"). */
  what: string;
};

/** Network conditions of {@link localHarness}'s transports. */
export type LocalNetwork = { latency?: number; jitter?: number; packetLoss?: number };

/**
 * A harness of `n` peers (`p0`, `p1`, …) over one seeded local transport group.
 * @param n - How many peers.
 * @param seed - Seeds the network and the scheduled inputs.
 * @param net - Latency, jitter and loss of every link.
 * @param config - The session config every peer uses.
 * @returns The harness.
 */
export function localHarness(
  n: number,
  seed: number,
  net: LocalNetwork = {},
  config: Partial<SessionConfig> = {},
): Harness {
  const ids = Array.from({ length: n }, (_, i) => `p${i}`);
  return new Harness(createLocalTransportGroup(ids, { ...net, seed }), seed, config);
}

/**
 * Runs N sessions over virtual-time transports in lockstep frames: each frame every session
 * ticks with its scheduled input, then every transport advances one frame of time.
 */
export class Harness {
  readonly peers: Peer[] = [];
  frame = 0;
  readonly frameMs: number;
  /** When false, every peer repeats its last input (a quiet phase for convergence checks). */
  inputsChange = true;

  constructor(
    transports: Map<string, VirtualTransport>,
    readonly seed: number,
    config: Partial<SessionConfig> = {},
    gameSize = 16,
    metadataOf?: (id: string) => Uint8Array,
  ) {
    this.frameMs = 1000 / (config.tickRate ?? 60);
    for (const [id, transport] of transports) {
      const game = new TestGame(gameSize);
      const session = createSession({
        game,
        transport,
        config,
        clock: { now: () => transport.now },
        ...(metadataOf ? { metadata: metadataOf(id) } : {}),
      });
      const peer: Peer = {
        id,
        session,
        game,
        transport,
        errors: [],
        desyncs: [],
        synced: [],
        rollbacks: 0,
        rollbackTicks: 0,
        stalls: 0,
      };
      session.on('error', (error, context) => peer.errors.push({ error, context }));
      session.on('desync', (tick, local, remote) => peer.desyncs.push({ tick, local, remote }));
      session.on('stateSynced', (tick) => peer.synced.push(tick));
      this.peers.push(peer);
    }
  }

  get host(): Peer {
    return this.peers[0]!;
  }

  /**
   * Host creates a room, peers 1..`members - 1` join, the host starts; resolves when they all
   * play. The other peers stay out (join later with {@link Harness.join}).
   */
  async start(maxFrames = 600, members = this.peers.length): Promise<void> {
    const roomId = await this.host.session.createRoom();
    const joins = this.peers
      .slice(1, members)
      .map((p) => p.session.joinRoom(roomId, this.host.transport.localPeerId));
    let joined = false;
    void Promise.all(joins).then(() => {
      joined = true;
    });
    await this.runSettledUntil(() => joined, { maxFrames, what: 'the joins complete' });
    await settle();
    this.host.session.start();
    const playing = this.peers.slice(0, members);
    await this.runSettledUntil(
      () => playing.every((p) => p.session.state === SessionState.Playing),
      { maxFrames, what: 'every peer reaches Playing' },
    );
  }

  /** Peer `index` joins the host's room (a game in progress); resolves once it plays. */
  async join(index: number, maxFrames = 600): Promise<void> {
    const peer = this.peers[index]!;
    const joining = peer.session.joinRoom(
      this.host.session.roomId!,
      this.host.transport.localPeerId,
    );
    const outcome: { error?: Error } = {};
    joining.catch((e: unknown) => {
      outcome.error = e instanceof Error ? e : new Error('join failed');
    });
    await this.runSettledUntil(
      () => {
        if (outcome.error) throw outcome.error;
        const state = peer.session.state;
        return state === SessionState.Playing || state === SessionState.Paused;
      },
      { maxFrames, what: `${peer.id} gets into the game` },
    );
  }

  /** One lockstep frame. */
  runFrame(): void {
    const f = this.frame++;
    for (let i = 0; i < this.peers.length; i++) {
      const peer = this.peers[i]!;
      const input = scheduledInput(this.seed, i, this.inputsChange ? f : 0);
      const r = peer.session.tick(input);
      if (r.rolledBack) {
        peer.rollbacks++;
        peer.rollbackTicks += r.rollbackTicks;
      }
      if (r.stalled) peer.stalls++;
    }
    for (const peer of this.peers) peer.transport.tick(this.frameMs);
  }

  /** Runs `frames` lockstep frames back to back (promise callbacks wait until the next await). */
  run(frames: number): void {
    for (let i = 0; i < frames; i++) this.runFrame();
  }

  /**
   * Runs `frames` lockstep frames, letting promise callbacks (transport connects, join answers)
   * run before each.
   */
  async runSettled(frames: number): Promise<void> {
    for (let i = 0; i < frames; i++) {
      await settle();
      this.runFrame();
    }
  }

  /**
   * Runs lockstep frames until `condition` holds (checked before each frame and after the last);
   * no promise callback runs in between (see {@link Harness.runSettledUntil}).
   * @param condition - What to wait for.
   * @param options - How many frames at most, and what the condition means.
   * @param beforeFrame - Runs before each frame in which the condition did not hold yet (to
   *   sample state on the way).
   * @returns How many frames it ran.
   * @throws Error naming the seed, `what` and `maxFrames` when the condition did not hold in time.
   */
  runUntil(condition: () => boolean, options: RunUntilOptions, beforeFrame?: () => void): number {
    for (let frames = 0; frames < options.maxFrames; frames++) {
      if (condition()) return frames;
      beforeFrame?.();
      this.runFrame();
    }
    if (condition()) return options.maxFrames;
    throw this.notInTime(options);
  }

  /**
   * Runs lockstep frames, letting promise callbacks run before each, until `condition` holds
   * (checked before each frame and after the last).
   * @param condition - What to wait for.
   * @param options - How many frames at most, and what the condition means.
   * @returns How many frames it ran.
   * @throws Error naming the seed, `what` and `maxFrames` when the condition did not hold in time.
   */
  async runSettledUntil(condition: () => boolean, options: RunUntilOptions): Promise<number> {
    for (let frames = 0; frames < options.maxFrames; frames++) {
      if (condition()) return frames;
      await settle();
      this.runFrame();
    }
    if (condition()) return options.maxFrames;
    throw this.notInTime(options);
  }

  private notInTime({ maxFrames, what }: RunUntilOptions): Error {
    return new Error(`seed ${this.seed}: after ${maxFrames} frames, still waiting for: ${what}`);
  }

  /**
   * The hash of the newest state every peer has confirmed, per peer (all equal when the
   * peers agree), and that tick.
   */
  confirmedHashes(): { tick: number; hashes: (number | undefined)[] } {
    let tick = Infinity;
    for (const p of this.peers) tick = Math.min(tick, p.session.confirmedTick + 1);
    const hashes = this.peers.map((p) => p.session.rollbackEngine?.getSnapshot(tick)?.hash);
    return { tick, hashes };
  }
}
