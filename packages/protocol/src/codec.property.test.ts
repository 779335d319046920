import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from './decode';
import { encodeMessage } from './encode';
import { anyMessage, messageArbitraries } from './internal/test-arbitraries';
import { MessageType } from './messages';
import type { Message } from './messages';

const SEED = 0x5eed_c0de;

describe('codec (property-based)', () => {
  const types = Object.keys(messageArbitraries).map(Number) as MessageType[];

  it('has an arbitrary for each of the 28 message types', () => {
    expect(types).toHaveLength(28);
  });

  it.each(types.map((t) => [MessageType[t], t] as const))(
    `round-trips any %s message (fast-check seed ${SEED})`,
    (_name, type) => {
      fc.assert(
        fc.property(messageArbitraries[type], (msg) => {
          const bytes = encodeMessage(msg);
          expect(bytes[0]).toBe(type);
          expect(decodeMessage(bytes)).toEqual(msg);
        }),
        { seed: SEED, numRuns: 150 },
      );
    },
  );

  it(`encodes a decoded message to the same bytes: one encoding per message (seed ${SEED})`, () => {
    fc.assert(
      fc.property(anyMessage, (msg) => {
        const bytes = encodeMessage(msg);
        expect(encodeMessage(decodeMessage(bytes))).toEqual(bytes);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it(`rejects every strict prefix of a valid message with a DecodeError (seed ${SEED})`, () => {
    fc.assert(
      fc.property(anyMessage, (msg) => {
        const bytes = encodeMessage(msg);
        // Input/InputAck without their optional trailer (seq, then the echo) are valid messages.
        const end = 'seq' in msg ? bytes.length - trailerBytes(msg) : bytes.length;
        for (let n = 0; n < end; n += Math.max(1, end >> 5)) {
          expect(() => decodeMessage(bytes.subarray(0, n))).toThrow(
            expect.objectContaining({ name: 'DecodeError' }) as Error,
          );
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});

/** The bytes of an Input/InputAck trailer: seq, then echo seq and the echo delay's varint. */
function trailerBytes(msg: Message): number {
  if (msg.type !== MessageType.Input && msg.type !== MessageType.InputAck) return 0;
  if (msg.echoDelay === undefined) return 1;
  return 2 + (msg.echoDelay < 128 ? 1 : msg.echoDelay < 16384 ? 2 : 3);
}
