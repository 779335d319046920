import { afterEach, describe, expect, it, vi } from 'vitest';
import { TrivialGame } from './games';
import { runRoom } from './measure';
import { rbnRoom, rnRoom, timerOverhead } from './peers';

const SEED = 5;
const RUN = { frames: 240, settle: 240 };

describe('bench rooms', () => {
  it.each([
    ['rollback-netcode', rnRoom],
    ['rbn', rbnRoom],
  ] as const)(
    'counts %s traffic once: the wire carries what the peers receive',
    async (_, make) => {
      const room = await make({ players: 4, mesh: false, seed: SEED }, () => new TrivialGame());
      const o = runRoom(room, { latency: 0, jitter: 0, packetLoss: 0 }, SEED, RUN);
      room.destroy();
      expect(o.messagesPerSecond).toBeGreaterThan(0);
      expect(o.deliveredShare).toBe(1);
      expect(o.convergedPeers).toBe(4);
    },
  );

  it('connects every pair of rollback-netcode mesh guests, and it converges under loss', async () => {
    const room = await rnRoom({ players: 4, mesh: true, seed: SEED }, () => new TrivialGame());
    const o = runRoom(room, { latency: 50, jitter: 5, packetLoss: 0.05 }, SEED, RUN);
    room.destroy();
    expect(o.guestLinksUsed).toBe(3 * 2);
    expect(o.tickSpread).toBe(0);
    expect(o.convergedPeers).toBe(4);
  });

  describe('library CPU', () => {
    afterEach(() => vi.restoreAllMocks());

    it.each([
      ['rollback-netcode', rnRoom],
      ['rbn', rbnRoom],
    ] as const)(
      "leaves out the game's own calls for %s, and reports them in the figure with the game",
      async (_, make) => {
        // A clock that only moves inside the game's steps: 10 µs a step, nothing elsewhere.
        let ms = 0;
        vi.spyOn(performance, 'now').mockImplementation(() => ms);
        class SteppingClockGame extends TrivialGame {
          protected override advance(mix: number): void {
            super.advance(mix);
            ms += 0.01;
          }
        }
        const room = await make(
          { players: 2, mesh: false, seed: SEED },
          () => new SteppingClockGame(),
        );
        const o = runRoom(room, { latency: 50, jitter: 5, packetLoss: 0 }, SEED, RUN);
        room.destroy();
        expect(o.libraryMicrosPerFrame).toBeCloseTo(0, 6);
        expect(o.withGameMicrosPerFrame).toBeCloseTo(o.stepsPerFrame * 10, 3);
        expect(o.stepsPerFrame).toBeGreaterThan(1);
      },
    );

    it('measures what its own timers add: one clock read per timed call, for the library and the game', () => {
      // A clock that moves 1 µs per read and nowhere else.
      let ms = 0;
      vi.spyOn(performance, 'now').mockImplementation(() => (ms += 0.001));
      const o = timerOverhead(new TrivialGame());
      expect(o.perTimedCall).toBeCloseTo(1, 6);
      expect(o.perGameCall).toBeCloseTo(1, 6);
    });

    it.each([
      ['rollback-netcode', rnRoom],
      ['rbn', rbnRoom],
    ] as const)('subtracts the timers from %s per timed call', async (_, make) => {
      const room = await make({ players: 2, mesh: false, seed: SEED }, () => new TrivialGame());
      // A clock that stands still.
      vi.spyOn(performance, 'now').mockImplementation(() => 0);
      const calls = room.peers.map((p) => p.timedCalls);
      const gameCalls = room.peers.map((p) => p.game.ownCalls);
      const overhead = { perTimedCall: 0.5, perGameCall: 0.25 };
      const length = { frames: 240, settle: 0 };
      const o = runRoom(room, { latency: 0, jitter: 0, packetLoss: 0 }, SEED, length, overhead);
      const per = (now: number[], before: number[]): number =>
        now.reduce((s, c, i) => s + c - before[i]!, 0) / length.frames / 2;
      const timed = per(
        room.peers.map((p) => p.timedCalls),
        calls,
      );
      const game = per(
        room.peers.map((p) => p.game.ownCalls),
        gameCalls,
      );
      room.destroy();
      expect(timed).toBeGreaterThanOrEqual(1);
      expect(game).toBeGreaterThan(1);
      // All that is left is what was subtracted.
      expect(o.libraryMicrosPerFrame).toBeCloseTo(-(timed * 0.5 + game * 0.25), 6);
      expect(o.withGameMicrosPerFrame).toBeCloseTo(o.libraryMicrosPerFrame, 6);
    });
  });
});
