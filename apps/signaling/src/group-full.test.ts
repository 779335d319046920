import { describe, expect, it } from 'vitest';
import { expectRefused, TestPeer, useSignalingFixtures } from './internal/test-peer.js';

const { start, join, track } = useSignalingFixtures();

describe('a visitor to a full ?next=N group', () => {
  it('is told, before its welcome, which full group it was placed beside', async () => {
    const server = await start();
    const url = `${server.wsUrl}/party?next=2`;
    const p1 = await join(url);
    const p2 = await join(url);
    const p3 = await join(url);

    // The notice came before the welcome: it was already in the inbox when the welcome arrived.
    expect(p3.peer.inbox[0]).toEqual({
      type: 'group-full',
      group: p1.welcome.group,
      groupSize: 2,
      host: p1.welcome.id,
      peers: [p1.welcome.id, p2.welcome.id],
    });
    // Matchmaking is unchanged: it hosts a new group, and the next visitor joins that one.
    expect(p3.welcome).toMatchObject({ isHost: true, peers: [] });
    expect(p3.welcome.group).not.toBe(p1.welcome.group);
    const p4 = await join(url);
    expect(p4.welcome.peers).toEqual([p3.welcome.id]);
    await p4.peer.barrier();
    expect(p4.peer.inbox.map((m) => m.type)).toEqual([]);
  });

  it('joins the full group late with ?group=, and its members meet it', async () => {
    const server = await start();
    const url = `${server.wsUrl}/party?next=2`;
    const p1 = await join(url);
    const p2 = await join(url);
    const p3 = await join(url);
    const notice = await p3.peer.next('group-full');
    p3.peer.send({ type: 'leave' });
    await p3.peer.closed;

    const late = await join(`${url}&group=${encodeURIComponent(notice.group)}`);
    expect(late.welcome).toMatchObject({
      group: p1.welcome.group,
      host: p1.welcome.id,
      isHost: false,
      peers: [p1.welcome.id, p2.welcome.id],
    });
    const joined = [(await p1.peer.next('new-peer')).id, (await p1.peer.next('new-peer')).id];
    expect(joined).toEqual([p2.welcome.id, late.welcome.id]);
    late.peer.send({ type: 'signal', to: p1.welcome.id, data: 'hello host' });
    expect((await p1.peer.next('signal')).data).toBe('hello host');
    await late.peer.barrier();
    expect(late.peer.inbox.map((m) => m.type)).toEqual([]);
  });

  it('is told nothing once the full group has emptied, and ?group= of it is refused', async () => {
    const server = await start();
    const url = `${server.wsUrl}/party?next=2`;
    const p1 = await join(url);
    const p2 = await join(url);
    for (const { peer } of [p1, p2]) {
      peer.send({ type: 'leave' });
      await peer.closed;
    }

    const p3 = await join(url);
    await p3.peer.barrier();
    expect(p3.peer.inbox.map((m) => m.type)).toEqual([]);

    const gone = track(await TestPeer.open(`${url}&group=${encodeURIComponent(p1.welcome.group)}`));
    expect((await gone.next('error')).code).toBe('group-gone');
    expect((await gone.closed).code).toBe(4003);
  });

  it('cannot use ?group= to enter another room, another size or a plain room', async () => {
    const server = await start();
    const p1 = await join(`${server.wsUrl}/party?next=2`);
    await join(`${server.wsUrl}/party?next=2`);
    const group = encodeURIComponent(p1.welcome.group);
    for (const path of [`/other?next=2&group=${group}`, `/party?next=3&group=${group}`]) {
      const peer = track(await TestPeer.open(`${server.wsUrl}${path}`));
      expect((await peer.next('error')).code, path).toBe('group-gone');
    }
    const plain = await expectRefused(`${server.wsUrl}/party?group=${group}`);
    expect(plain).toEqual({ status: 400, reason: 'bad-group' });
  });
});
