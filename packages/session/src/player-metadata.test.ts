import {
  JoinRejectReason,
  MessageType,
  RbnError,
  WireRole,
  decodeMessage,
  encodeMessage,
} from '@rbn/protocol';
import type { Message } from '@rbn/protocol';
import { createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import {
  MAX_PLAYER_METADATA_BYTES,
  decodePlayerMetadata,
  encodePlayerMetadata,
} from './player-metadata';
import { createSession } from './session';
import { Harness } from './testing/harness';
import { TestGame } from './testing/test-game';
import { PlayerRole, SessionState, Topology } from './types';

const utf8 = new TextEncoder();

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

function expectInvalidArgument(fn: () => unknown, text: string): void {
  const e = thrown(fn);
  expect(e).toBeInstanceOf(RbnError);
  expect((e as RbnError).code).toBe('INVALID_ARGUMENT');
  expect((e as RbnError).message).toContain(text);
}

/** Every member's view of everyone's name: `viewer → [playerId, name]` sorted by player id. */
function namesSeen(h: Harness, viewers: number[]): Record<string, [string, string | null][]> {
  const seen: Record<string, [string, string | null][]> = {};
  for (const i of viewers) {
    const p = h.peers[i]!;
    seen[p.id] = [...p.session.players.values()]
      .map((info): [string, string | null] => [
        info.playerId,
        decodePlayerMetadata(info.metadata)?.name ?? null,
      ])
      .sort((a, b) => a[0].localeCompare(b[0]));
  }
  return seen;
}

describe('encodePlayerMetadata / decodePlayerMetadata', () => {
  it('round-trips a name, a colour and other flat fields', () => {
    const meta = { name: 'Zoë 👩‍🚀', color: '#e4572e', team: 2, ready: true, hat: null };
    const bytes = encodePlayerMetadata(meta);
    expect(new TextDecoder().decode(bytes)).toBe(JSON.stringify(meta));
    expect(decodePlayerMetadata(bytes)).toEqual(meta);
  });

  it('leaves out undefined fields and decodes empty bytes as no metadata', () => {
    expect(decodePlayerMetadata(encodePlayerMetadata({ name: 'a', color: undefined }))).toEqual({
      name: 'a',
    });
    expect(decodePlayerMetadata(new Uint8Array(0))).toBeNull();
  });

  it(`accepts ${MAX_PLAYER_METADATA_BYTES} bytes of JSON and refuses one more`, () => {
    // {"name":"…"} is 11 bytes of JSON around the name.
    const fits = 'x'.repeat(MAX_PLAYER_METADATA_BYTES - 11);
    expect(encodePlayerMetadata({ name: fits })).toHaveLength(MAX_PLAYER_METADATA_BYTES);
    expectInvalidArgument(() => encodePlayerMetadata({ name: `${fits}y` }), 'over 256');
    // Bytes, not characters: 'é' is two bytes of UTF-8.
    expectInvalidArgument(() => encodePlayerMetadata({ name: 'é'.repeat(123) }), 'over 256');
  });

  it('refuses nested, non-finite and non-object metadata with INVALID_ARGUMENT', () => {
    const bad = (v: unknown): unknown => encodePlayerMetadata(v as never);
    expectInvalidArgument(() => bad({ name: { first: 'a' } }), "field 'name'");
    expectInvalidArgument(() => bad({ score: NaN }), "field 'score'");
    expectInvalidArgument(() => bad(['a']), 'must be an object');
    expectInvalidArgument(() => bad(null), 'must be an object');
  });

  it('decodes any malformed bytes from a peer to null, never throwing', () => {
    const malformed = [
      new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]), // not UTF-8
      utf8.encode('{"name":'), // truncated JSON
      utf8.encode('"Ana"'), // not an object
      utf8.encode('[1,2]'),
      utf8.encode('null'),
      utf8.encode('{"name":{"first":"Ana"}}'), // nested
      new Uint8Array(MAX_PLAYER_METADATA_BYTES + 1).fill(0x20), // over the bound
    ];
    for (const bytes of malformed) expect(decodePlayerMetadata(bytes)).toBeNull();
    expect(decodePlayerMetadata('{}' as never)).toBeNull();
  });

  it('drops a name or colour that is not a string and ignores __proto__', () => {
    const bytes = utf8.encode('{"name":7,"color":"red","__proto__":null,"level":3}');
    const decoded = decodePlayerMetadata(bytes);
    expect(decoded).toEqual({ color: 'red', level: 3 });
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
  });
});

describe('createSession metadata option', () => {
  const transport = (): ReturnType<typeof createLocalTransportGroup> extends Map<string, infer T>
    ? T
    : never => createLocalTransportGroup(['a'], { seed: 1 }).get('a')!;

  it(`refuses metadata over ${MAX_PLAYER_METADATA_BYTES} bytes or not a Uint8Array`, () => {
    const game = new TestGame(16);
    expectInvalidArgument(
      () => createSession({ game, transport: transport(), metadata: new Uint8Array(257) }),
      'createSession: metadata of 257 bytes is over 256',
    );
    expectInvalidArgument(
      () => createSession({ game, transport: transport(), metadata: 'Ana' as never }),
      'createSession: metadata must be a Uint8Array',
    );
    const ok = createSession({ game, transport: transport(), metadata: new Uint8Array(256) });
    expect(ok.state).toBe(SessionState.Disconnected);
  });

  it('copies the bytes: changing them afterwards changes nothing the room sees', async () => {
    const metadata = encodePlayerMetadata({ name: 'Ana' });
    const session = createSession({ game: new TestGame(16), transport: transport(), metadata });
    metadata.fill(0);
    await session.createRoom();
    const host = [...session.players.values()][0]!;
    expect(decodePlayerMetadata(host.metadata)).toEqual({ name: 'Ana' });
  });

  it('gives an empty metadata array to a member that set none', async () => {
    const session = createSession({ game: new TestGame(16), transport: transport() });
    await session.createRoom();
    expect([...session.players.values()][0]!.metadata).toEqual(new Uint8Array(0));
  });
});

describe('player metadata in a room', () => {
  for (const topology of [Topology.Star, Topology.Mesh]) {
    it(`3 players, a late joiner and a spectator all see everyone's name (${Topology[topology]}, seed 41)`, async () => {
      const seed = 41;
      const ids = ['p0', 'p1', 'p2', 'p3', 'p4'];
      const names: Record<string, string> = {
        p0: 'Ana',
        p1: 'Bea 🎮',
        p2: 'Cai',
        p3: 'Dee',
        p4: 'Eve',
      };
      const transports = createLocalTransportGroup(ids, { latency: 20, jitter: 5, seed });
      const h = new Harness(transports, seed, { topology }, 16, (id) =>
        encodePlayerMetadata({ name: names[id]!, color: `#${id}` }),
      );
      const joinedSeen: string[] = [];
      h.peers[0]!.session.on('playerJoined', (info) => {
        joinedSeen.push(decodePlayerMetadata(info.metadata)?.name ?? '?');
      });
      await h.start(600, 3);
      h.run(60);
      await h.join(3);
      h.peers[4]!.session.setLocalRole(PlayerRole.Spectator);
      await h.join(4);
      h.run(60);

      const everyone = ids.map((id): [string, string] => [id, names[id]!]);
      const seen = namesSeen(h, [0, 1, 2, 3, 4]);
      for (const id of ids) expect(seen[id], `seed ${seed}: ${id}'s roster`).toEqual(everyone);
      expect(joinedSeen).toEqual(['Bea 🎮', 'Cai', 'Dee', 'Eve']);
      const colour = h.peers[4]!.session.players.get('p1')!.metadata;
      expect(decodePlayerMetadata(colour)?.color).toBe('#p1');
      for (const p of h.peers) expect(p.errors, `seed ${seed}: ${p.id}`).toEqual([]);
    });
  }

  it('carries a peer’s malformed blob as opaque bytes: nothing throws, the game plays on (seed 43)', async () => {
    const seed = 43;
    const garbage = new Uint8Array([0xff, 0x00, 0x7b, 0xc3]);
    const h = new Harness(
      createLocalTransportGroup(['p0', 'p1', 'p2'], { latency: 10, seed }),
      seed,
      { topology: Topology.Mesh },
      16,
      (id) => (id === 'p2' ? garbage : encodePlayerMetadata({ name: id })),
    );
    await h.start(600, 3);
    h.run(120);
    for (const p of h.peers) {
      const bad = p.session.players.get('p2')!.metadata;
      expect(bad, `seed ${seed}: ${p.id}`).toEqual(garbage);
      expect(decodePlayerMetadata(bad)).toBeNull();
      expect(p.session.state).toBe(SessionState.Playing);
      expect(p.errors).toEqual([]);
    }
  });

  it('refuses oversize metadata from a peer as a decode error, changing nothing (seed 44)', async () => {
    const seed = 44;
    const h = new Harness(
      createLocalTransportGroup(['p0', 'p1', 'p2'], { latency: 10, seed }),
      seed,
      { topology: Topology.Mesh },
    );
    await h.start(600, 3);
    h.run(30);
    const [, victim, attacker] = h.peers as [never, (typeof h.peers)[0], (typeof h.peers)[0]];
    const ghost: Message = {
      type: MessageType.PlayerJoined,
      player: {
        ...{ slot: 9, playerId: 'ghost', peerId: 'ghost', role: WireRole.Player },
        ...{ joinTick: victim.session.currentTick + 5, leaveTick: -1 },
        metadata: new Uint8Array(MAX_PLAYER_METADATA_BYTES + 1),
      },
    };
    const bytes = encodeMessage(ghost, { maxPlayerMetadataBytes: 1000 });
    attacker.transport.send('p1', bytes, true);
    expect(() => h.run(60)).not.toThrow();
    const fromAttacker = victim.errors.filter(
      (e) => e.context.source === 'protocol' && e.context.peerId === 'p2',
    );
    expect(fromAttacker.map((e) => e.error.name)).toEqual(['DecodeError']);
    expect(fromAttacker[0]!.error.message).toContain('maxPlayerMetadataBytes');
    expect([...victim.session.players.keys()].sort()).toEqual(['p0', 'p1', 'p2']);
    expect(victim.session.state).toBe(SessionState.Playing);
  });

  it('refuses a version-1 joiner (no metadata on the wire) with VersionMismatch', async () => {
    const transports = createLocalTransportGroup(['h', 'old'], { seed: 45 });
    const host = createSession({ game: new TestGame(16), transport: transports.get('h')! });
    const roomId = await host.createRoom();
    const old = transports.get('old')!;
    const answers: Message[] = [];
    old.onMessage = (_from, bytes) => answers.push(decodeMessage(bytes));
    await old.connect('h');
    // A version-1 JoinRequest as an older rbn sends it: version, room, player, role — no metadata.
    const v1 = encodeMessage({
      type: MessageType.JoinRequest,
      protocolVersion: 1,
      roomId,
      playerId: 'old',
      role: WireRole.Player,
      metadata: new Uint8Array(0),
    });
    expect(v1[v1.length - 1]).toBe(WireRole.Player);
    old.send('h', v1, true);
    for (let i = 0; i < 5 && answers.length === 0; i++) {
      transports.get('h')!.tick(16);
      old.tick(16);
    }
    expect(answers).toEqual([
      expect.objectContaining({
        type: MessageType.JoinReject,
        reason: JoinRejectReason.VersionMismatch,
      }),
    ]);
    expect([...host.players.keys()]).toEqual(['h']);
  });
});
