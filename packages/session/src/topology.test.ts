import { describe, expect, it } from 'vitest';
import { planLinks } from './topology';
import type { LinkPlanInput, LinkSlots } from './topology';
import { Topology } from './types';

// A room of host (slot 0), players in slots 1 and 2, a spectator in slot 3, and a departed
// player in slot 4 whose last inputs still count.
const host = { peerId: 'h', slot: 0, plays: true, isHost: true };
const p1 = { peerId: 'a', slot: 1, plays: true, isHost: false };
const p2 = { peerId: 'b', slot: 2, plays: true, isHost: false };
const spectator = { peerId: 's', slot: 3, plays: false, isHost: false };
const room = { activeSlots: [0, 1, 2], departedSlots: [4], joiningHost: null };

type Row = [string, LinkPlanInput, Record<string, LinkSlots>];

const rows: Row[] = [
  [
    'star host',
    {
      ...room,
      topology: Topology.Star,
      isHost: true,
      localSlot: 0,
      localPlays: true,
      peers: [p1, p2, spectator],
    },
    {
      a: { send: [0, 2, 4], accept: [1] },
      b: { send: [0, 1, 4], accept: [2] },
      s: { send: [0, 1, 2, 4], accept: [] },
    },
  ],
  [
    'star guest',
    {
      ...room,
      topology: Topology.Star,
      isHost: false,
      localSlot: 1,
      localPlays: true,
      peers: [host, p2, spectator],
    },
    { h: { send: [1], accept: [0, 2, 4] } },
  ],
  [
    'star spectator',
    {
      ...room,
      topology: Topology.Star,
      isHost: false,
      localSlot: 3,
      localPlays: false,
      peers: [host, p1, p2],
    },
    { h: { send: [], accept: [0, 1, 2, 4] } },
  ],
  [
    'mesh host',
    {
      ...room,
      topology: Topology.Mesh,
      isHost: true,
      localSlot: 0,
      localPlays: true,
      peers: [p1, p2, spectator],
    },
    {
      a: { send: [0, 4], accept: [1] },
      b: { send: [0, 4], accept: [2] },
      s: { send: [0, 1, 2, 4], accept: [] },
    },
  ],
  [
    'mesh guest',
    {
      ...room,
      topology: Topology.Mesh,
      isHost: false,
      localSlot: 1,
      localPlays: true,
      peers: [host, p2, spectator],
    },
    { h: { send: [1], accept: [0, 4] }, b: { send: [1], accept: [2] } },
  ],
  [
    'mesh spectator',
    {
      ...room,
      topology: Topology.Mesh,
      isHost: false,
      localSlot: 3,
      localPlays: false,
      peers: [host, p1, p2],
    },
    { h: { send: [], accept: [0, 1, 2, 4] } },
  ],
  [
    'joining (no members yet)',
    {
      topology: Topology.Star,
      isHost: false,
      localSlot: -1,
      localPlays: false,
      peers: [],
      activeSlots: [],
      departedSlots: [],
      joiningHost: 'h',
    },
    { h: { send: [], accept: [] } },
  ],
];

describe('planLinks (star/mesh × host/guest/spectator)', () => {
  for (const [name, input, expected] of rows) {
    it(`plans the links of a ${name}`, () => {
      expect(Object.fromEntries(planLinks(input))).toEqual(expected);
    });
  }
});
