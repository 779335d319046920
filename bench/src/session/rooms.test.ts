import { afterEach, describe, expect, it, vi } from 'vitest';
import { TrivialGame } from './games';
import { runRoom } from './measure';
import { rbnRoom, rnRoom } from './peers';

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
  });
});
