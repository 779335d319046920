import { describe, expect, it } from 'vitest';
import { assertMessageBytes, describeValue } from './arguments';
import { RbnError } from './errors';

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
