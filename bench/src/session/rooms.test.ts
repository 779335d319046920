import { describe, expect, it } from 'vitest';
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
});
