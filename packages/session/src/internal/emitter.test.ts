import { describe, expect, it } from 'vitest';
import { SessionState } from '../types';
import { Emitter } from './emitter';

describe('Emitter', () => {
  it('stops calling a listener after off, and a listener may remove itself while called', () => {
    const emitter = new Emitter();
    const calls: string[] = [];
    const once = (): void => {
      calls.push('once');
      emitter.off('gameStart', once);
    };
    const always = (): void => {
      calls.push('always');
    };
    emitter.on('gameStart', once);
    emitter.on('gameStart', always);
    emitter.emit('gameStart');
    emitter.emit('gameStart');
    expect(calls).toEqual(['once', 'always', 'always']);
  });

  it('removes the listeners of one event, or of every event', () => {
    const emitter = new Emitter();
    const calls: string[] = [];
    emitter.on('gameStart', () => calls.push('start'));
    emitter.on('stateChange', () => calls.push('state'));
    emitter.removeAll('gameStart');
    emitter.emit('gameStart');
    emitter.emit('stateChange', SessionState.Lobby, SessionState.Connecting);
    expect(calls).toEqual(['state']);
    emitter.removeAll();
    emitter.emit('stateChange', SessionState.Playing, SessionState.Lobby);
    expect(calls).toEqual(['state']);
  });

  it('reports a throwing listener as an error event and still calls the rest', () => {
    const emitter = new Emitter();
    const errors: [string, unknown][] = [];
    let reached = false;
    emitter.on('error', (error, context) => errors.push([error.message, context]));
    emitter.on('gameStart', () => {
      throw new Error('boom');
    });
    emitter.on('gameStart', () => {
      reached = true;
    });
    emitter.emit('gameStart');
    expect(reached).toBe(true);
    expect(errors).toEqual([
      ['boom', { source: 'listener', recoverable: true, event: 'gameStart' }],
    ]);
  });
});
