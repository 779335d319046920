import { describe, expect, it } from 'vitest';
import { peerGame } from './session-peer';
import type { RecordingGame } from './recording-game';

const inputs = (buttons: number) =>
  new Map([
    ['alice', new Uint8Array([buttons])],
    ['bob', new Uint8Array([0])],
  ]);

function play(recording: RecordingGame, buttons: number[]): void {
  for (const b of buttons) recording.step(inputs(b));
}

describe('RecordingGame', () => {
  it('keeps the hash a tick had when confirmed, after rollbacks re-simulated it', () => {
    const { recording } = peerGame(7);
    play(recording, [1, 2]);
    const at2 = recording.serialize().slice();
    play(recording, [4, 8]);
    recording.deserialize(at2);
    play(recording, [3, 3]);
    recording.confirm(4);
    const { recording: straight } = peerGame(7);
    play(straight, [1, 2, 3, 3]);
    straight.confirm(4);
    expect(recording.hashes.range(1, 4)).toEqual(straight.hashes.range(1, 4));
  });

  it('never takes a stale guess of a history it left by loading a state from elsewhere', () => {
    const { recording: other } = peerGame(7);
    play(other, [1, 2, 3, 4, 5, 6]);
    const { recording } = peerGame(7);
    play(recording, [1, 2, 8]); // tick 3 guessed wrong, never confirmed here
    recording.confirm(2);
    recording.deserialize(other.serialize().slice()); // back from away at tick 6
    play(recording, [7]);
    other.step(inputs(7));
    recording.confirm(7);
    other.confirm(7);
    expect(recording.hashes.get(3)).toBeUndefined();
    expect(recording.hashes.get(2)).toBe(other.hashes.get(2));
    expect(recording.hashes.get(7)).toBe(other.hashes.get(7));
  });

  it('keeps the hash of the tick a state from elsewhere was taken at, once that tick is confirmed', () => {
    // A peer back from away (or a late joiner) may confirm exactly the tick of the state it was
    // sent and nothing after it yet: the tests compare hashes at the tick every view confirmed.
    const { recording: other } = peerGame(7);
    play(other, [1, 2, 3, 4, 5, 6]);
    other.confirm(6);
    const { recording } = peerGame(7);
    play(recording, [1, 2]);
    recording.deserialize(other.serialize().slice());
    recording.confirm(6);
    expect(recording.hashes.get(6)).toBeDefined();
    expect(recording.hashes.get(6)).toBe(other.hashes.get(6));
  });
});
