import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeMessage } from './encode';
import { tryDecodeMessage } from './decode';
import { ByteWriter } from './byte-writer';
import { writeInputDelta } from './input-delta';
import { InputView } from './input-view';
import { InputWriter } from './input-writer';
import { messageArbitraries } from './internal/test-arbitraries';
import { MessageType } from './messages';
import type { InputAckMessage, InputMessage } from './messages';

const SEED = 0x1a9e7;

/** What the view holds, in the shape of the decoded message. */
function asMessage(view: InputView): InputMessage | InputAckMessage {
  const acks = Array.from({ length: view.acks }, (_, i) => ({
    slot: view.ackSlot[i]!,
    tick: view.ackTick[i]!,
  }));
  const seq =
    view.seq < 0
      ? {}
      : view.echoSeq < 0
        ? { seq: view.seq }
        : { seq: view.seq, echoSeq: view.echoSeq, echoDelay: view.echoDelay };
  if (view.type === MessageType.InputAck) {
    return { type: MessageType.InputAck, senderTick: view.senderTick, acks, ...seq };
  }
  const runs = Array.from({ length: view.runs }, (_, r) => ({
    slot: view.runSlot[r]!,
    startTick: view.runStart[r]!,
    inputs: Array.from({ length: view.runCount[r]! }, (_, i) =>
      Uint8Array.from(view.input(view.runFirst[r]! + i)),
    ),
  }));
  return { type: MessageType.Input, senderTick: view.senderTick, acks, runs, ...seq };
}

const hot = fc.oneof(
  messageArbitraries[MessageType.Input],
  messageArbitraries[MessageType.InputAck],
);

describe('InputView', () => {
  it(`reads every Input and InputAck message as decodeMessage does, one view for all (fast-check seed ${SEED})`, () => {
    const view = new InputView();
    fc.assert(
      fc.property(hot, (msg) => {
        expect(view.read(encodeMessage(msg))).toBeNull();
        expect(asMessage(view)).toEqual(msg);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it(`rejects exactly the bytes decodeMessage rejects, with the same reason (fast-check seed ${SEED})`, () => {
    const view = new InputView();
    const damaged = fc
      .tuple(hot, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean())
      .map(([msg, at, byte, cut]) => {
        const bytes = encodeMessage(msg);
        const i = at % bytes.length;
        if (cut) return bytes.subarray(0, i);
        if (i > 0) bytes[i] = byte;
        return bytes;
      });
    fc.assert(
      fc.property(damaged, (bytes) => {
        const expected = tryDecodeMessage(bytes);
        const error = view.read(bytes);
        if (expected.ok) {
          expect(error).toBeNull();
          expect(asMessage(view)).toEqual(expected.message);
        } else {
          expect(error?.reason).toBe(expected.error.reason);
          expect(view.runs).toBe(0);
        }
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('keeps nothing of a rejected message and refuses other message types', () => {
    const view = new InputView();
    const bytes = encodeMessage({ type: MessageType.Hash, tick: 1, hash: 2 });
    expect(view.read(bytes)?.reason).toBe('not an Input or InputAck message');
    expect(view.read(new Uint8Array(0))?.reason).toBe('empty message');
    expect(view.runs).toBe(0);
    expect(view.acks).toBe(0);
  });
});

describe('InputWriter', () => {
  it(`writes the bytes encodeMessage writes, one writer for all (fast-check seed ${SEED})`, () => {
    const w = new InputWriter();
    fc.assert(
      fc.property(hot, (msg) => {
        w.begin(msg.type, msg.senderTick);
        for (const ack of msg.acks) w.ack(ack.slot, ack.tick);
        if (msg.type === MessageType.Input) {
          for (const run of msg.runs) {
            w.run(run.slot, run.startTick, run.inputs.length);
            for (const input of run.inputs) w.input(input);
          }
        }
        expect(w.finish(msg.seq ?? -1, false, msg.echoSeq ?? -1, msg.echoDelay)).toEqual(
          encodeMessage(msg),
        );
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it(`writes the same bytes with encoded() for inputs delta-encoded apart (fast-check seed ${SEED})`, () => {
    const w = new InputWriter();
    const deltas = new ByteWriter(64);
    fc.assert(
      fc.property(messageArbitraries[MessageType.Input], (msg) => {
        w.begin(msg.type, msg.senderTick);
        for (const ack of msg.acks) w.ack(ack.slot, ack.tick);
        for (const { slot, startTick, inputs } of msg.runs) {
          w.run(slot, startTick, inputs.length);
          if (inputs.length === 0) continue;
          w.input(inputs[0]!);
          deltas.reset();
          for (let i = 1; i < inputs.length; i++)
            writeInputDelta(deltas, inputs[i - 1]!, inputs[i]!);
          if (inputs.length > 1) w.encoded(inputs.length - 1, deltas.buf, 0, deltas.pos);
        }
        expect(w.finish(msg.seq ?? -1, false, msg.echoSeq ?? -1, msg.echoDelay)).toEqual(
          encodeMessage(msg),
        );
      }),
      { seed: SEED, numRuns: 300 },
    );
    w.begin(MessageType.Input, 1);
    w.run(0, 1, 3);
    w.input(new Uint8Array(1));
    expect(() => w.encoded(1, new Uint8Array(1), 0, 1)).toThrow(/not ending the run/);
  });

  it('hands back a view of its own buffer with finish(seq, true), rewritten by the next message', () => {
    const w = new InputWriter();
    const write = (tick: number, shared: boolean) => {
      w.begin(MessageType.Input, tick);
      w.run(0, tick, 1);
      w.input(new Uint8Array([tick]));
      return w.finish(3, shared);
    };
    const copy = write(5, false);
    const shared = write(5, true);
    expect(shared).toEqual(copy);
    write(6, true);
    expect(shared).not.toEqual(copy);
    expect(copy).toEqual(write(5, false));
  });

  it('refuses a run whose inputs do not match its count', () => {
    const w = new InputWriter();
    w.begin(MessageType.Input, 1);
    w.run(0, 1, 1);
    expect(() => w.finish(-1)).toThrow(/missing inputs/);
    w.begin(MessageType.Input, 1);
    w.run(0, 1, 0);
    expect(() => w.input(new Uint8Array(1))).toThrow(/more inputs/);
  });
});
