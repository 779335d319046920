// The quick start of docs/architecture.md, with @rbn/* imports. The document's sessions
// never meet; here (and in the README) the host creates a room, the client joins it, and the
// host starts the game: that is the only addition.
import { createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { createSession } from './index';
import { TestGame as MyGame } from './testing/test-game';

describe('quick start', () => {
  it('two default sessions over createLocalTransportGroup connect, play and match', async () => {
    // Create linked transports
    const transports = createLocalTransportGroup(['host', 'client'], { latency: 50 });
    const t1 = transports.get('host')!;
    const t2 = transports.get('client')!;

    // Create sessions with your game
    const hostGame = new MyGame();
    const clientGame = new MyGame();
    const hostSession = createSession({ game: hostGame, transport: t1 });
    const clientSession = createSession({ game: clientGame, transport: t2 });

    // Meet: the host creates a room, the client joins it, the host starts.
    const roomId = await hostSession.createRoom();
    let joined = false;
    void clientSession.joinRoom(roomId, 'host').then(() => (joined = true));
    const input = new Uint8Array([1]);
    const frame = () => {
      // Simulate ticks
      hostSession.tick(input);
      clientSession.tick(input);
      t1.tick(16);
      t2.tick(16);
    };
    while (!joined) {
      await Promise.resolve();
      frame();
    }
    hostSession.start();
    for (let i = 0; i < 300; i++) frame();

    // The client started one trip later; let it catch up to the host's tick.
    while (clientSession.currentTick < hostSession.currentTick) {
      clientSession.tick(input);
      t1.tick(16);
      t2.tick(16);
    }
    for (let i = 0; i < 10; i++) {
      t1.tick(16);
      t2.tick(16);
    }
    // Verify state matches
    expect(clientSession.currentTick).toBe(hostSession.currentTick);
    expect(hostGame.hash()).toBe(clientGame.hash());
    expect(hostSession.confirmedTick).toBeGreaterThan(250);
  });
});
