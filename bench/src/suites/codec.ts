// Codec throughput and size: @rbn/protocol vs rollback-netcode@0.0.6, on the same content.
import {
  MessageType,
  WireRole,
  decodeMessage,
  encodeMessage,
  type Message,
  type WirePlayer,
} from '@rbn/protocol';
import * as rn from 'rollback-netcode';
import { median, printTable, timeMicros, type Row } from '../table';

/**
 * Times `a` and `b` in alternating rounds (so a burst of load on the machine hits both alike)
 * and returns the median µs per call of each.
 */
function compare(a: () => void, b: () => void, iterations: number, rounds = 7): [number, number] {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < rounds; i++) {
    ta.push(timeMicros(a, iterations));
    tb.push(timeMicros(b, iterations));
  }
  return [median(ta), median(tb)];
}

/** Keeps decoded results observable so the optimiser cannot drop the work. */
let sink = 0;

function roundTripRbn(msg: Message): () => void {
  return () => {
    const bytes = encodeMessage(msg);
    sink ^= decodeMessage(bytes).type ^ bytes.length;
  };
}

function roundTripRn(msg: rn.Message): () => void {
  return () => {
    const bytes = rn.encodeMessage(msg);
    sink ^= rn.decodeMessage(bytes).type ^ bytes.length;
  };
}

/** Runs the codec comparison and prints its table. */
export default async function codec(): Promise<void> {
  // Three ticks of a 2-byte input (held for two ticks, then a second button pressed).
  const inputs = [
    new Uint8Array([0x01, 0x00]),
    new Uint8Array([0x01, 0x00]),
    new Uint8Array([0x01, 0x02]),
  ];
  const rbnInput: Message = {
    type: MessageType.Input,
    senderTick: 102,
    acks: [],
    runs: [{ slot: 1, startTick: 100, inputs }],
  };
  const rnInput: rn.Message = {
    type: rn.MessageType.Input,
    playerId: rn.asPlayerId('player-1'),
    // rollback-netcode lists inputs newest first.
    inputs: [
      { tick: rn.asTick(102), input: inputs[2]! },
      { tick: rn.asTick(101), input: inputs[1]! },
      { tick: rn.asTick(100), input: inputs[0]! },
    ],
  };
  // The same Input, with the receiver's ack folded in (rbn's normal case; rollback-netcode
  // needs a separate InputAck message for it, not counted here).
  const rbnInputWithAck: Message = { ...rbnInput, acks: [{ slot: 0, tick: 101 }] };

  const state = new Uint8Array(1024);
  for (let i = 0; i < state.length; i++) state[i] = (i * 31 + 7) & 0xff;
  const ids = ['player-1', 'player-2', 'player-3', 'player-4'];
  const players: WirePlayer[] = ids.map((id, slot) => ({
    slot,
    playerId: id,
    peerId: id,
    role: WireRole.Player,
    joinTick: slot * 10,
    leaveTick: -1,
    metadata: new Uint8Array(0),
  }));
  const rbnSync: Message = { type: MessageType.Sync, tick: 600, hash: 0xdeadbeef, state, players };
  const rnSync: rn.Message = {
    type: rn.MessageType.Sync,
    tick: rn.asTick(600),
    hash: 0xdeadbeef,
    state,
    playerTimeline: ids.map((id, slot) => ({
      playerId: rn.asPlayerId(id),
      joinTick: rn.asTick(slot * 10),
      leaveTick: null,
    })),
  };

  const [inputRbn, inputRn] = compare(roundTripRbn(rbnInput), roundTripRn(rnInput), 100_000);
  const [syncRbn, syncRn] = compare(roundTripRbn(rbnSync), roundTripRn(rnSync), 20_000);
  const rows: Row[] = [
    {
      metric: 'Input (3 ticks × 2 B) encode+decode',
      unit: 'µs',
      rbn: inputRbn,
      competitor: inputRn,
      target: '≤ 0.333×',
    },
    {
      metric: 'Input encoded size',
      unit: 'bytes',
      rbn: encodeMessage(rbnInput).length,
      competitor: rn.encodeMessage(rnInput).length,
      target: '≤ 0.5×',
    },
    {
      metric: 'Input + folded-in ack, encoded size',
      unit: 'bytes',
      rbn: encodeMessage(rbnInputWithAck).length,
      competitor: rn.encodeMessage(rnInput).length,
    },
    {
      metric: 'Sync (1 KB state, 4 players) encode+decode',
      unit: 'µs',
      rbn: syncRbn,
      competitor: syncRn,
    },
    {
      metric: 'Sync encoded size',
      unit: 'bytes',
      rbn: encodeMessage(rbnSync).length,
      competitor: rn.encodeMessage(rnSync).length,
    },
  ];
  printTable('codec: encode + decode, @rbn/protocol vs rollback-netcode@0.0.6', rows);
  if (sink === 0.5) console.log(sink);
  await Promise.resolve();
}
