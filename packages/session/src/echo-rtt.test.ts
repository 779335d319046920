// Round-trip time while a game runs comes from echoes in the input messages (the newest message
// number received from the peer, and how long it was held), not from pings: the pings stop, the
// RTT stays true, and an echo that fits no message of ours changes nothing.
import { MessageType, encodeMessage } from '@rbn/protocol';
import { describe, expect, it } from 'vitest';
import { Link } from './internal/link';
import { localHarness } from './testing/harness';
import type { Harness } from './testing/harness';
import { Topology } from './types';

/** Counts the Ping messages each peer sends from now on. */
function countPings(h: Harness): number[] {
  const pings = h.peers.map(() => 0);
  h.peers.forEach((p, i) => {
    const send = p.transport.send.bind(p.transport);
    p.transport.send = (to, data, reliable) => {
      if (data[0] === MessageType.Ping) pings[i]!++;
      send(to, data, reliable);
    };
  });
  return pings;
}

/** Expects the RTT of each link (`[from, to]`) in `[low, high)` ms. */
function expectRtt(h: Harness, links: [string, string][], low: number, high: number): void {
  for (const [from, to] of links) {
    const rtt = h.peers.find((p) => p.id === from)!.session.getNetworkStats(to)!.rtt;
    expect(rtt, `${from} → ${to}`).toBeGreaterThanOrEqual(low);
    expect(rtt, `${from} → ${to}`).toBeLessThan(high);
  }
}

describe('Link echoes', () => {
  it('echoes the newest message received, once per interval, with how long it was held', () => {
    const link = new Link('p1', 0);
    expect(link.echoDue(0, 500)).toBe(-1); // nothing received yet
    link.noteReceivedSeq(0, 10);
    link.noteReceivedSeq(1, 20);
    expect(link.echoDue(27.5, 500)).toBe(1);
    expect(link.echoDelay(27.5)).toBe(7);
    link.noteReceivedSeq(2, 30);
    expect(link.echoDue(100, 500)).toBe(-1); // within the interval
    expect(link.echoDue(528, 500)).toBe(2);
    // Nothing new since the last echo: nothing to echo.
    expect(link.echoDue(2000, 500)).toBe(-1);
    // Held past ECHO_HOLD_LIMIT_MS: not echoed (the next message is).
    link.noteReceivedSeq(3, 2100);
    expect(link.echoDue(3200, 500)).toBe(-1);
  });

  it('takes an echo of a message it sent as a round-trip sample, once, and nothing else', () => {
    const link = new Link('p1', 0);
    expect(link.nextSeq(100)).toBe(0);
    expect(link.nextSeq(116)).toBe(1);
    expect(link.takeEcho(1, 10, 226)).toBe(100); // 226 − 116 − 10
    expect(link.takeEcho(1, 10, 226)).toBe(-1); // the network repeated it
    expect(link.takeEcho(7, 0, 230)).toBe(-1); // never sent
    expect(link.takeEcho(0, 200, 230)).toBe(-1); // held longer than the round trip
    expect(link.takeEcho(0, 30, 230)).toBe(100);
  });
});

describe('round-trip time from echoes', () => {
  it('stops pinging once the game runs, and measures the RTT from the echoes (seed 401)', async () => {
    // Mesh: every message leaves on a frame. (A star host's relays leave from the message
    // handler, where the local transport's clocks may differ by up to a frame: see its README.)
    const h = localHarness(3, 401, { latency: 50 }, { topology: Topology.Mesh });
    await h.start();
    h.run(60);
    const pings = countPings(h);
    h.run(300);
    expect(pings).toEqual([0, 0, 0]);
    expectRtt(
      h,
      [
        ['p0', 'p1'],
        ['p0', 'p2'],
        ['p1', 'p2'],
      ],
      99,
      102,
    );
  });

  it('takes out how long the peer held the echo: a quiet peer sends rarely, the RTT stays true (seed 402)', async () => {
    // Unchanged inputs go out on the 30-frame heartbeat: an echo may wait up to half a second.
    const h = localHarness(2, 402, { latency: 40 }, { inputHeartbeatTicks: 30 });
    await h.start();
    h.inputsChange = false;
    h.run(600);
    expectRtt(
      h,
      [
        ['p0', 'p1'],
        ['p1', 'p0'],
      ],
      79,
      82,
    );
  });

  it('pings in the lobby, where no inputs flow (seed 403)', async () => {
    const h = localHarness(2, 403, { latency: 20 });
    const pings = countPings(h);
    const roomId = await h.host.session.createRoom();
    const joined = h.peers[1]!.session.joinRoom(roomId, 'p0');
    let done = false;
    void joined.then(() => (done = true));
    await h.runSettledUntil(() => done, { maxFrames: 300, what: 'the join completes' });
    h.run(120);
    expect(pings[0]! + pings[1]!).toBeGreaterThan(2);
  });

  it('ignores echoes that fit no message it sent: the RTT stays true, no error thrown (seed 404)', async () => {
    const h = localHarness(2, 404, { latency: 30 });
    await h.start();
    h.run(120);
    const victim = h.host;
    const before = victim.session.getNetworkStats('p1')!.rtt;
    for (let i = 0; i < 300; i++) {
      // Far too long held, for every message number: no round trip comes out of it.
      const bytes = encodeMessage({
        ...{ type: MessageType.InputAck, senderTick: 0, acks: [] },
        ...{ seq: 0, echoSeq: i & 0xff, echoDelay: 60_000 },
      });
      h.peers[1]!.transport.send('p0', bytes, false);
    }
    h.run(30);
    expect(victim.session.getNetworkStats('p1')!.rtt).toBeCloseTo(before, 0);
    expect(new Set(h.confirmedHashes().hashes).size).toBe(1);
  });
});
