import { describe, expect, it } from 'vitest';
import { decideRecovery } from './desync';
import type { RecoveryDecision, RecoveryInput } from './desync';
import { DesyncAuthority, Topology } from './types';

const { Star, Mesh } = Topology;
const { Host, Peer } = DesyncAuthority;

/** Hashes of slots 0 (host), 1, 2 at one tick; `local` is the local slot. */
function input(
  topology: Topology,
  authority: DesyncAuthority,
  local: number,
  hashes: [number, number, number],
): RecoveryInput {
  const remote = new Map<number, number>();
  hashes.forEach((h, slot) => {
    if (slot !== local) remote.set(slot, h);
  });
  return {
    topology,
    authority,
    isHost: local === 0,
    localSlot: local,
    localHash: hashes[local]!,
    remote,
    expected: [0, 1, 2],
  };
}

type Row = [string, RecoveryInput, RecoveryDecision];

const rows: Row[] = [
  [
    'star × host, host: pushes to the one that differs',
    input(Star, Host, 0, [7, 7, 9]),
    { decided: false, actions: [{ kind: 'push', slot: 2 }] },
  ],
  [
    'star × host, guest: waits for the host',
    input(Star, Host, 2, [7, 7, 9]),
    { decided: false, actions: [] },
  ],
  [
    'mesh × host, host: does nothing',
    input(Mesh, Host, 0, [7, 7, 9]),
    { decided: false, actions: [] },
  ],
  [
    'mesh × host, guest that differs: asks the host',
    input(Mesh, Host, 2, [7, 7, 9]),
    { decided: true, actions: [{ kind: 'request', slot: 0, forwardSlots: [] }] },
  ],
  [
    'mesh × host, guest that agrees: settles',
    input(Mesh, Host, 1, [7, 7, 9]),
    { decided: true, actions: [] },
  ],
  [
    'star × peer, host in the majority: pushes to the minority',
    input(Star, Peer, 0, [7, 7, 9]),
    { decided: true, actions: [{ kind: 'push', slot: 2 }] },
  ],
  [
    'star × peer, host in the minority: asks the majority and forwards',
    input(Star, Peer, 0, [9, 7, 7]),
    { decided: true, actions: [{ kind: 'request', slot: 1, forwardSlots: [] }] },
  ],
  [
    'star × peer, guest: waits for the host',
    input(Star, Peer, 1, [7, 7, 9]),
    { decided: false, actions: [] },
  ],
  [
    'mesh × peer, minority peer: asks a majority peer',
    input(Mesh, Peer, 2, [7, 7, 9]),
    { decided: true, actions: [{ kind: 'request', slot: 0, forwardSlots: [] }] },
  ],
  [
    'mesh × peer, majority peer: settles',
    input(Mesh, Peer, 1, [7, 7, 9]),
    { decided: true, actions: [] },
  ],
  [
    'mesh × peer, a three-way split: the lowest slot wins',
    input(Mesh, Peer, 2, [5, 6, 7]),
    { decided: true, actions: [{ kind: 'request', slot: 0, forwardSlots: [] }] },
  ],
];

describe('decideRecovery (topology × authority × host/peer)', () => {
  for (const [name, given, expected] of rows) {
    it(name, () => {
      expect(decideRecovery(given)).toEqual(expected);
    });
  }

  it('waits under peer authority until every active player reported', () => {
    const given = input(Mesh, Peer, 1, [7, 7, 9]);
    const partial = { ...given, remote: new Map([[0, 7]]) };
    expect(decideRecovery(partial)).toEqual({ decided: false, actions: [] });
  });
});
