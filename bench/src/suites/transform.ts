// Throughput of compress + segment + reassemble for a 1 MB game state:
// @rbn/transport-transform over @rbn/transport-local vs rollback-netcode@0.0.6's
// TransformingTransport over its LocalTransport, same bytes, same segment size, one process.
import { createLocalTransportGroup } from '@rbn/transport-local';
import { TransformingTransport } from '@rbn/transport-transform';
import type { TransformingTransportConfig } from '@rbn/transport-transform';
import * as rn from 'rollback-netcode';
import { median, printTable, type Row } from '../table';

const STATE_BYTES = 1024 * 1024;

/**
 * A state shaped like a game's: 16-byte entity records (id, kind, smooth position, velocity)
 * with some noise, so it compresses like real state (neither all zeros nor random).
 */
function gameState(): Uint8Array {
  const bytes = new Uint8Array(STATE_BYTES);
  const view = new DataView(bytes.buffer);
  let x = 12345;
  const rand = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  for (let e = 0; e + 16 <= STATE_BYTES; e += 16) {
    const id = e >> 4;
    view.setUint16(e, id & 0xffff, true);
    view.setUint8(e + 2, id % 7);
    view.setUint8(e + 3, rand() < 0.9 ? 1 : 0);
    view.setFloat32(e + 4, (id % 512) * 2.5 + Math.round(rand() * 4) / 4, true);
    view.setFloat32(e + 8, Math.floor(id / 512) * 2.5, true);
    view.setInt16(e + 12, Math.round((rand() - 0.5) * 8), true);
    view.setInt16(e + 14, 0, true);
  }
  return bytes;
}

function noise(): Uint8Array {
  const bytes = new Uint8Array(STATE_BYTES);
  let x = 99;
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

type Pipe = {
  /** Sends the state a → b and delivers it; returns the received size. */
  roundTrip(): number;
  wireBytes(): number;
  dispose(): void;
};

async function rbnPipe(state: Uint8Array, config: TransformingTransportConfig): Promise<Pipe> {
  const group = createLocalTransportGroup(['a', 'b']);
  const innerA = group.get('a')!;
  const innerB = group.get('b')!;
  const a = new TransformingTransport(innerA, config);
  const b = new TransformingTransport(innerB, config);
  let received = 0;
  b.onMessage = (_from, message) => (received = message.byteLength);
  await a.connect('b');
  return {
    roundTrip() {
      received = 0;
      a.send('b', state, true);
      innerB.flush();
      return received;
    },
    wireBytes: () => innerA.getLinkStats('b')!.bytesSent,
    dispose: () => a.disconnectAll(),
  };
}

async function rnPipe(state: Uint8Array): Promise<Pipe> {
  const group = rn.createLocalTransportGroup(['a', 'b']);
  const innerA = group.get('a')!;
  const innerB = group.get('b')!;
  let wire = 0;
  const send = innerA.send.bind(innerA);
  innerA.send = (peerId, message, reliable) => {
    wire += message.byteLength;
    send(peerId, message, reliable);
  };
  const a = new rn.TransformingTransport(innerA);
  const b = new rn.TransformingTransport(innerB);
  await Promise.all([a.ready, b.ready]);
  let received = 0;
  b.onMessage = (_from, message) => (received = message.byteLength);
  await a.connect('b');
  return {
    roundTrip() {
      received = 0;
      a.send('b', state, true);
      innerA.flush(); // rollback-netcode queues messages at the sender
      return received;
    },
    wireBytes: () => wire,
    dispose: () => {
      a.dispose();
      b.dispose();
    },
  };
}

/** Median ms per round trip over alternating rounds, plus wire bytes of one round trip. */
function measure(pipe: Pipe, rounds: number, perRound: number): { ms: number; wire: number } {
  const before = pipe.wireBytes();
  if (pipe.roundTrip() !== STATE_BYTES) throw new Error('state did not arrive whole');
  const wire = pipe.wireBytes() - before;
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) pipe.roundTrip();
    times.push(Number(process.hrtime.bigint() - start) / 1e6 / perRound);
  }
  times.sort((x, y) => x - y);
  return { ms: times[Math.floor(times.length / 2)]!, wire };
}

export default async function transformSuite(): Promise<void> {
  const rows: Row[] = [];
  for (const [label, state] of [
    ['game state', gameState()],
    ['random bytes', noise()],
  ] as const) {
    const ours = await rbnPipe(state, {});
    const ours6 = await rbnPipe(state, { compressionLevel: 6 });
    const theirs = await rnPipe(state);
    // warm up both, then alternate rounds so machine load hits both alike
    measure(ours, 1, 2);
    measure(ours6, 1, 2);
    measure(theirs, 1, 2);
    const runs = { ours: [] as number[], ours6: [] as number[], theirs: [] as number[] };
    let wire = { ours: 0, ours6: 0, theirs: 0 };
    for (let round = 0; round < 5; round++) {
      const o = measure(ours, 1, 3);
      const o6 = measure(ours6, 1, 3);
      const t = measure(theirs, 1, 3);
      runs.ours.push(o.ms);
      runs.ours6.push(o6.ms);
      runs.theirs.push(t.ms);
      wire = { ours: o.wire, ours6: o6.wire, theirs: t.wire };
    }
    const mbps = (ms: number) => STATE_BYTES / 1024 / 1024 / (ms / 1000);
    rows.push(
      {
        metric: `1 MB ${label}: throughput, default config`,
        unit: 'MB/s',
        rbn: mbps(median(runs.ours)),
        competitor: mbps(median(runs.theirs)),
        target: '≥ 1×',
      },
      {
        metric: `1 MB ${label}: time per send+reassemble`,
        unit: 'ms',
        rbn: median(runs.ours),
        competitor: median(runs.theirs),
      },
      {
        metric: `1 MB ${label}: bytes on the wire`,
        unit: 'B',
        rbn: wire.ours,
        competitor: wire.theirs,
      },
      {
        metric: `1 MB ${label}: throughput, rbn at deflate level 6`,
        unit: 'MB/s',
        rbn: mbps(median(runs.ours6)),
        competitor: mbps(median(runs.theirs)),
      },
      {
        metric: `1 MB ${label}: bytes on the wire, rbn at level 6`,
        unit: 'B',
        rbn: wire.ours6,
        competitor: wire.theirs,
      },
    );
    ours.dispose();
    ours6.dispose();
    theirs.dispose();
  }
  printTable(
    'transform: compress + segment + reassemble (1 MB, 16000-byte segments, over LocalTransport)',
    rows,
  );
}
