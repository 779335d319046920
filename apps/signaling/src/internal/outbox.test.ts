import { describe, expect, it } from 'vitest';
import { Outbox, SERVER_SENDER, senderOf } from './outbox.js';

describe('Outbox', () => {
  it('sends while the backlog is under the limit', () => {
    const box = new Outbox(100);
    expect(box.offer('a', 60)).toBe('send');
    box.queued('a', 60);
    expect(box.offer('b', 40)).toBe('send');
  });

  it('blames the sender that holds most of a full backlog, and sheds the others', () => {
    const box = new Outbox(100);
    box.queued('flooder', 90);
    box.queued('honest', 5);
    expect(box.offer('flooder', 10)).toBe('cut-sender');
    expect(box.offer('honest', 10)).toBe('shed');
    expect(box.offer(SERVER_SENDER, 10)).toBe('shed');
  });

  it('sends again once the socket drained', () => {
    const box = new Outbox(100);
    box.queued('a', 100);
    expect(box.offer('a', 10)).toBe('cut-sender');
    box.flushed('a', 100);
    expect(box.total).toBe(0);
    expect(box.offer('a', 10)).toBe('send');
  });

  it('always sends into an empty backlog, even a message over the limit', () => {
    expect(new Outbox(10).offer('a', 50)).toBe('send');
  });
});

describe('senderOf', () => {
  it.each([
    ['{"type":"signal","from":"p-1","data":1}', 'p-1'],
    ['{"type":"new-peer","id":"p-1","host":"p-0"}', SERVER_SENDER],
    ['{"type":"signal","from":"unterminated', SERVER_SENDER],
  ])('%s → %j', (json, sender) => {
    expect(senderOf(json)).toBe(sender);
  });
});
