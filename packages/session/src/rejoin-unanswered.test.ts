// A member that reconnected to the host asks again, once a second, until the host answers its
// rejoin (a spectator gets a state, a player hears it is away) or its window ends; and the host
// answers every ask: a spectator's token is not spent by an answer that may never arrive, and a
// player whose link dropped on its side only (the host still held it) is marked away then.
import { MessageType, decodeMessage } from '@rbn/protocol';
import type { TransportAdapter } from '@rbn/protocol';
import { LocalTransport, createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { Harness, settle } from './testing/harness';
import type { Peer } from './testing/harness';
import { PlayerRole, SessionState, Topology } from './types';
import type { SessionConfig } from './types';

/** Three players (p0 hosts) and a spectator, `spec`. */
function harness(seed: number, config: Partial<SessionConfig> = {}) {
  const net = createLocalTransportGroup(['p0', 'p1', 'p2', 'spec'], {
    latency: 20,
    jitter: 5,
    seed,
  });
  const h = new Harness(net, seed, { hashInterval: 10, ...config });
  h.peers[3]!.session.setLocalRole(PlayerRole.Spectator);
  const hashes = h.peers.map((p) => {
    const seen = new Map<number, number>();
    p.session.on('confirmedHash', (tick, hash) => seen.set(tick, hash));
    return seen;
  });
  const left: string[] = [];
  for (const p of h.peers) p.session.on('playerLeft', (info) => left.push(info.playerId));
  const cut = (a: string, b: string) => LocalTransport.unlink(net.get(a)!, net.get(b)!);
  const mend = (a: string, b: string) => LocalTransport.link(net.get(a)!, net.get(b)!);
  return { h, hashes, left, cut, mend };
}

/** Runs frames, letting the transports' connects (promises) settle before each. */
async function run(h: Harness, frames: number, each?: () => void): Promise<void> {
  for (let i = 0; i < frames; i++) {
    await settle();
    each?.();
    h.runFrame();
  }
}

/**
 * Calls `seen` with every message `transport` receives, before the session gets it; a `true`
 * from it drops the message instead.
 */
function intercept(
  transport: TransportAdapter,
  seen: (peerId: string, type: MessageType, slot: number) => boolean | void,
): void {
  const receive = transport.onMessage!;
  transport.onMessage = (peerId, bytes) => {
    const message = decodeMessage(bytes);
    const slot = 'slot' in message ? message.slot : -1;
    if (seen(peerId, message.type, slot) === true) return;
    receive(peerId, bytes);
  };
}

/** The peer plays on: its tick moves on, and it agrees with p1 on every tick both confirmed. */
async function playsOn(
  h: Harness,
  peer: Peer,
  stoodAt: number,
  mine: Map<number, number>,
  theirs: Map<number, number>,
): Promise<void> {
  expect(peer.session.state, `seed ${h.seed}`).toBe(SessionState.Playing);
  expect(peer.session.currentTick, `seed ${h.seed}: stood at ${stoodAt}`).toBeGreaterThan(
    stoodAt + 100,
  );
  const tick = peer.session.currentTick;
  await run(h, 60);
  expect(peer.session.currentTick, `seed ${h.seed}`).toBeGreaterThan(tick + 40);
  let common = 0;
  for (const [t, hash] of mine) {
    if (t <= stoodAt || !theirs.has(t)) continue;
    common++;
    expect(hash, `seed ${h.seed}: tick ${t}`).toBe(theirs.get(t));
  }
  expect(common, `seed ${h.seed}: ticks confirmed after it came back`).toBeGreaterThan(5);
  expect(peer.desyncs).toEqual([]);
}

describe.each([
  ['star', Topology.Star, 2301],
  ['mesh', Topology.Mesh, 2302],
])('a spectator whose rejoin goes unanswered (%s)', (_name, topology, seed) => {
  it('its link drops again as the host answers (the state is lost with it): it asks again with the same token and watches on', async () => {
    const { h, hashes, left, cut, mend } = harness(seed, { topology });
    const spec = h.peers[3]!;
    await h.start(600, 4);
    await run(h, 150);
    const slot = spec.session.players.get('spec')!.slot;
    let rejoins = 0;
    let mendAt = -1;
    intercept(h.host.transport, (peerId, type) => {
      if (peerId !== 'spec' || type !== MessageType.Rejoin) return;
      // The host answers this one, then the link drops with the answer on its way (once).
      if (++rejoins === 1) {
        void Promise.resolve().then(() => cut('spec', 'p0'));
        mendAt = h.frame + 60;
      }
    });
    cut('spec', 'p0');
    await run(h, 120);
    const stoodAt = spec.session.currentTick;
    mend('spec', 'p0');
    await run(h, 360, () => {
      if (h.frame === mendAt) mend('spec', 'p0');
    });
    expect(rejoins, `seed ${h.seed}: it asked again after the second drop`).toBeGreaterThan(1);
    expect(left, `seed ${h.seed}: nobody leaves`).toEqual([]);
    expect(h.host.session.players.get('spec')?.slot).toBe(slot);
    await playsOn(h, spec, stoodAt, hashes[3]!, hashes[1]!);
    const stale = h.host.errors.filter((e) => /stale rejoin token/.test(e.error.message));
    expect(stale.map((e) => e.error.message)).toEqual([]);
    expect(spec.errors.map((e) => e.error.message)).toEqual([]);
    expect(spec.rollbacks, 'a spectator never rolls back').toBe(0);
  });

  it('its rejoin is lost on a link that stays up: it asks again, once a second, and watches on', async () => {
    const { h, hashes, left, cut, mend } = harness(seed + 10, { topology });
    const spec = h.peers[3]!;
    await h.start(600, 4);
    await run(h, 150);
    let rejoins = 0;
    intercept(h.host.transport, (peerId, type) => {
      if (peerId !== 'spec' || type !== MessageType.Rejoin) return;
      return ++rejoins === 1; // the first never reaches the host's session
    });
    cut('spec', 'p0');
    await run(h, 120);
    const stoodAt = spec.session.currentTick;
    mend('spec', 'p0');
    await run(h, 300);
    expect(rejoins, `seed ${h.seed}`).toBe(2);
    expect(left, `seed ${h.seed}: nobody leaves`).toEqual([]);
    await playsOn(h, spec, stoodAt, hashes[3]!, hashes[1]!);
    expect(spec.errors.map((e) => e.error.message)).toEqual([]);
  });
});

describe('a player whose rejoin goes unanswered (star)', () => {
  it('its rejoin is lost on a link that stays up: it asks again and is back in its slot', async () => {
    const { h, hashes, left, cut, mend } = harness(2311);
    const guest = h.peers[2]!;
    await h.start(600, 4);
    await run(h, 150);
    const back: string[] = [];
    h.host.session.on('playerBack', (id) => back.push(id));
    let rejoins = 0;
    intercept(h.host.transport, (peerId, type) => {
      if (peerId !== 'p2' || type !== MessageType.Rejoin) return;
      return ++rejoins === 1;
    });
    cut('p2', 'p0');
    await run(h, 120);
    const stoodAt = guest.session.currentTick;
    mend('p2', 'p0');
    await run(h, 300);
    expect(rejoins, `seed ${h.seed}`).toBe(2);
    expect(back, `seed ${h.seed}`).toEqual(['p2']);
    expect(left, `seed ${h.seed}: nobody leaves`).toEqual([]);
    await playsOn(h, guest, stoodAt, hashes[2]!, hashes[1]!);
  });

  it('it stepped away, and the state it was to come back from is lost with its link: it reconnects, takes the away window the host opened meanwhile, and comes back', async () => {
    const { h, hashes, left, cut, mend } = harness(2313);
    const guest = h.peers[2]!;
    await h.start(600, 4);
    await run(h, 150);
    const back: string[] = [];
    h.host.session.on('playerBack', (id) => back.push(id));
    let cutAt = -1;
    intercept(guest.transport, (_peerId, type, slot) => {
      if (cutAt >= 0 || type !== MessageType.PlayerBack || slot !== 2) return;
      // The host's answer: the link drops with it.
      cutAt = h.frame;
      void Promise.resolve().then(() => cut('p2', 'p0'));
      return true;
    });
    guest.session.setAway(true);
    await run(h, 60);
    guest.session.setAway(false);
    const stoodAt = guest.session.currentTick;
    await run(h, 400, () => {
      if (cutAt >= 0 && h.frame === cutAt + 60) mend('p2', 'p0');
    });
    expect(cutAt, `seed ${h.seed}`).toBeGreaterThan(0);
    expect(back, `seed ${h.seed}: back, lost, back`).toEqual(['p2', 'p2']);
    expect(left, `seed ${h.seed}: nobody leaves`).toEqual([]);
    await playsOn(h, guest, stoodAt, hashes[2]!, hashes[1]!);
    expect(guest.errors.map((e) => e.error.message)).toEqual([]);
  });

  it('only its side saw the link drop (the host still holds it, and does not mark silent players away): the host marks it away when it asks, and it comes back', async () => {
    const { h, hashes, left } = harness(2312, { awayAfterMs: 0 });
    const guest = h.peers[2]!;
    await h.start(600, 4);
    await run(h, 150);
    const back: string[] = [];
    h.host.session.on('playerBack', (id) => back.push(id));
    // Its transport reports the host's link gone (a keepalive timeout on its side only).
    guest.transport.onDisconnect!('p0');
    const stoodAt = guest.session.currentTick;
    await run(h, 300);
    expect(back, `seed ${h.seed}`).toEqual(['p2']);
    expect(left, `seed ${h.seed}: nobody leaves`).toEqual([]);
    await playsOn(h, guest, stoodAt, hashes[2]!, hashes[1]!);
  });
});
