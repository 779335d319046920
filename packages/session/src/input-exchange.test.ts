// Acceptance criteria that had no test of their own: keepalives only on idle links, the host's
// playerJoined before it serializes the joiner's state, late inputs of a departed player ignored.
import { MessageType, encodeMessage, tryDecodeMessage } from '@rbn/protocol';
import type { InputMessage } from '@rbn/protocol';
import { describe, expect, it } from 'vitest';
import { localHarness as harness, settle } from './testing/harness';
import type { Harness, Peer } from './testing/harness';
import { SessionState, Topology } from './types';
import type { SessionConfig } from './types';

describe('Session keepalive', () => {
  it('sends bare keepalives only while a link is idle, never while inputs flow (seed 81)', async () => {
    const h = harness(2, 81, { latency: 10 });
    const counts = { input: 0, ack: 0 };
    const client = h.peers[1]!;
    const send = client.transport.send.bind(client.transport);
    client.transport.send = (peerId, message, reliable) => {
      if (message[0] === MessageType.Input) counts.input++;
      if (message[0] === MessageType.InputAck) counts.ack++;
      send(peerId, message, reliable);
    };
    const roomId = await h.host.session.createRoom();
    const joining = client.session.joinRoom(roomId, 'p0');
    for (let i = 0; i < 30; i++) {
      await settle();
      h.runFrame();
    }
    await joining;
    // Lobby, 2 s: no inputs exist, so keepalives (InputAck) every keepaliveInterval (200 ms).
    counts.input = 0;
    counts.ack = 0;
    h.run(120);
    expect(counts.input).toBe(0);
    expect(counts.ack).toBeGreaterThanOrEqual(8);
    expect(counts.ack).toBeLessThanOrEqual(12);
    // Playing, 2 s: every message carries inputs (with the acks folded in); no bare acks.
    h.host.session.start();
    for (let i = 0; i < 30 && client.session.state !== SessionState.Playing; i++) {
      await settle();
      h.runFrame();
    }
    h.run(10);
    counts.input = 0;
    counts.ack = 0;
    h.run(120);
    expect(counts.input).toBeGreaterThan(25);
    expect(counts.ack).toBe(0);
  });
});

describe('Session input sending', () => {
  /** Records, per frame, what the client hands its transport. */
  async function recordClient(config: Partial<SessionConfig>, latency = 10) {
    const h = harness(2, 82, { latency }, config);
    const client = h.peers[1]!;
    const frames: { type: MessageType; reliable: boolean; bytes: Uint8Array }[][] = [];
    let current: { type: MessageType; reliable: boolean; bytes: Uint8Array }[] = [];
    const send = client.transport.send.bind(client.transport);
    let dropNext = false;
    client.transport.send = (peerId, message, reliable) => {
      current.push({ type: message[0] as MessageType, reliable, bytes: message.slice() });
      if (dropNext && message[0] === MessageType.Input) dropNext = false;
      else send(peerId, message, reliable);
    };
    await h.start();
    h.run(30);
    return {
      h,
      /** The client's next Input message is lost. */
      loseNextInput: () => {
        dropNext = true;
      },
      frame: (input: Uint8Array) => {
        current = [];
        h.host.session.tick(new Uint8Array([1]));
        client.session.tick(input);
        for (const p of h.peers) p.transport.tick(h.frameMs);
        frames.push(current);
        return current;
      },
    };
  }

  it('sends a changed input in the frame it changes, and otherwise every inputHeartbeatTicks frames', async () => {
    const { frame } = await recordClient({});
    const inputsIn = (sent: { type: MessageType }[]) =>
      sent.filter((m) => m.type === MessageType.Input).length;
    for (let f = 0; f < 8; f++) frame(new Uint8Array([5]));
    // Unchanged input: an Input message every 8th frame (the default heartbeat).
    const quiet = Array.from({ length: 16 }, () => inputsIn(frame(new Uint8Array([5]))));
    expect(quiet.reduce((a, b) => a + b, 0)).toBe(2);
    expect(Math.max(...quiet)).toBe(1);
    // A change goes out at once, in its own frame.
    expect(inputsIn(frame(new Uint8Array([6])))).toBe(1);
    expect(inputsIn(frame(new Uint8Array([7])))).toBe(1);
  });

  it('sends a changed input again on the next frame when it is not acknowledged yet (a lost packet costs one frame)', async () => {
    // 50 ms each way: no acknowledgement can come back within a frame or two.
    const { frame, loseNextInput, h } = await recordClient({}, 50);
    const inputRuns = (sent: { type: MessageType; bytes: Uint8Array }[]) =>
      sent.flatMap((m) => {
        const decoded = tryDecodeMessage(m.bytes);
        return decoded.ok && decoded.message.type === MessageType.Input ? decoded.message.runs : [];
      });
    for (let f = 0; f < 30; f++) frame(new Uint8Array([5]));
    loseNextInput();
    const tick = h.peers[1]!.session.currentTick;
    const lost = inputRuns(frame(new Uint8Array([9])));
    expect(lost.some((run) => run.inputs.some((input) => input[0] === 9))).toBe(true);
    // The next frame (input unchanged) carries the changed input again, from its tick on.
    const again = inputRuns(frame(new Uint8Array([9])));
    expect(again.length).toBe(1);
    const run = again[0]!;
    expect(run.startTick).toBeLessThanOrEqual(tick);
    expect(run.inputs[tick - run.startTick]![0]).toBe(9);
    // It arrives: the host holds the changed input a few frames later.
    for (let f = 0; f < 6; f++) frame(new Uint8Array([9]));
    expect(h.host.session.confirmedTick).toBeGreaterThanOrEqual(tick);
  });

  it('sends a change on the next frame and the third too once a message from the peer was lost (seq gap)', async () => {
    const { frame, h } = await recordClient({}, 50);
    const inputsIn = (sent: { type: MessageType }[]) =>
      sent.filter((m) => m.type === MessageType.Input).length;
    // The host's next input message to the client is lost; the client sees the gap in the
    // host's message counter once a few later ones arrive.
    const host = h.host.transport;
    const send = host.send.bind(host);
    let drop = true;
    host.send = (peerId, message, reliable) => {
      if (drop && message[0] === MessageType.Input) drop = false;
      else send(peerId, message, reliable);
    };
    for (let f = 0; f < 60; f++) frame(new Uint8Array([5]));
    expect(drop).toBe(false);
    const counts = [
      frame(new Uint8Array([9])),
      ...Array.from({ length: 6 }, () => frame(new Uint8Array([9]))),
    ].map(inputsIn);
    // The change and two resends, on the next frame and the third (an acknowledgement takes
    // 100 ms), then quiet.
    expect(counts).toEqual([1, 1, 0, 1, 0, 0, 0]);
  });

  it('keeps the heartbeat cadence for an unchanged input once the change is acknowledged', async () => {
    const { frame } = await recordClient({}, 50);
    const inputsIn = (sent: { type: MessageType }[]) =>
      sent.filter((m) => m.type === MessageType.Input).length;
    for (let f = 0; f < 30; f++) frame(new Uint8Array([5]));
    const sent = [
      frame(new Uint8Array([9])),
      ...Array.from({ length: 20 }, () => frame(new Uint8Array([9]))),
    ];
    const counts = sent.map(inputsIn);
    // The change, its one resend, then a heartbeat every 8th frame (no resend every frame).
    expect(counts.slice(0, 2)).toEqual([1, 1]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(2 + 2);
  });

  it('sends an unchanged input again, between heartbeats, once a message from the peer shows the heartbeat lost', async () => {
    const { frame, loseNextInput } = await recordClient({}, 50);
    const inputsIn = (sent: { type: MessageType }[]) =>
      sent.filter((m) => m.type === MessageType.Input).length;
    const counts = () => Array.from({ length: 24 }, () => inputsIn(frame(new Uint8Array([5]))));
    counts(); // the change to 5 and its resend are acknowledged; heartbeats from here on
    const steady = counts();
    expect(steady.reduce((a, b) => a + b, 0)).toBe(3);
    // The next heartbeat is lost: the host's next message (every 8th frame) that left after
    // it should have arrived shows it, and the inputs go out on the frame after (RTT 100 ms).
    loseNextInput();
    const after = counts();
    const sentAt = after.flatMap((n, i) => (n > 0 ? [i] : []));
    expect(
      after.reduce((a, b) => a + b, 0),
      JSON.stringify(after),
    ).toBe(4);
    // Between the lost heartbeat and the next one, or between that and the one after.
    expect(sentAt[1]! - sentAt[0]! < 8 || sentAt[2]! - sentAt[1]! < 8, JSON.stringify(after)).toBe(
      true,
    );
    // The resend does not restart the heartbeat: the next two still go out 8 and 16 frames
    // after the lost one, so the resend and the next heartbeat are two chances, not one.
    expect(sentAt, JSON.stringify(after)).toEqual(
      expect.arrayContaining([sentAt[0]! + 8, sentAt[0]! + 16]),
    );
  });

  it('sends inputs every frame with inputHeartbeatTicks: 1, always on the unreliable channel', async () => {
    const { frame } = await recordClient({ inputHeartbeatTicks: 1 });
    for (let f = 0; f < 60; f++) {
      const inputs = frame(new Uint8Array([5])).filter((m) => m.type === MessageType.Input);
      expect(inputs.length).toBe(1);
      expect(inputs[0]!.reliable).toBe(false);
    }
  });

  it('sends hashes on the reliable channel', async () => {
    const { frame } = await recordClient({ hashInterval: 10 });
    const hashes: boolean[] = [];
    for (let f = 0; f < 120; f++) {
      for (const m of frame(new Uint8Array([f & 3]))) {
        if (m.type === MessageType.Hash) hashes.push(m.reliable);
      }
    }
    expect(hashes.length).toBeGreaterThan(8);
    expect(hashes.every((reliable) => reliable)).toBe(true);
  });
});

/** Calls `seen` with every `Input` message the host sends `peerId`, decoded. */
function inputsTo(h: Harness, peerId: string, seen: (message: InputMessage) => void): void {
  const transport = h.host.transport;
  const send = transport.send.bind(transport);
  transport.send = (to, message, reliable) => {
    const decoded = tryDecodeMessage(message);
    if (to === peerId && decoded.ok && decoded.message.type === MessageType.Input) {
      seen(decoded.message);
    }
    send(to, message, reliable);
  };
}

describe('Session star relay', () => {
  it("relays a guest's changed input to the other guests on receipt, before the host's next tick (seed 84)", async () => {
    const h = harness(3, 84, { latency: 20 });
    await h.start();
    h.inputsChange = false;
    h.run(60);
    const relayed: number[] = [];
    inputsTo(h, 'p2', (message) => {
      for (const run of message.runs) {
        if (run.slot === 1 && run.inputs.some((input) => input[0] === 0x77)) relayed.push(1);
      }
    });
    // Only p1 ticks, with a new input; the host does not tick while the network delivers it.
    h.peers[1]!.session.tick(new Uint8Array([0x77]));
    for (let i = 0; i < 3; i++) for (const p of h.peers) p.transport.tick(h.frameMs);
    expect(relayed.length).toBeGreaterThan(0);
  });

  it("a relay on receipt carries the source's slot only; the host's next frame message carries the rest (seed 85)", async () => {
    const h = harness(3, 85, { latency: 20 });
    await h.start();
    h.inputsChange = false;
    h.run(60);
    const toP2: { slots: number[]; onTick: boolean }[] = [];
    let ticking = false;
    inputsTo(h, 'p2', (message) => {
      toP2.push({ slots: message.runs.map((run) => run.slot), onTick: ticking });
    });
    // p2 acknowledges the host's inputs only with its own messages: some are always pending.
    h.peers[1]!.session.tick(new Uint8Array([0x77]));
    for (let i = 0; i < 3; i++) for (const p of h.peers) p.transport.tick(h.frameMs);
    ticking = true;
    h.host.session.tick();
    expect(toP2).toEqual([
      { slots: [1], onTick: false },
      { slots: [0, 1], onTick: true },
    ]);
  });

  it("a relay on receipt does not put the host's heartbeat off: a guest that acknowledges every relay at once still gets the others' unchanged inputs every inputHeartbeatTicks frames (seed 86)", async () => {
    const h = harness(3, 86, { latency: 0 });
    await h.start();
    h.inputsChange = false;
    h.run(30);
    const [host, p1, p2] = h.peers as [Peer, Peer, Peer];
    let frame = 0;
    const carriedSlot0: number[] = [];
    inputsTo(h, 'p2', (message) => {
      if (message.runs.some((run) => run.slot === 0)) carriedSlot0.push(frame);
    });
    const hostInput = new Uint8Array([1]);
    for (frame = 0; frame < 60; frame++) {
      // p1 changes every third frame: the host relays each change to p2 on receipt.
      p1.session.tick(new Uint8Array([Math.floor(frame / 3) & 0xff]));
      host.transport.tick(0);
      p2.transport.tick(0);
      // p2 changes every frame, so its message acknowledges the relay before the host's next
      // frame: the host sends no copy, and only its heartbeat carries its own, unchanged inputs.
      p2.session.tick(new Uint8Array([frame & 0xff]));
      host.transport.tick(0);
      host.session.tick(hostInput);
      for (const p of h.peers) p.transport.tick(h.frameMs);
    }
    const beats = carriedSlot0.filter((f) => f >= 10);
    const gaps = beats.slice(1).map((f, i) => f - beats[i]!);
    expect(beats.length, `frames: ${carriedSlot0.join()}`).toBeGreaterThanOrEqual(5);
    expect(Math.max(...gaps), `frames: ${carriedSlot0.join()}`).toBeLessThanOrEqual(8);
    expect(p2.session.confirmedTick, 'p2 confirms on').toBeGreaterThan(
      host.session.currentTick - 20,
    );
  });
});

describe('Session late join on the host', () => {
  it('fires playerJoined before it takes the state the joiner gets (seed 82)', async () => {
    const h = harness(3, 82, { latency: 20 });
    await h.start(600, 2);
    h.run(60);
    const order: string[] = [];
    const transport = h.host.transport;
    const send = transport.send.bind(transport);
    transport.send = (peerId, message, reliable) => {
      if (message[0] === MessageType.StateSync) order.push(`state to ${peerId}`);
      send(peerId, message, reliable);
    };
    const game = h.host.game;
    const serialize = game.serialize.bind(game);
    h.host.session.on('playerJoined', (info) => {
      order.push(`joined ${info.playerId}`);
      // The game may touch its state here (the engine's history is what the joiner gets).
      expect(serialize()).toBeInstanceOf(Uint8Array);
    });
    await h.join(2);
    expect(order).toEqual(['joined p2', 'state to p2']);
    expect(h.peers[2]!.session.state).toBe(SessionState.Playing);
  });
});

describe('Session departed players', () => {
  for (const topology of [Topology.Star, Topology.Mesh]) {
    it(`ignores inputs a departed player still sends after its leave tick (${Topology[topology]}, seed 83)`, async () => {
      const seed = 83;
      const h = harness(3, seed, { latency: 20 }, { topology });
      await h.start();
      h.run(100);
      h.host.session.dropPlayer('p2');
      h.run(60);
      const leaveTick = h.host.session.rollbackEngine!.currentTick;
      // p2's transport keeps sending inputs for its old slot, for ticks after it left.
      const ghost = h.peers[2]!;
      // The host closed the link; the ghost opens new ones so its messages do arrive.
      for (const to of ['p0', 'p1']) void ghost.transport.connect(to);
      await settle();
      expect([...ghost.transport.connectedPeers].sort()).toEqual(['p0', 'p1']);
      for (let f = 0; f < 60; f++) {
        for (const to of ['p0', 'p1']) {
          ghost.transport.send(
            to,
            encodeMessage({
              type: MessageType.Input,
              senderTick: leaveTick + f,
              acks: [],
              runs: [{ slot: 2, startTick: leaveTick + f, inputs: [new Uint8Array([0xaa])] }],
            }),
            false,
          );
        }
        h.runFrame();
      }
      // A hash still on its way when it left is not a violation either.
      for (const to of ['p0', 'p1'])
        ghost.transport.send(
          to,
          encodeMessage({ type: MessageType.Hash, tick: 120, hash: 1 }),
          true,
        );
      h.inputsChange = false;
      h.run(60);
      const live = h.peers.slice(0, 2);
      for (const p of live) {
        expect(p.session.players.has('p2'), `seed ${seed} ${p.id}`).toBe(false);
        expect(p.desyncs, `seed ${seed} ${p.id}`).toEqual([]);
        const fromGhost = p.errors.filter((e) => e.context.peerId === 'p2');
        expect(
          fromGhost.map((e) => e.error.message),
          `seed ${seed} ${p.id}`,
        ).toEqual([]);
      }
      let tick = Infinity;
      for (const p of live) tick = Math.min(tick, p.session.confirmedTick + 1);
      const hashes = live.map((p) => p.session.rollbackEngine?.getSnapshot(tick)?.hash);
      expect(hashes[0]).toBeTypeOf('number');
      expect(new Set(hashes).size, `seed ${seed}: hashes ${hashes.join()}`).toBe(1);
      expect(tick, `seed ${seed}`).toBeGreaterThan(leaveTick + 80);
    });
  }
});
