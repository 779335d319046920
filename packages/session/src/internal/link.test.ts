// A link's view of loss: the peer's message counter (seq) shows lost packets, and a lossy link
// sends a changed input on more frames until the peer acknowledges it.
import { describe, expect, it } from 'vitest';
import { LOSS_MEMORY_MS, Link, REORDER_WINDOW } from './link';

const FRAME = 1000 / 60;

/** Feeds `seqs` as the peer's message counters, one per frame. */
function receive(link: Link, seqs: number[]): void {
  seqs.forEach((seq, i) => link.noteReceivedSeq(seq, i * FRAME));
}

/** Frames (of `frames` after a change) on which the change goes out again, unacknowledged. */
function resends(link: Link, now: number, frames: number): number[] {
  link.assignSlots([0], []);
  link.startAcks(() => 0);
  link.noteChangeSent(0, 10, now);
  const out: number[] = [];
  for (let f = 1; f <= frames; f++) {
    if (link.resendDue(now + f * FRAME, FRAME, 8, false)) out.push(f);
  }
  return out;
}

describe('Link loss detection', () => {
  it('counts a message that never arrives as lost, once the reorder window has passed', () => {
    const link = new Link('p1', 0);
    receive(link, [0, 1, 2, 4, 5]);
    expect(link.lostMessages).toBe(0); // 3 may still come, late
    receive(link, [6, 7, 8]);
    expect(REORDER_WINDOW).toBeLessThanOrEqual(4);
    expect(link.lostMessages).toBe(1);
    expect(link.lossyAt(8 * FRAME)).toBe(true);
  });

  it('does not count a message that arrives late, out of order, as lost', () => {
    const link = new Link('p1', 0);
    receive(link, [0, 1, 3, 2, 4, 5, 6, 7, 8, 9]);
    expect(link.lostMessages).toBe(0);
    expect(link.lossyAt(10 * FRAME)).toBe(false);
  });

  it('counts across the wrap of the one-byte counter, and ignores duplicates', () => {
    const link = new Link('p1', 0);
    receive(link, [253, 254, 254, 0, 1, 2, 3, 4, 5]);
    expect(link.lostMessages).toBe(1); // 255
  });

  it('forgets the loss after LOSS_MEMORY_MS without another', () => {
    const link = new Link('p1', 0);
    receive(link, [0, 2, 3, 4, 5, 6]);
    expect(link.lossyAt(6 * FRAME)).toBe(true);
    expect(link.lossyAt(6 * FRAME + LOSS_MEMORY_MS)).toBe(false);
  });
});

describe('Link resends', () => {
  it('sends an unacknowledged change again on the next frame on a clean link', () => {
    const link = new Link('p1', 0);
    link.addRttSample(100);
    expect(resends(link, 0, 5)).toEqual([1]);
  });

  it('sends it again on the next frame and the third on a link that lost a message', () => {
    const link = new Link('p1', 0);
    link.addRttSample(100);
    receive(link, [0, 2, 3, 4, 5, 6]);
    const now = 7 * FRAME;
    // The third frame, not the second: a burst of loss in time that takes the first two copies
    // is less likely to take it too.
    expect(resends(link, now, 5)).toEqual([1, 3]);
  });

  it('stops resending once the peer acknowledges the change', () => {
    const link = new Link('p1', 0);
    link.addRttSample(100);
    receive(link, [0, 2, 3, 4, 5, 6]);
    link.assignSlots([0], []);
    link.startAcks(() => 0);
    link.noteChangeSent(0, 10, 0);
    expect(link.resendDue(FRAME, FRAME, 8, false)).toBe(true);
    link.noteAck(0, 10);
    expect(link.resendDue(2 * FRAME, FRAME, 8, false)).toBe(false);
    expect(link.resendDue(3 * FRAME, FRAME, 8, false)).toBe(false);
  });
});

describe('Link heartbeat probe', () => {
  /** Frames (of 40 after an unchanged input of our own slot went out) on which it goes out again. */
  function probes(toHost: boolean): number[] {
    const link = new Link('p1', 0);
    link.addRttSample(100);
    link.assignSlots([0], []);
    link.startAcks(() => 0);
    link.noteSent(0, 10);
    link.noteInputsSent(0, 0);
    const out: number[] = [];
    for (let f = 1; f <= 40; f++) {
      const now = f * FRAME;
      if (!link.resendDue(now, FRAME, 8, toHost)) continue;
      out.push(f);
      link.noteInputsSent(now, 0); // the resend, unacknowledged in turn
    }
    return out;
  }

  it('sends our unacknowledged inputs to the host again each time the ack is overdue (RTT, a heartbeat and two frames)', () => {
    // 100 ms + 10 frames ≈ 16 frames: once past it, then again that long after the resend.
    expect(probes(true)).toEqual([17, 34]);
  });

  it('does not to another peer, which may tick slower and ack later without harm', () => {
    expect(probes(false)).toEqual([]);
  });
});
