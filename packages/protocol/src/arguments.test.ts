import { describe, expect, it } from 'vitest';
import { assertMessageBytes, checkTick, describeValue, sameBytes } from './arguments';
import { RbnError } from './errors';
import { MAX_TICK } from './messages';

describe('describeValue', () => {
  it.each([
    ['a string, quoted', 'fast', '"fast"'],
    ['a number', -1, '-1'],
    ['NaN', NaN, 'NaN'],
    ['Infinity', Infinity, 'Infinity'],
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
    ['a boolean', true, 'true'],
    ['a bigint', 5n, '5'],
    ['a symbol', Symbol('x'), 'Symbol(x)'],
    ['a byte array, by length', new Uint8Array(3), 'Uint8Array(3)'],
    ['an array, by length', [1, 2], 'array(2)'],
    ['a plain object, by kind', { secret: 'do not print' }, 'an object'],
    ['a function, by kind', () => 'do not print', 'a function'],
  ])('describes %s', (_name, value, text) => {
    expect(describeValue(value)).toBe(text);
  });
});

describe('assertMessageBytes', () => {
  it('accepts any Uint8Array, including an empty one and a view into a larger buffer', () => {
    expect(() => assertMessageBytes('T.send', new Uint8Array(0))).not.toThrow();
    expect(() => assertMessageBytes('T.send', new Uint8Array(8).subarray(2, 4))).not.toThrow();
  });

  it.each([
    ['a string', 'hi', '"hi"'],
    ['an array of numbers', [1, 2], 'array(2)'],
    ['null', null, 'null'],
    ['an ArrayBuffer', new ArrayBuffer(2), 'an object'],
    ['a DataView', new DataView(new ArrayBuffer(2)), 'an object'],
  ])('rejects %s with an RbnError INVALID_ARGUMENT naming the method', (_name, value, got) => {
    let error: unknown;
    try {
      assertMessageBytes('LocalTransport.send', value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RbnError);
    expect((error as RbnError).code).toBe('INVALID_ARGUMENT');
    expect((error as RbnError).message).toBe(
      `LocalTransport.send: message must be a Uint8Array (got ${got})`,
    );
  });
});

describe('sameBytes', () => {
  it('compares length and every byte', () => {
    expect(sameBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(sameBytes(new Uint8Array(0), new Uint8Array(0))).toBe(true);
    expect(sameBytes(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(sameBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0]))).toBe(false);
    expect(sameBytes(new Uint8Array([9, 1, 2]).subarray(1), new Uint8Array([1, 2]))).toBe(true);
  });
});

describe('checkTick', () => {
  it('returns a tick from 0 to max', () => {
    expect(checkTick('t', 0)).toBe(0);
    expect(checkTick('t', MAX_TICK)).toBe(MAX_TICK);
    expect(checkTick('t', 5, 5)).toBe(5);
  });

  it.each([
    [-1, undefined, '-1'],
    [1.5, undefined, '1.5'],
    [NaN, undefined, 'NaN'],
    ['3', undefined, '"3"'],
    [MAX_TICK + 1, undefined, String(MAX_TICK + 1)],
    [6, 5, '6'],
  ])('rejects %s (max %s) with INVALID_ARGUMENT naming the argument', (value, max, shown) => {
    const call = () => checkTick('joinTick', value, max);
    expect(call).toThrow(RbnError);
    expect(call).toThrow(
      `joinTick must be an integer tick from 0 to ${max ?? MAX_TICK}, got ${shown}`,
    );
  });
});
