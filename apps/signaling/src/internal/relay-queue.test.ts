import { describe, expect, it } from 'vitest';
import { RelayQueue } from './relay-queue.js';

/** A relay the test completes by hand. */
function manual(): { run: () => Promise<boolean>; started: () => boolean; finish: () => void } {
  let started = false;
  let finish: () => void = () => undefined;
  const done = new Promise<boolean>((resolve) => {
    finish = () => resolve(true);
  });
  return {
    run: () => {
      started = true;
      return done;
    },
    started: () => started,
    finish: () => finish(),
  };
}

const limits = { maxInflightBytes: 100, maxQueuedBytes: 200, perSenderBytes: 150 };

describe('RelayQueue', () => {
  it('runs relays up to the in-flight bound and queues the rest in order', async () => {
    const queue = new RelayQueue(limits);
    const [r1, r2, r3] = [manual(), manual(), manual()];
    expect(queue.submit('a', 60, r1.run)).not.toBeNull();
    expect(queue.submit('b', 60, r2.run)).not.toBeNull();
    expect(queue.submit('c', 30, r3.run)).not.toBeNull();
    expect([r1.started(), r2.started(), r3.started()]).toEqual([true, false, false]);
    r1.finish();
    await Promise.resolve();
    await Promise.resolve();
    expect([r2.started(), r3.started()]).toEqual([true, true]);
    expect(queue.pendingBytes).toBe(90);
  });

  it('sheds a sender over its own share while others still get in', () => {
    const queue = new RelayQueue(limits);
    const hold = manual();
    expect(queue.submit('flooder', 80, hold.run)).not.toBeNull();
    expect(queue.submit('flooder', 60, manual().run)).not.toBeNull();
    expect(queue.submit('flooder', 60, manual().run)).toBeNull();
    expect(queue.submit('honest', 10, manual().run)).not.toBeNull();
  });

  it('sheds when the waiting queue is full, and never runs what it shed', () => {
    const queue = new RelayQueue({ ...limits, perSenderBytes: 1_000 });
    expect(queue.submit('a', 100, manual().run)).not.toBeNull();
    expect(queue.submit('b', 100, manual().run)).not.toBeNull();
    expect(queue.submit('c', 100, manual().run)).not.toBeNull();
    const shed = manual();
    expect(queue.submit('d', 100, shed.run)).toBeNull();
    expect(shed.started()).toBe(false);
  });

  it("makes room in a full queue for a lighter sender by shedding the heaviest one's newest relays", async () => {
    const queue = new RelayQueue({
      maxInflightBytes: 10,
      maxQueuedBytes: 100,
      perSenderBytes: 1_000,
    });
    expect(queue.submit('first', 10, manual().run)).not.toBeNull();
    const flood = [1, 2, 3, 4].map(() => queue.submit('flooder', 25, manual().run));
    const other = manual();
    const light = queue.submit('light', 20, other.run);
    expect(light).not.toBeNull();
    expect(await flood[3]).toBe('shed');
    // The flooder cannot push the light sender out in turn.
    expect(queue.submit('flooder', 25, manual().run)).toBeNull();
    expect(queue.pendingBytes).toBe(10 + 75 + 20);
  });

  it('frees the room of a relay that failed and passes the failure on', async () => {
    const queue = new RelayQueue(limits);
    const failed = queue.submit('a', 100, () => Promise.reject(new Error('redis down')));
    await expect(failed).rejects.toThrow('redis down');
    expect(queue.pendingBytes).toBe(0);
    expect(await queue.submit('a', 100, () => Promise.resolve(true))).toBe(true);
  });
});
