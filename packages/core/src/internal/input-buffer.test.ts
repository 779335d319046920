import { describe, expect, it } from 'vitest';
import { InputBuffer, NEVER } from './input-buffer';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('InputBuffer', () => {
  it('starts with nothing received: receivedTick is joinTick - 1 and the player never leaves', () => {
    const buffer = new InputBuffer(16, 8, 5);
    expect(buffer.receivedTick).toBe(4);
    expect(buffer.leaveTick).toBe(NEVER);
    expect(buffer.isActiveAt(4)).toBe(false);
    expect(buffer.isActiveAt(5)).toBe(true);
  });

  it('stores a copy of each input and reports duplicates, keeping the first copy', () => {
    const buffer = new InputBuffer(16, 8, 0);
    const input = bytes(1, 2, 3);
    expect(buffer.put(0, input)).toBe('accepted');
    input[0] = 9;
    expect(buffer.get(0)).toEqual(bytes(1, 2, 3));
    expect(buffer.put(0, bytes(7))).toBe('duplicate');
    expect(buffer.get(0)).toEqual(bytes(1, 2, 3));
    expect(buffer.get(1)).toBeUndefined();
  });

  it('advances receivedTick only over contiguous inputs, whatever the arrival order', () => {
    const buffer = new InputBuffer(16, 8, 0);
    buffer.put(2, bytes(2));
    buffer.put(1, bytes(1));
    expect(buffer.receivedTick).toBe(-1);
    buffer.put(0, bytes(0));
    expect(buffer.receivedTick).toBe(2);
    buffer.put(4, bytes(4));
    expect(buffer.receivedTick).toBe(2);
    buffer.put(3, bytes(3));
    expect(buffer.receivedTick).toBe(4);
  });

  it('keeps inputs of different lengths, including empty ones', () => {
    const buffer = new InputBuffer(4, 8, 0);
    buffer.put(0, bytes());
    buffer.put(1, bytes(1, 2, 3, 4, 5, 6, 7, 8));
    expect(buffer.get(0)).toEqual(bytes());
    expect(buffer.get(1)).toEqual(bytes(1, 2, 3, 4, 5, 6, 7, 8));
  });

  it('keeps every stored and used input when a longer one than any before arrives', () => {
    const buffer = new InputBuffer(8, 64, 0);
    buffer.put(0, bytes(1, 2));
    const long = Uint8Array.from({ length: 40 }, (_, i) => i + 1);
    buffer.setUsed(1, bytes(7, 7, 7));
    expect(buffer.usedEquals(1, bytes(7, 7, 7))).toBe(true);
    buffer.put(2, long);
    buffer.setUsed(
      3,
      Uint8Array.from({ length: 20 }, () => 5),
    );
    expect(buffer.get(0)).toEqual(bytes(1, 2));
    expect(buffer.getUsed(1)).toEqual(bytes(7, 7, 7));
    expect(buffer.get(2)).toEqual(long);
    expect(buffer.getUsed(3)).toEqual(Uint8Array.from({ length: 20 }, () => 5));
    buffer.put(
      4,
      Uint8Array.from({ length: 64 }, () => 9),
    );
    expect(buffer.get(4)).toEqual(Uint8Array.from({ length: 64 }, () => 9));
    expect(buffer.get(2)).toEqual(long);
  });

  it('reuses a slot once the ring wraps: the old tick is gone, the new one is there', () => {
    const buffer = new InputBuffer(4, 2, 0);
    for (let t = 0; t < 6; t++) buffer.put(t, bytes(t));
    expect(buffer.has(1)).toBe(false);
    expect(buffer.get(5)).toEqual(bytes(5));
    expect(buffer.get(2)).toEqual(bytes(2));
  });

  it('finds the most recent received input before a tick, skipping gaps', () => {
    const buffer = new InputBuffer(16, 2, 0);
    buffer.put(0, bytes(10));
    buffer.put(3, bytes(13));
    expect(buffer.latestBefore(0)).toBeUndefined();
    expect(buffer.latestBefore(2)).toEqual(bytes(10));
    expect(buffer.latestBefore(7)).toEqual(bytes(13));
  });

  it('finds it past the contiguous inputs too: after a retraction, and once the ring wrapped', () => {
    const buffer = new InputBuffer(16, 2, 0);
    for (let t = 0; t < 6; t++) buffer.put(t, bytes(t));
    expect(buffer.latestBefore(9)).toEqual(bytes(5));
    buffer.retractFrom(4);
    expect(buffer.latestBefore(9)).toEqual(bytes(3));
    buffer.put(7, bytes(7)); // out of order, past the gap at 4
    expect(buffer.latestBefore(9)).toEqual(bytes(7));
    expect(buffer.latestBefore(6)).toEqual(bytes(3));
    buffer.put(19, bytes(19)); // takes tick 3's slot
    expect(buffer.latestBefore(6)).toBeUndefined();
    expect(buffer.latestBefore(25)).toEqual(bytes(19));
  });

  it('records the input used for a simulated tick and detects when a received input differs', () => {
    const buffer = new InputBuffer(16, 4, 0);
    expect(buffer.usedEquals(3, bytes())).toBe(false); // nothing used yet
    buffer.setUsed(3, bytes(1, 2));
    expect(buffer.usedEquals(3, bytes(1, 2))).toBe(true);
    expect(buffer.usedEquals(3, bytes(1, 3))).toBe(false);
    expect(buffer.usedEquals(3, bytes(1))).toBe(false);
    expect(buffer.getUsed(3)).toEqual(bytes(1, 2));
    buffer.forgetUsedFrom(0);
    expect(buffer.getUsed(3)).toBeUndefined();
    expect(buffer.usedEquals(3, bytes(1, 2))).toBe(false);
    // A received input used, then retracted, is no longer known as the input used.
    buffer.put(5, bytes(9));
    expect(buffer.useReceived(5)).toBe(true);
    expect(buffer.usedEquals(5, bytes(9))).toBe(true);
    buffer.retractFrom(5);
    expect(buffer.usedEquals(5, bytes(9))).toBe(false);
  });

  it('dropBefore forgets older inputs and counts them as received', () => {
    const buffer = new InputBuffer(16, 2, 0);
    buffer.put(1, bytes(1));
    buffer.put(6, bytes(6));
    buffer.dropBefore(5);
    expect(buffer.has(1)).toBe(false);
    expect(buffer.receivedTick).toBe(4);
    buffer.dropBefore(6);
    expect(buffer.receivedTick).toBe(6);
  });

  it('does not advance receivedTick past the leave tick', () => {
    const buffer = new InputBuffer(16, 2, 0);
    buffer.leaveTick = 2;
    buffer.put(1, bytes(1));
    buffer.put(2, bytes(2));
    buffer.put(0, bytes(0));
    expect(buffer.receivedTick).toBe(1);
  });
});
