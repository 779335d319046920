import { createRequire } from 'node:module';
import type { Game } from '@rbn/core';
import type { PlayerId } from '@rbn/protocol';
import { SessionState, createSession } from '@rbn/session';
import type { Session } from '@rbn/session';
import { TransformingTransport } from '@rbn/transport-transform';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestMesh, waitFor } from './internal/test-mesh';
import type { TestMesh } from './internal/test-mesh';
import type { WebRTCImplementation } from './simple-peer-types';

const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as WebRTCImplementation;

let mesh: TestMesh;
afterEach(() => mesh.dispose());

/** Deterministic pseudo-random bytes (xorshift32), so a corrupted byte is easy to place. */
function pattern(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('WebRTCTransport under TransformingTransport', () => {
  it('carries a 1 MB message whole, segmented on the reliable channel (seed 11)', async () => {
    mesh = createTestMesh({ wrtc, rtcConfiguration: { iceServers: [] }, defaultStunServer: null });
    const a = new TransformingTransport(mesh.add('a'));
    const b = new TransformingTransport(mesh.add('b'));
    const got: Uint8Array[] = [];
    b.onMessage = (_from, message) => got.push(message);
    const errors: unknown[] = [];
    b.onError = (error) => errors.push(error);
    await a.connect('b');
    await waitFor(() => b.connectedPeers.has('a'), 'b connected');

    const big = pattern(1_000_000, 11);
    a.send('b', big, true);
    await waitFor(() => got.length === 1, 'the 1 MB message', 10_000);
    expect(errors).toEqual([]);
    expect(got[0]!.byteLength).toBe(big.byteLength);
    expect(Buffer.compare(got[0]!, big), 'seed 11').toBe(0);
  });
});

/** A small deterministic game: every player's input stirs a 32-bit state. */
class MixGame implements Game<Uint8Array> {
  private state = new Uint32Array(4);

  serialize(): Uint8Array {
    return new Uint8Array(this.state.slice().buffer);
  }

  deserialize(data: Uint8Array): void {
    this.state = new Uint32Array(data.slice().buffer);
  }

  step(inputs: Map<PlayerId, Uint8Array>): void {
    const s = this.state;
    for (const id of [...inputs.keys()].sort()) {
      let h = 0x811c9dc5;
      for (const c of id) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
      for (const b of inputs.get(id)!) h = Math.imul(h ^ b, 16777619);
      s[1] = Math.imul(s[1]! ^ h, 2654435761);
    }
    s[2] = (s[2]! + s[1]!) >>> 0;
    s[0] = s[0]! + 1;
  }

  hash(): number {
    let h = 0x811c9dc5;
    for (const word of this.state) h = Math.imul(h ^ word, 16777619);
    return h >>> 0;
  }
}

describe('a two-player @rbn/session game over WebRTCTransport', () => {
  it('plays 240 ticks with changing inputs and both peers confirm equal hashes (seed 3)', async () => {
    mesh = createTestMesh({ wrtc, rtcConfiguration: { iceServers: [] }, defaultStunServer: null });
    const peers = ['host', 'guest'].map((id) => {
      const session = createSession({ game: new MixGame(), transport: mesh.add(id) });
      const problems: string[] = [];
      session.on('desync', (tick) => problems.push(`desync at ${tick}`));
      session.on('error', (error) => problems.push(error.message));
      return { id, session, problems };
    });
    const [host, guest] = peers as [(typeof peers)[0], (typeof peers)[0]];
    const roomId = await host.session.createRoom();
    await guest.session.joinRoom(roomId, 'host');
    host.session.start();
    await waitFor(
      () => peers.every((p) => p.session.state === SessionState.Playing),
      'both peers playing',
    );

    // Tick both peers in real time (inputs change every 8 ticks), then hold inputs still so
    // every tick gets confirmed.
    const input = (player: number, tick: number) =>
      new Uint8Array([(Math.imul(3 + player, 2654435761 + Math.floor(tick / 8)) >>> 24) & 0xff]);
    for (let tick = 0; tick < 300; tick++) {
      peers.forEach((p, i) => p.session.tick(input(i, Math.min(tick, 240))));
      await new Promise((resolve) => setTimeout(resolve, 4));
    }
    const confirmed = (s: Session) => s.confirmedTick;
    await waitFor(() => {
      peers.forEach((p, i) => p.session.tick(input(i, 240)));
      return peers.every((p) => confirmed(p.session) >= 240);
    }, 'tick 240 confirmed everywhere');
    const tick = Math.min(...peers.map((p) => confirmed(p.session)));
    const hashes = peers.map((p) => p.session.rollbackEngine?.getSnapshot(tick)?.hash);
    expect(hashes[0], 'seed 3').toBeTypeOf('number');
    expect(hashes[1], `seed 3, tick ${tick}`).toBe(hashes[0]);
    for (const p of peers) expect(p.problems, p.id).toEqual([]);
    for (const p of peers) p.session.destroy();
  });
});
