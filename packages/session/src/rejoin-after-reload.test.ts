import { RbnError } from '@rbn/protocol';
import { LocalTransport, createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import type { RejoinTicket } from './reconnect';
import { createSession } from './session';
import { Harness } from './testing/harness';
import type { Peer } from './testing/harness';
import { TestGame } from './testing/test-game';
import { SessionState, Topology } from './types';
import type { SessionConfig } from './types';

/**
 * A reloaded page: its session and transport are gone, a fresh session on a transport with
 * the same peer id (the signaling server resumed it) takes the slot back with the old
 * session's rejoin ticket.
 */

const NET = { latency: 20, jitter: 5 };

function harness(seed: number, config: Partial<SessionConfig>) {
  const transports = createLocalTransportGroup(['p0', 'p1', 'p2'], { ...NET, seed });
  return { h: new Harness(transports, seed, config), transports };
}

/** The page of `h.peers[index]` closes: its links drop, and its session is gone. */
function closePage(h: Harness, transports: Map<string, LocalTransport>, index: number): void {
  const old = h.peers[index]!;
  for (const [id, t] of transports)
    if (id !== old.id) LocalTransport.unlink(old.transport as LocalTransport, t);
  old.session.destroy();
  h.peers.splice(index, 1); // a closed page does not tick
}

/** The page reopens: a fresh session on a fresh transport with the old peer id, in the harness. */
function reopenPage(
  h: Harness,
  transports: Map<string, LocalTransport>,
  index: number,
  seed: number,
): Peer {
  const id = `p${index}`;
  const transport = new LocalTransport(id, { ...NET, seed: seed + 100 });
  transport.tick(h.host.transport.now); // the same virtual time as the others
  for (const [other, t] of transports) if (other !== id) LocalTransport.link(transport, t);
  transports.set(id, transport);
  const game = new TestGame(16);
  const session = createSession({ game, transport, clock: { now: () => transport.now } });
  const peer: Peer = {
    ...{ id, session, game, transport, errors: [], desyncs: [], synced: [] },
    ...{ rollbacks: 0, rollbackTicks: 0, stalls: 0 },
  };
  session.on('error', (error, context) => peer.errors.push({ error, context }));
  session.on('desync', (tick, local, remote) => peer.desyncs.push({ tick, local, remote }));
  h.peers.splice(index, 0, peer);
  return peer;
}

/** Lets `promise` settle while the harness runs; returns its outcome. */
async function runWhile(h: Harness, promise: Promise<void>): Promise<Error | 'ok'> {
  let outcome: Error | 'ok' | undefined;
  promise.then(
    () => (outcome = 'ok'),
    (error: unknown) => (outcome = error instanceof Error ? error : new Error(String(error))),
  );
  await h.runSettledUntil(() => outcome !== undefined, {
    maxFrames: 600,
    what: 'the promise to resolve or reject',
  });
  return outcome!;
}

async function ticketOf(h: Harness, index: number): Promise<RejoinTicket> {
  const session = h.peers[index]!.session;
  await h.runSettledUntil(() => session.rejoinTicket !== null, {
    maxFrames: 120,
    what: `a rejoin ticket for ${h.peers[index]!.id}`,
  });
  const ticket = session.rejoinTicket;
  if (!ticket) throw new Error(`seed ${h.seed}: no rejoin ticket`);
  return ticket;
}

describe.each([
  ['star', Topology.Star, 1901],
  ['mesh', Topology.Mesh, 1902],
])('a fresh session takes its slot back (%s)', (_name, topology, seed) => {
  it('a reloaded guest gets its slot, id and metadata back; nobody sees it leave; the game goes on in agreement', async () => {
    const { h, transports } = harness(seed, { topology });
    await h.start();
    h.run(60);
    const ticket = await ticketOf(h, 2);
    expect(ticket).toMatchObject({ playerId: 'p2', hostPeerId: 'p0' });
    expect(h.host.session.rejoinTicket, 'the host has no ticket').toBeNull();
    const before = h.host.session.players.get('p2')!;
    expect(ticket.slot).toBe(before.slot);
    const events: string[] = [];
    for (const p of h.peers.slice(0, 2)) {
      p.session.on('playerLeft', (info) => events.push(`${p.id} left ${info.playerId}`));
      p.session.on('playerJoined', (info) => events.push(`${p.id} joined ${info.playerId}`));
      p.session.on('playerAway', (id) => events.push(`${p.id} away ${id}`));
      p.session.on('playerBack', (id) => events.push(`${p.id} back ${id}`));
    }
    closePage(h, transports, 2);
    h.run(30);
    const fresh = reopenPage(h, transports, 2, seed);
    expect(await runWhile(h, fresh.session.rejoinRoom(ticket))).toBe('ok');
    expect(fresh.session.state).toBe(SessionState.Playing);
    await h.runSettledUntil(() => events.includes('p0 back p2'), {
      maxFrames: 300,
      what: 'the host sees p2 back',
    });
    expect(fresh.session.players.get('p2')).toEqual({ ...before, isLocal: true });
    expect(h.host.session.players.get('p2')).toEqual(before);
    expect(h.peers.map((p) => p.session.players.size)).toEqual([3, 3, 3]);
    // The others saw it away and back, never leave or join.
    expect(events.filter((e) => / (left|joined) /.test(e))).toEqual([]);
    expect(events).toContain('p0 away p2');
    expect(events).toContain('p1 back p2');
    // It plays again, and everyone agrees on the confirmed state.
    const tick = fresh.session.currentTick;
    await h.runSettled(60);
    expect(fresh.session.currentTick, `seed ${seed}`).toBeGreaterThan(tick + 50);
    h.inputsChange = false;
    await h.runSettled(240);
    const { tick: at, hashes } = h.confirmedHashes();
    expect(new Set(hashes).size, `seed ${seed}: hashes at ${at}: ${hashes.join()}`).toBe(1);
    for (const p of h.peers) {
      expect(p.desyncs, `seed ${seed}: ${p.id}`).toEqual([]);
      expect(
        p.errors.map((e) => e.error.message),
        `seed ${seed}: ${p.id}`,
      ).toEqual([]);
    }
    // A new token came with the rejoin: it can be reloaded again.
    const again = await ticketOf(h, 2);
    expect(again.token).not.toEqual(ticket.token);
  });
});

describe('rejoin tickets are checked', () => {
  it('refuses a wrong token with a clear error and changes nothing: the slot stays kept for its player', async () => {
    const { h, transports } = harness(1903, {});
    await h.start();
    h.run(60);
    const ticket = await ticketOf(h, 2);
    const before = h.host.session.players.get('p2')!;
    closePage(h, transports, 2);
    h.run(30);
    const hostErrors = h.host.errors.length;
    const forged = { ...ticket, token: ticket.token.map((b) => b ^ 0xff) };
    const fresh = reopenPage(h, transports, 2, 1903);
    const outcome = await runWhile(h, fresh.session.rejoinRoom(forged));
    expect(outcome).toBeInstanceOf(RbnError);
    expect((outcome as RbnError).code).toBe('JOIN_REJECTED');
    const why = `not the player of slot ${ticket.slot} (a wrong or stale rejoin token)`;
    expect((outcome as Error).message).toContain(why);
    expect(fresh.session.state).toBe(SessionState.Disconnected);
    const reported = h.host.errors.slice(hostErrors).map((e) => e.error.message);
    expect(reported.some((m) => m.includes(why))).toBe(true);
    // Nothing changed: the slot is still kept (away) for p2, and the right ticket still works.
    expect(h.host.session.players.get('p2')).toEqual(before);
    closePage(h, transports, 2);
    const retry = reopenPage(h, transports, 2, 1904);
    expect(await runWhile(h, retry.session.rejoinRoom(ticket))).toBe('ok');
    expect(retry.session.players.get('p2')?.slot).toBe(ticket.slot);
  });

  it('refuses a stale token: one already spent by a rejoin', async () => {
    const { h, transports } = harness(1905, {});
    await h.start();
    h.run(60);
    const ticket = await ticketOf(h, 2);
    closePage(h, transports, 2);
    const fresh = reopenPage(h, transports, 2, 1905);
    expect(await runWhile(h, fresh.session.rejoinRoom(ticket))).toBe('ok');
    await ticketOf(h, 2); // the new token arrived
    closePage(h, transports, 2);
    h.run(30);
    const stale = reopenPage(h, transports, 2, 1906);
    const outcome = await runWhile(h, stale.session.rejoinRoom(ticket));
    expect((outcome as RbnError).code).toBe('JOIN_REJECTED');
    expect(h.host.session.players.get('p2')?.slot).toBe(ticket.slot);
  });

  it('rejects a malformed ticket or one of another player before connecting', async () => {
    const transport = new LocalTransport('x');
    const session = createSession({ game: new TestGame(16), transport });
    const good: RejoinTicket = {
      ...{ roomId: 'r', hostPeerId: 'h', slot: 1, playerId: 'x' },
      token: new Uint8Array(16),
    };
    for (const bad of [
      { ...good, token: new Uint8Array(3) },
      { ...good, slot: -1 },
      { ...good, hostPeerId: '' },
      null,
    ]) {
      await expect(session.rejoinRoom(bad as RejoinTicket)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    }
    await expect(session.rejoinRoom({ ...good, playerId: 'y' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(session.state).toBe(SessionState.Disconnected);
  });
});

describe('a slot no longer kept', () => {
  it('refuses a fresh session whose slot was released (its window ran out): the room goes on without it', async () => {
    const { h, transports } = harness(1907, { reconnectWindowMs: 2000 });
    await h.start();
    h.run(60);
    const ticket = await ticketOf(h, 2);
    closePage(h, transports, 2);
    h.run(200); // past the window: p2 left
    expect(h.host.session.players.has('p2')).toBe(false);
    const fresh = reopenPage(h, transports, 2, 1907);
    const left: string[] = [];
    h.host.session.on('playerLeft', (info) => left.push(info.playerId));
    const outcome = await runWhile(h, fresh.session.rejoinRoom(ticket));
    expect((outcome as RbnError).code).toBe('JOIN_REJECTED');
    expect((outcome as Error).message).toContain(`no longer keeps slot ${ticket.slot}`);
    expect(fresh.session.state).toBe(SessionState.Disconnected);
    // It said goodbye to the seat it was offered: it is gone at once, not kept as dropped.
    await h.runSettledUntil(() => left.includes('p2'), { maxFrames: 120, what: 'p2 leaves' });
    expect(left).toEqual(['p2']);
    h.run(60);
    expect([...h.host.session.players.keys()].sort()).toEqual(['p0', 'p1']);
    expect(h.peers[1]!.session.players.size).toBe(2);
  });
});
