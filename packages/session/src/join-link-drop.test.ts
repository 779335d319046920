// A joiner whose link to the host drops in the middle of the join (a slow machine's transport
// timed the link out before the host's answer arrived) asks again over a new connection, a few
// times, and gets in.
import { MessageType, decodeMessage } from '@rbn/protocol';
import type { TransportAdapter } from '@rbn/protocol';
import { describe, expect, it } from 'vitest';
import { JOIN_ATTEMPTS } from './join-attempt';
import { localHarness } from './testing/harness';
import type { Harness, Peer } from './testing/harness';
import { SessionState, Topology } from './types';

/** Calls `onMessage` of `transport` for every message it receives, after the session's own. */
function watch(transport: TransportAdapter, seen: (peerId: string, type: MessageType) => void) {
  const receive = transport.onMessage!;
  transport.onMessage = (peerId, bytes) => {
    receive(peerId, bytes);
    seen(peerId, decodeMessage(bytes).type);
  };
}

/** `p1` joins the host's room; resolves with its outcome once settled (or frames ran out). */
async function joinP1(h: Harness, roomId: string): Promise<{ joined: boolean; error?: Error }> {
  const outcome: { joined: boolean; error?: Error } = { joined: false };
  h.peers[1]!.session.joinRoom(roomId, 'p0').then(
    () => (outcome.joined = true),
    (error: unknown) => (outcome.error = error as Error),
  );
  await h.runSettledUntil(() => outcome.joined || outcome.error !== undefined, {
    maxFrames: 300,
    what: 'p1 joined or failed',
  });
  return outcome;
}

/** Every peer of `peers` plays after the host starts. */
async function startsPlaying(h: Harness, peers: readonly Peer[]): Promise<void> {
  h.host.session.start();
  await h.runSettledUntil(() => peers.every((p) => p.session.state === SessionState.Playing), {
    maxFrames: 300,
    what: 'everyone plays',
  });
  await h.runSettled(120);
  for (const p of peers) expect(p.session.currentTick, p.id).toBeGreaterThan(60);
}

describe('a join whose link to the host drops before the answer (seed 4401)', () => {
  it('the host admitted it and then lost the link with its answer: it asks again and gets in', async () => {
    const h = localHarness(2, 4401, { latency: 20, jitter: 5 });
    const roomId = await h.host.session.createRoom();
    let requests = 0;
    watch(h.host.transport, (peerId, type) => {
      // The host answered the first request; the link drops with the answer on its way.
      if (type === MessageType.JoinRequest && ++requests === 1) h.host.transport.disconnect(peerId);
    });
    const outcome = await joinP1(h, roomId);
    expect(outcome.error?.message).toBeUndefined();
    expect(requests).toBe(2);
    expect([...h.host.session.players.keys()].sort()).toEqual(['p0', 'p1']);
    expect([...h.peers[1]!.session.players.keys()].sort()).toEqual(['p0', 'p1']);
    await startsPlaying(h, h.peers);
    expect(h.peers.flatMap((p) => p.errors.map((e) => `${p.id}: ${e.error.message}`))).toEqual([]);
  });

  it('only the joiner saw the link go (the host kept it, its answer was lost): the host answers the same request again', async () => {
    const h = localHarness(2, 4402, { latency: 20, jitter: 5 });
    const roomId = await h.host.session.createRoom();
    const joiner = h.peers[1]!;
    const answers: MessageType[] = [];
    const receive = joiner.transport.onMessage!;
    joiner.transport.onMessage = (peerId, bytes) => {
      const type = decodeMessage(bytes).type;
      if (type === MessageType.JoinAccept || type === MessageType.JoinReject) {
        answers.push(type);
        // The first answer is lost, and the joiner's transport reports the link gone (a
        // keepalive timeout on its side only; the host still holds the link).
        if (answers.length === 1) {
          joiner.transport.onDisconnect!(peerId);
          return;
        }
      }
      receive(peerId, bytes);
    };
    const outcome = await joinP1(h, roomId);
    expect(outcome.error?.message).toBeUndefined();
    expect(answers).toEqual([MessageType.JoinAccept, MessageType.JoinAccept]);
    // Seated once: one slot, one playerJoined.
    expect(h.host.session.players.get('p1')?.slot).toBe(1);
    expect(h.host.session.players.size).toBe(2);
    await startsPlaying(h, h.peers);
    expect(h.peers.flatMap((p) => p.errors.map((e) => `${p.id}: ${e.error.message}`))).toEqual([]);
    // Its rejoin token came again with the repeated accept (the first came before it was seated).
    expect(joiner.session.rejoinTicket?.slot).toBe(1);
  });

  it(`asks at most ${JOIN_ATTEMPTS} times, then the join fails`, async () => {
    const h = localHarness(2, 4403, { latency: 20 });
    const roomId = await h.host.session.createRoom();
    let requests = 0;
    watch(h.host.transport, (peerId, type) => {
      if (type !== MessageType.JoinRequest) return;
      requests++;
      h.host.transport.disconnect(peerId);
    });
    const outcome = await joinP1(h, roomId);
    expect(outcome.joined).toBe(false);
    expect(outcome.error?.message).toMatch(/joinRoom: lost the host/);
    expect(requests).toBe(JOIN_ATTEMPTS);
    expect(h.peers[1]!.session.state).toBe(SessionState.Disconnected);
    expect(h.host.session.players.has('p1')).toBe(false);
  });
});

describe.each([
  ['star', Topology.Star, 4411],
  ['mesh', Topology.Mesh, 4412],
])(
  'a late joiner whose link drops with its start state on the way (%s)',
  (_name, topology, seed) => {
    it('asks again with the token the host gave it before the state, and plays in its slot', async () => {
      const h = localHarness(3, seed, { latency: 20, jitter: 5 }, { topology });
      await h.start(600, 2);
      await h.runSettled(60);
      const [host, , late] = h.peers as [Peer, Peer, Peer];
      const left: string[] = [];
      host.session.on('playerLeft', (info) => left.push(info.playerId));
      // The host's first start state for the late joiner is lost with its link, which drops
      // once the accept and the token before it arrived (a big state takes a while).
      const send = host.transport.send.bind(host.transport);
      let states = 0;
      host.transport.send = (to: string, data: Uint8Array, reliable: boolean): void => {
        if (to === late.id && data[0] === MessageType.StateSync && ++states === 1) return;
        send(to, data, reliable);
      };
      watch(late.transport, (peerId, type) => {
        if (type === MessageType.Rejoin && states === 1 && peerId === host.id) {
          queueMicrotask(() => late.transport.disconnect(host.id));
        }
      });
      await h.join(2);
      expect(states, `seed ${h.seed}: the state was sent again`).toBe(2);
      const slot = host.session.players.get(late.id)!.slot;
      expect(late.session.players.get(late.id)?.slot, `seed ${h.seed}`).toBe(slot);
      // It joined away (its slot was kept for it) and comes back by itself.
      await h.runSettledUntil(() => late.session.currentTick > host.session.currentTick - 30, {
        maxFrames: 600,
        what: 'the late joiner playing along',
      });
      await h.runSettled(120);
      expect(left, `seed ${h.seed}`).toEqual([]);
      for (const p of h.peers) {
        expect(p.session.state, `seed ${h.seed}: ${p.id}`).toBe(SessionState.Playing);
        expect(p.session.players.size, `seed ${h.seed}: ${p.id}`).toBe(3);
      }
      h.inputsChange = false;
      await h.runSettled(180);
      const { tick, hashes } = h.confirmedHashes();
      expect(new Set(hashes).size, `seed ${h.seed}: hashes at ${tick}: ${hashes.join()}`).toBe(1);
      expect(hashes[0], `seed ${h.seed}: no snapshot at ${tick}`).toBeDefined();
    });
  },
);
