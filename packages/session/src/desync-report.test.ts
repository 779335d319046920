import { encodeMessage, MessageType } from '@rbn/protocol';
import { createLocalTransportGroup } from '@rbn/transport-local';
import type { LocalTransport } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import type { DesyncReport, DesyncReportOptions } from './desync-report';
import { bisectIncident, decodeIncident } from './replay/incident';
import { createSession } from './session';
import type { Session } from './session';
import { DriftGame } from './testing/drift-game';
import { scheduledInput } from './testing/test-game';
import { SessionState, Topology } from './types';
import type { ErrorContext } from './types';

/** Ticks at which the guest's game drifts (`players[1].x += 7`). */
const DRIFT = new Set([100, 101, 102]);
const HASH_INTERVAL = 20;
/** The first hashed state after the drift: S(101)..S(103) drift, S(120) is compared. */
const DESYNC_TICK = 120;

type Side = {
  id: string;
  session: Session;
  game: DriftGame;
  transport: LocalTransport;
  reports: DesyncReport[];
  synced: number[];
  errors: { error: Error; context: ErrorContext }[];
};

async function twoPlayers(
  seed: number,
  topology: Topology,
  desyncReports?: Partial<DesyncReportOptions>,
) {
  const transports = createLocalTransportGroup(['host', 'guest'], { latency: 30, seed });
  const sides: Side[] = ['host', 'guest'].map((id) => {
    const game = new DriftGame(id === 'guest' ? DRIFT : new Set());
    const transport = transports.get(id)!;
    const session = createSession({
      game,
      transport,
      config: { topology, hashInterval: HASH_INTERVAL },
      clock: { now: () => transport.now },
      ...(desyncReports ? { desyncReports } : {}),
    });
    const side: Side = { id, session, game, transport, reports: [], synced: [], errors: [] };
    session.on('desyncReport', (r) => side.reports.push(r));
    session.on('stateSynced', (t) => side.synced.push(t));
    session.on('error', (error, context) => side.errors.push({ error, context }));
    return side;
  });
  let frame = 0;
  const step = () => {
    const f = frame++;
    sides.forEach((s, i) => s.session.tick(scheduledInput(seed, i, f)));
    for (const s of sides) s.transport.tick(1000 / 60);
  };
  const [host, guest] = sides as [Side, Side];
  const roomId = await host.session.createRoom();
  let joined = false;
  void guest.session.joinRoom(roomId, 'host').then(() => (joined = true));
  for (let i = 0; i < 600 && !joined; i++) {
    for (let k = 0; k < 8; k++) await Promise.resolve();
    step();
  }
  if (!joined) throw new Error(`seed ${seed}: the guest did not join`);
  host.session.start();
  for (let i = 0; i < 600 && !sides.every((s) => s.session.state === SessionState.Playing); i++) {
    step();
  }
  return { host, guest, sides, step };
}

/** Runs until `done` or `cap` frames; says what was slow when the cap is hit. */
function runUntil(step: () => void, done: () => boolean, cap: number, what: string): void {
  for (let i = 0; i < cap; i++) {
    if (done()) return;
    step();
  }
  if (!done()) throw new Error(`no ${what} within ${cap} frames`);
}

describe('desync reports', () => {
  for (const topology of [Topology.Star, Topology.Mesh]) {
    it(`2 players (${Topology[topology]}), one game drifting 3 ticks: both peers get a report with both states and a diff naming players[1].x, then recover (seed 7)`, async () => {
      const seed = 7;
      const { host, guest, sides, step } = await twoPlayers(seed, topology);
      runUntil(step, () => sides.every((s) => s.reports.length > 0), 1500, 'desyncReport');

      for (const side of sides) {
        const other = side === host ? guest : host;
        const report = side.reports[0]!;
        expect(report.tick, `seed ${seed}, ${side.id}`).toBe(DESYNC_TICK);
        expect(report.peerId).toBe(other.id);
        expect(report.localState).not.toEqual(report.remoteState);
        expect(report.diff.paths?.map((p) => p.path)).toEqual(['players[1].x']);
        expect(report.diff.byteRanges.length).toBeGreaterThan(0);
        // players[1].x is bytes 12..15 of the state.
        for (const r of report.diff.byteRanges) {
          expect(r.start).toBeGreaterThanOrEqual(12);
          expect(r.end).toBeLessThanOrEqual(16);
        }
      }
      // Each side's local state is the other's remote state; the guest's x is 21 ahead.
      expect(host.reports[0]!.localState).toEqual(guest.reports[0]!.remoteState);
      expect(guest.reports[0]!.localState).toEqual(host.reports[0]!.remoteState);
      const change = guest.reports[0]!.diff.paths![0]!;
      expect(change.local).toBe((change.remote as number) + 21);
      expect(change.text).toBe(`players[1].x: ${String(change.local)} → ${String(change.remote)}`);

      // Recovery as before: the guest loads the host's state and the two agree again.
      for (let i = 0; i < 240; i++) step();
      expect(guest.synced.length, `seed ${seed}`).toBeGreaterThan(0);
      const tick = Math.min(host.session.confirmedTick, guest.session.confirmedTick) + 1;
      expect(tick).toBeGreaterThan(DESYNC_TICK + 100);
      const hashes = sides.map((s) => s.session.rollbackEngine?.getSnapshot(tick)?.hash);
      expect(hashes[0]).toBeDefined();
      expect(hashes[0]).toBe(hashes[1]);
      expect(sides.flatMap((s) => s.errors.map((e) => e.error.message))).toEqual([]);
    });
  }

  it('replaying the incident names the first diverging tick; two runs of one build agree (seed 7)', async () => {
    const { guest, sides, step } = await twoPlayers(7, Topology.Star);
    runUntil(step, () => sides.every((s) => s.reports.length > 0), 1500, 'desyncReport');
    const file = guest.reports[0]!.incident;
    const incident = decodeIncident(file);
    expect(incident.tick).toBe(DESYNC_TICK);
    expect(incident.peerId).toBe('host');
    expect(incident.localState).toEqual(guest.reports[0]!.localState);
    expect(incident.remoteState).toEqual(guest.reports[0]!.remoteState);

    const clean = () => new DriftGame();
    const drifting = () => new DriftGame(DRIFT);
    // The replay starts at the previous hashed tick (agreed on); the drift of tick 100 makes
    // S(101) the first state that differs.
    const split = bisectIncident(file, clean, drifting);
    expect(split.startTick).toBe(DESYNC_TICK - HASH_INTERVAL);
    expect(split.finalTick).toBe(DESYNC_TICK);
    expect(split.firstDivergentTick).toBe(101);
    expect(split.hashA).not.toBe(split.hashB);
    // The guest's incident replays to the guest's own (drifted) state.
    expect(bisectIncident(file, drifting, clean).reproducesLocal).toBe(true);
    expect(bisectIncident(file, clean).firstDivergentTick).toBeNull();
  });

  it('with reports off, nothing is exchanged and recovery still happens (seed 7)', async () => {
    const { guest, sides, step } = await twoPlayers(7, Topology.Star, { enabled: false });
    runUntil(step, () => guest.synced.length > 0, 1500, 'state sync');
    for (let i = 0; i < 120; i++) step();
    expect(sides.map((s) => s.reports.length)).toEqual([0, 0]);
  });

  it('a state over maxStateBytes gives no report and an error saying why (seed 7)', async () => {
    const { guest, sides, step } = await twoPlayers(7, Topology.Star, { maxStateBytes: 8 });
    runUntil(step, () => guest.synced.length > 0, 1500, 'state sync');
    for (let i = 0; i < 120; i++) step();
    expect(sides.map((s) => s.reports.length)).toEqual([0, 0]);
    const codes = sides.flatMap((s) => s.errors.map((e) => (e.error as { code?: string }).code));
    expect(codes).toContain('DESYNC_REPORT_SKIPPED');
  });

  it('an unsolicited state is refused with a peer error and changes nothing (seed 7)', async () => {
    const { host, guest, step } = await twoPlayers(7, Topology.Star);
    for (let i = 0; i < 30; i++) step();
    const bytes = encodeMessage({
      type: MessageType.DesyncState,
      tick: 60,
      totalBytes: 4,
      offset: 0,
      chunk: new Uint8Array([1, 2, 3, 4]),
    });
    guest.transport.send('host', bytes, true);
    for (let i = 0; i < 10; i++) step();
    expect(host.reports).toEqual([]);
    expect(host.errors.map((e) => [e.context.source, e.context.peerId])).toEqual([
      ['peer', 'guest'],
    ]);
    expect(host.errors[0]!.error.message).toMatch(/nobody asked for/);
  });

  it('a state request for a tick that is not a confirmed hashed tick is refused and answered with nothing (seed 7)', async () => {
    const { host, guest, step } = await twoPlayers(7, Topology.Star);
    for (let i = 0; i < 30; i++) step();
    const answers: number[] = [];
    const onMessage = guest.transport.onMessage;
    guest.transport.onMessage = (from, bytes) => {
      if (bytes[0] === MessageType.DesyncState) answers.push(bytes.length);
      onMessage?.(from, bytes);
    };
    for (const tick of [7, 100_000]) {
      guest.transport.send(
        'host',
        encodeMessage({ type: MessageType.DesyncStateRequest, tick }),
        true,
      );
    }
    for (let i = 0; i < 10; i++) step();
    expect(answers).toEqual([]);
    expect(host.errors.map((e) => e.error.message)).toEqual([
      expect.stringMatching(/tick 7, which is not a confirmed hashed tick/),
      expect.stringMatching(/tick 100000, which is not a confirmed hashed tick/),
    ]);
  });
});
