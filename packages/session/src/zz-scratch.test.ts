import { MessageType, encodeMessage } from '@rbn/protocol';
import { createLocalTransportGroup } from '@rbn/transport-local';
import { it } from 'vitest';
import { Harness } from './testing/harness';
import { Topology } from './types';

it('debug', async () => {
  for (const topology of [Topology.Star, Topology.Mesh]) {
    const h = new Harness(createLocalTransportGroup(['p0','p1','p2'], { latency: 10, seed: 88 }), 88, { hashInterval: 20, topology });
    await h.start(600, 3);
    h.run(60);
    const victim = topology === Topology.Star ? h.peers[0]! : h.peers[1]!;
    const tick = Math.floor(victim.session.confirmedTick / 20) * 20 - 40;
    const d = (victim.session as any).desync;
    console.log('confirmed', victim.session.confirmedTick, 'tick', tick, Object.keys(d));
    for (let i = 0; i < 3000; i++) h.peers[2]!.transport.send(victim.id, encodeMessage({ type: MessageType.Hash, tick, hash: 12345 }), false);
    h.run(5);
    console.log(Topology[topology], victim.desyncs.length, victim.errors.map(e=>e.error.message).slice(0,3));
  }
});
