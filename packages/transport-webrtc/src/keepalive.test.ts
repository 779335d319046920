import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import {
  announcedIntervalMs,
  checkPeriodMs,
  checkRanLate,
  forgiveStall,
  keepaliveFrame,
  livenessDecision,
  newLiveness,
  peerTimeoutMs,
} from './keepalive';
import type { KeepaliveSettings } from './keepalive';
import { createTestMesh, waitFor } from './internal/test-mesh';
import type { TestMesh } from './internal/test-mesh';
import type { WebRTCDisconnectReason } from './signaling';
import type { WebRTCImplementation } from './simple-peer-types';
import type { WebRTCTransport } from './webrtc-transport';

const defaults: KeepaliveSettings = { intervalMs: 250, timeoutMs: 1000 };

describe('keepalive decisions', () => {
  it.each([
    // [ms since heard, ms since sent, announced interval, decision]
    [0, 0, 0, 'ok'],
    [200, 249, 0, 'ok'],
    [200, 250, 0, 'send-keepalive'],
    [999, 0, 250, 'ok'],
    [1000, 0, 250, 'timed-out'],
    [1000, 400, 0, 'timed-out'],
    // A hidden peer announced 1000 ms keepalives: its timeout stretches to 4 s.
    [3999, 0, 1000, 'ok'],
    [4000, 0, 1000, 'timed-out'],
  ] as const)(
    'heard %i ms ago, sent %i ms ago, peer announced %i ms: %s',
    (heard, sent, announced, decision) => {
      const now = 10_000;
      const liveness = {
        lastHeardAt: now - heard,
        lastSentAt: now - sent,
        remoteIntervalMs: announced,
      };
      expect(livenessDecision(liveness, now, defaults)).toBe(decision);
    },
  );

  it('does nothing when keepalives and timeouts are off', () => {
    const off = { intervalMs: 0, timeoutMs: 0 };
    expect(livenessDecision(newLiveness(0), 60_000, off)).toBe('ok');
    expect(checkPeriodMs(off)).toBe(0);
    expect(peerTimeoutMs(newLiveness(0), off)).toBe(0);
  });

  it('checks twice per interval', () => {
    expect(checkPeriodMs(defaults)).toBe(125);
    expect(checkPeriodMs({ intervalMs: 0, timeoutMs: 1000 })).toBe(500);
  });

  it('never times a peer out on the check that follows a stall of this side, only after two more periods of silence', () => {
    const period = checkPeriodMs(defaults);
    const liveness = newLiveness(0);
    // The event loop was blocked 3 s: the next check runs late.
    const now = 3000;
    expect(checkRanLate(125, now, period)).toBe(true);
    forgiveStall(liveness, now, defaults, period);
    expect(livenessDecision(liveness, now, defaults)).not.toBe('timed-out');
    expect(livenessDecision(liveness, now + period, defaults)).not.toBe('timed-out');
    expect(livenessDecision(liveness, now + 2 * period, defaults)).toBe('timed-out');
    expect(checkRanLate(now, now + period, period)).toBe(false);
  });

  it('reads only its own frames, with the announced interval bounded', () => {
    expect(announcedIntervalMs(keepaliveFrame(250))).toBe(250);
    expect(announcedIntervalMs(keepaliveFrame(1e9))).toBe(10_000);
    expect(announcedIntervalMs('rbn-keepalive -5')).toBeUndefined();
    expect(announcedIntervalMs('rbn-keepalive x')).toBeUndefined();
    expect(announcedIntervalMs('hello')).toBeUndefined();
    expect(announcedIntervalMs(`rbn-keepalive ${'1'.repeat(100)}`)).toBeUndefined();
  });
});

const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as WebRTCImplementation;

describe('WebRTCTransport keepalive', () => {
  let mesh: TestMesh;
  afterEach(() => mesh.dispose());

  /** Two connected transports on their own injected clocks; `b` never sends keepalives. */
  async function pair(bOptions: { keepaliveIntervalMs?: number } = {}) {
    const clock = { a: 0, b: 0 };
    mesh = createTestMesh({ wrtc, rtcConfiguration: { iceServers: [] }, defaultStunServer: null });
    const a = mesh.add('a', { now: () => clock.a });
    const b = mesh.add('b', { now: () => clock.b, keepaliveTimeoutMs: 0, ...bOptions });
    const gone: { reason: WebRTCDisconnectReason; at: number }[] = [];
    a.onDisconnectReason = (_peer, reason) => gone.push({ reason, at: clock.a });
    const messages: number[] = [];
    a.onMessage = (_peer, bytes) => messages.push(bytes.length);
    await a.connect('b');
    await waitFor(() => b.connectedPeers.has('a'), 'b to accept a');
    return { a, b, clock, gone, messages };
  }

  /** Advances a's clock in steps of `stepMs`, running a's check after each, until `until`. */
  function advance(a: WebRTCTransport, clock: { a: number }, stepMs: number, until: number) {
    while (clock.a < until) {
      clock.a += stepMs;
      a.checkLiveness();
    }
  }

  it('reports a silent peer disconnected (keepalive-timeout) about 1 s after it was last heard', async () => {
    const { a, clock, gone } = await pair({ keepaliveIntervalMs: 0 });
    advance(a, clock, 50, 950);
    expect(gone).toEqual([]);
    expect([...a.connectedPeers]).toEqual(['b']);
    advance(a, clock, 50, 1100);
    expect(gone).toEqual([{ reason: 'keepalive-timeout', at: 1000 }]);
    expect(a.connectedPeers.size).toBe(0);
  });

  it('keeps a peer that only sends keepalives, and never hands them to onMessage', async () => {
    const { a, b, clock, gone, messages } = await pair();
    for (let step = 0; step < 40; step++) {
      // b's clock moves 100 ms; its check sends a keepalive every 250 ms; a waits for it.
      clock.b += 100;
      const before = a.getChannelStats('b')!.keepalivesReceived;
      b.checkLiveness();
      if (b.getChannelStats('a')!.keepalivesSent > 0 && step % 3 === 2) {
        await waitFor(
          () => a.getChannelStats('b')!.keepalivesReceived > before,
          `a to receive b's keepalive (step ${step})`,
        );
      }
      advance(a, clock, 100, clock.a + 100);
    }
    expect(clock.a).toBeGreaterThanOrEqual(4000);
    expect(gone).toEqual([]);
    expect(a.getChannelStats('b')!.keepalivesReceived).toBeGreaterThan(5);
    expect(messages).toEqual([]);
  });

  it('counts any message as a sign of life, and does not time a peer out on a check that ran late', async () => {
    const { a, b, clock, gone, messages } = await pair({ keepaliveIntervalMs: 0 });
    for (let i = 0; i < 10; i++) {
      b.send('a', new Uint8Array([i]), true);
      await waitFor(() => messages.length === i + 1, `message ${i} from b`);
      advance(a, clock, 100, clock.a + 300);
    }
    expect(gone).toEqual([]);
    // a's event loop "stalls" 5 s: the first check after it closes nothing...
    clock.a += 5000;
    a.checkLiveness();
    expect(gone).toEqual([]);
    // ...but b stays silent, so two check periods later it is reported.
    advance(a, clock, 50, clock.a + 300);
    expect(gone.map((g) => g.reason)).toEqual(['keepalive-timeout']);
  });

  it('tells the other side at once when a connection is closed', async () => {
    const { a, b, gone } = await pair();
    b.disconnect('a');
    await waitFor(() => gone.length > 0, "a to see b's close");
    expect(gone[0]!.reason).toBe('remote-closed');
    expect(a.connectedPeers.size).toBe(0);
  });
});
