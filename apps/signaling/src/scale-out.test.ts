import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CLOSE_EXIT_TEST_MS,
  runCloseExitFixture,
  TestPeer,
  useSignalingFixtures,
} from './internal/test-peer.js';
import { createSignalingServer } from './server.js';
import type { SignalingServer, SignalingServerOptions } from './options.js';

// Server instances (in this process, or child processes running the CLI), each with its own
// Redis connections, sharing one real redis-server (Debian's, installed by
// scripts/ensure-system-deps.mjs) on a free loopback port.

let redis: ChildProcess | undefined;
let redisUrl = '';
let prefixCounter = 0;
const { join, track, servers } = useSignalingFixtures();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  const port = await freePort();
  const child = spawn(
    '/usr/bin/redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  redis = child;
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`redis-server did not start:\n${output}`)),
      10_000,
    );
    child.once('error', reject);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  redisUrl = `redis://127.0.0.1:${port}`;
});

afterAll(() => {
  redis?.kill('SIGKILL');
});

/** The value of an unlabelled metric of `server` (NaN when absent). */
async function metricValue(server: SignalingServer, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return match?.[1] === undefined ? NaN : Number(match[1]);
}

/** Two servers on one Redis, with a key prefix of their own per test. */
async function cluster(
  options: SignalingServerOptions = {},
): Promise<[SignalingServer, SignalingServer]> {
  const redisKeyPrefix = `test${++prefixCounter}:`;
  const make = () =>
    createSignalingServer({ logger: 'silent', redisUrl, redisKeyPrefix, ...options });
  const pair = await Promise.all([make(), make()]);
  servers.push(...pair);
  return pair;
}

/** Server processes the test started; killed after it if still running. */
const processes: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(
    processes.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }),
  );
});

/**
 * Starts a signaling server in a child Node process (the CLI, from source), on this test's
 * Redis, and waits until it listens.
 */
async function serverProcess(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; wsUrl: string; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--port', '0'], {
    cwd: joinPath(dirname(fileURLToPath(import.meta.url)), '..'),
    env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', REDIS_URL: redisUrl, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  processes.push(child);
  const wsUrl = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const match = /listening on (ws:\/\/\S+)/.exec(err);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', () => reject(new Error(`server process exited early:\n${err}`)));
  });
  return { child, wsUrl, url: wsUrl.replace(/^ws/, 'http') };
}

describe('signaling scale-out through Redis', () => {
  it('matches ?next=2 peers connected to different server processes and relays their signals', async () => {
    // One server in this process, one in a child process: they share nothing but Redis.
    const redisKeyPrefix = `next${++prefixCounter}:`;
    const s1 = await createSignalingServer({ logger: 'silent', redisUrl, redisKeyPrefix });
    servers.push(s1);
    const s2 = await serverProcess({ REDIS_KEY_PREFIX: redisKeyPrefix });
    const a = await join(`${s1.wsUrl}/lobby?next=2`);
    const b = await join(`${s2.wsUrl}/lobby?next=2`);
    const c = await join(`${s2.wsUrl}/lobby?next=2`);
    const d = await join(`${s1.wsUrl}/lobby?next=2`);

    expect(b.welcome.peers).toEqual([a.welcome.id]);
    expect(b.welcome.host).toBe(a.welcome.id);
    expect(await a.peer.next('new-peer')).toMatchObject({ id: b.welcome.id, host: a.welcome.id });
    expect(c.welcome.peers).toEqual([]);
    expect(c.welcome.isHost).toBe(true);
    expect(d.welcome.peers).toEqual([c.welcome.id]);

    a.peer.send({ type: 'signal', to: b.welcome.id, data: { sdp: 'offer' } });
    expect(await b.peer.next('signal')).toEqual({
      type: 'signal',
      from: a.welcome.id,
      data: { sdp: 'offer' },
    });
    b.peer.send({ type: 'signal', to: a.welcome.id, data: { sdp: 'answer' } });
    expect((await a.peer.next('signal')).data).toEqual({ sdp: 'answer' });

    a.peer.send({ type: 'signal', to: c.welcome.id, data: 'other group' });
    expect((await a.peer.next('error')).code).toBe('not-in-room');
    expect((await c.peer.next('new-peer')).id).toBe(d.welcome.id);
    await c.peer.barrier();
    expect(c.peer.inbox.map((m) => m.type)).toEqual(['group-full']);

    const metrics = await (await fetch(`${s2.url}/metrics`)).text();
    expect(metrics).toMatch(/rbn_signaling_match_latency_seconds_count 1/);
  });

  it('tells a visitor on another server about the full group, and lets it join that one late', async () => {
    const [s1, s2] = await cluster();
    const a = await join(`${s1.wsUrl}/party?next=2`);
    const b = await join(`${s1.wsUrl}/party?next=2`);
    const c = await join(`${s2.wsUrl}/party?next=2`);
    expect(c.peer.inbox[0]).toEqual({
      type: 'group-full',
      group: a.welcome.group,
      groupSize: 2,
      host: a.welcome.id,
      peers: [a.welcome.id, b.welcome.id],
    });
    expect(c.welcome).toMatchObject({ isHost: true, peers: [] });

    const late = await join(
      `${s2.wsUrl}/party?next=2&group=${encodeURIComponent(a.welcome.group)}`,
    );
    expect(late.welcome).toMatchObject({ group: a.welcome.group, host: a.welcome.id });
    expect(late.welcome.peers).toEqual([a.welcome.id, b.welcome.id]);
    late.peer.send({ type: 'signal', to: a.welcome.id, data: 'watching' });
    expect((await a.peer.next('signal')).data).toBe('watching');

    for (const { peer } of [a, b, late]) {
      peer.send({ type: 'leave' });
      await peer.closed;
    }
    const gone = track(
      await TestPeer.open(`${s1.wsUrl}/party?next=2&group=${encodeURIComponent(a.welcome.group)}`),
    );
    expect((await gone.next('error')).code).toBe('group-gone');
    const d = await join(`${s1.wsUrl}/party?next=2`);
    expect(d.welcome.peers).toEqual([c.welcome.id]);
    await d.peer.barrier();
    expect(d.peer.inbox).toEqual([]);
  });

  it('forms exactly one group per two joiners when many join both servers at once', async () => {
    const [s1, s2] = await cluster();
    const joined = await Promise.all(
      Array.from({ length: 8 }, (_, i) => join(`${(i % 2 ? s1 : s2).wsUrl}/rush?next=2`)),
    );
    const byGroup = new Map<string, number>();
    for (const { welcome } of joined) {
      byGroup.set(welcome.group, (byGroup.get(welcome.group) ?? 0) + 1);
    }
    expect([...byGroup.values()]).toEqual([2, 2, 2, 2]);
  });

  it('tells peers on the other server when a peer leaves, and enforces the room cap cluster-wide', async () => {
    const [s1, s2] = await cluster({ maxRoomSize: 2, resumeGraceMs: 0 });
    const a = await join(`${s1.wsUrl}/room`);
    const b = await join(`${s2.wsUrl}/room`);
    const third = track(await TestPeer.open(`${s1.wsUrl}/room`));
    expect((await third.next('error')).code).toBe('room-full');

    b.peer.send({ type: 'leave' });
    expect(await a.peer.next('peer-left')).toMatchObject({ id: b.welcome.id, host: a.welcome.id });
    await join(`${s2.wsUrl}/room`);
  });

  it('resumes an id on the other server within the grace window', async () => {
    const [s1, s2] = await cluster({ resumeGraceMs: 5_000 });
    const a = await join(`${s1.wsUrl}/room`);
    const b = await join(`${s1.wsUrl}/room`);
    await a.peer.next('new-peer');
    b.peer.ws.terminate();

    const again = await join(`${s2.wsUrl}/room?resume=${b.welcome.resumeToken}`);
    expect(again.welcome).toMatchObject({ resumed: true, id: b.welcome.id, peers: [a.welcome.id] });
    a.peer.send({ type: 'signal', to: b.welcome.id, data: 'after resume' });
    expect((await again.peer.next('signal')).data).toBe('after resume');
    await a.peer.barrier();
    expect(a.peer.inbox).toEqual([]);
  });

  it('announces a dropped peer to the other server once its grace window ends', async () => {
    const [s1, s2] = await cluster({ resumeGraceMs: 100 });
    const a = await join(`${s1.wsUrl}/room`);
    const b = await join(`${s2.wsUrl}/room`);
    b.peer.ws.terminate();
    expect(await a.peer.next('peer-left')).toMatchObject({ id: b.welcome.id, host: a.welcome.id });
    const late = await join(`${s1.wsUrl}/room?resume=${b.welcome.resumeToken}`);
    expect(late.welcome).toMatchObject({ resumed: false, peers: [a.welcome.id] });
  });

  it('drops the peers of a crashed process once its heartbeat expires', async () => {
    const redisKeyPrefix = `crash${++prefixCounter}:`;
    const { child, wsUrl: url } = await serverProcess({
      REDIS_KEY_PREFIX: redisKeyPrefix,
      REDIS_HEARTBEAT_MS: '100',
    });
    const [live] = await cluster({ redisKeyPrefix });
    const a = await join(`${live.wsUrl}/room`);
    const orphan = await join(`${url}/room`);
    expect((await a.peer.next('new-peer')).id).toBe(orphan.welcome.id);

    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const redisClient = new Redis(redisUrl);
    try {
      // Wait until only the two live servers' heartbeat keys are left.
      for (let i = 0; (await redisClient.keys(`${redisKeyPrefix}alive:*`)).length > 2; i++) {
        if (i > 200) throw new Error('the crashed server heartbeat never expired');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      redisClient.disconnect();
    }

    const b = await join(`${live.wsUrl}/room`);
    expect(b.welcome.peers).toEqual([a.welcome.id]);
    expect(await a.peer.next('peer-left')).toMatchObject({ id: orphan.welcome.id });
  });

  it("tells the group-mates of a crashed process's peers that they left, with no join needed", async () => {
    const redisKeyPrefix = `reap${++prefixCounter}:`;
    const { child, wsUrl: url } = await serverProcess({
      REDIS_KEY_PREFIX: redisKeyPrefix,
      REDIS_HEARTBEAT_MS: '100',
    });
    // The survivor beats once a second (a TTL of three): at 100 ms a loaded machine's stall of
    // 300 ms expired its own key, and it closed this test's socket with 1012. The crashed
    // process's 100 ms beat is what makes its key expire soon after the kill.
    const live = await createSignalingServer({
      logger: 'silent',
      redisUrl,
      redisKeyPrefix,
      redisHeartbeatMs: 1_000,
    });
    servers.push(live);
    const a = await join(`${live.wsUrl}/room`);
    const orphans = [await join(`${url}/room`), await join(`${url}/room`)];
    for (let i = 0; i < orphans.length; i++) await a.peer.next('new-peer');

    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    // Nobody joins: the survivor's own heartbeat finds the expired process and cleans up.
    const left = [
      (await a.peer.next('peer-left', 30_000)).id,
      (await a.peer.next('peer-left', 30_000)).id,
    ];
    expect(left.sort()).toEqual(orphans.map((o) => o.welcome.id).sort());
    const redisClient = new Redis(redisUrl);
    try {
      expect(await redisClient.keys(`${redisKeyPrefix}p:*`)).toHaveLength(1);
    } finally {
      redisClient.disconnect();
    }
    expect(await metricValue(live, 'rbn_signaling_crashed_peers_reaped_total')).toBe(2);
  }, 60_000);

  it('closes its sockets when it finds its own heartbeat expired (presumed crashed), so clients rejoin', async () => {
    // The test expires s2's key itself, so the beat only sets how soon s2 notices. A beat of a
    // second (a TTL of three) keeps a loaded machine's stalls from expiring a key by accident,
    // which would close a socket of this test with 1012 at a moment it does not expect.
    const [s1, s2] = await cluster({ redisHeartbeatMs: 1_000 });
    const a = await join(`${s1.wsUrl}/room`);
    const b = await join(`${s2.wsUrl}/room`);
    await a.peer.next('new-peer');
    const admin = new Redis(redisUrl);
    try {
      // Which server holds b: the one whose peer set lists it.
      const sets = await admin.keys(`test${prefixCounter}:sp:*`);
      let holder = '';
      for (const key of sets) {
        if (await admin.sismember(key, b.welcome.id)) holder = key.slice(key.lastIndexOf(':') + 1);
      }
      expect(holder).not.toBe('');
      // As if s2 stalled past its TTL: its key is gone, and s1's sweep removes b.
      await admin.del(`test${prefixCounter}:alive:${holder}`);
    } finally {
      admin.disconnect();
    }
    expect((await a.peer.next('peer-left', 30_000)).id).toBe(b.welcome.id);
    expect((await b.peer.closed).code).toBe(1012);
    const again = await join(`${s2.wsUrl}/room?resume=${b.welcome.resumeToken}`);
    expect(again.welcome).toMatchObject({ resumed: false, peers: [a.welcome.id] });
    expect((await a.peer.next('new-peer')).id).toBe(again.welcome.id);
  }, 60_000);

  it('keeps its pub/sub connection through a flood of large signals: the flooders are shed and cut', async () => {
    const admin = new Redis(redisUrl);
    // A tight pub/sub output limit, so a subscriber that falls behind is cut at once.
    const saved = (await admin.config('GET', 'client-output-buffer-limit')) as string[];
    await admin.config('SET', 'client-output-buffer-limit', 'pubsub 512kb 256kb 1');
    try {
      const [s1] = await cluster({
        messagesPerSecond: 10_000,
        messageBurst: 10_000,
        maxConnectionsPerIp: 100,
        redisMaxInflightBytes: 128 * 1024,
      });
      const subscribers = async () =>
        String(await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub'))
          .trim()
          .split('\n')
          .sort();
      const before = await subscribers();
      const p1 = await join(`${s1.wsUrl}/calm`);
      const p2 = await join(`${s1.wsUrl}/calm`);
      const target = await join(`${s1.wsUrl}/flood`);
      const flooders = await Promise.all(
        Array.from({ length: 8 }, () => join(`${s1.wsUrl}/flood`)),
      );
      const chunk = 'f'.repeat(60_000);
      for (const f of flooders) {
        for (let i = 0; i < 100; i++) {
          f.peer.send({ type: 'signal', to: target.welcome.id, data: chunk });
        }
      }
      // Each flooder is either cut or answers a ping once the server went through its flood.
      await Promise.all(
        flooders.map((f) => Promise.race([f.peer.barrier(), f.peer.closed]).catch(() => undefined)),
      );
      // The process's subscription was never cut (same client ids), and other rooms relay.
      expect((await subscribers()).map((line) => /\bid=(\d+)/.exec(line)?.[1])).toEqual(
        before.map((line) => /\bid=(\d+)/.exec(line)?.[1]),
      );
      // The flood was refused at its source.
      const refused = flooders.filter(
        (f) =>
          f.peer.ws.readyState !== f.peer.ws.OPEN ||
          f.peer.inbox.some((m) => m.type === 'error' && m.code === 'rate-limited'),
      );
      expect(refused.length).toBeGreaterThan(0);
      p1.peer.send({ type: 'signal', to: p2.welcome.id, data: 'still relayed' });
      expect((await p2.peer.next('signal', 30_000)).data).toBe('still relayed');
      expect(await metricValue(s1, 'rbn_signaling_redis_resubscribes_total')).toBe(0);
    } finally {
      await admin.config('SET', 'client-output-buffer-limit', saved[1] ?? '');
      admin.disconnect();
    }
  }, 60_000);

  it('restores a subscription Redis cut, counts it, and relays across processes again', async () => {
    const [s1, s2] = await cluster();
    const a = await join(`${s1.wsUrl}/room`);
    const b = await join(`${s2.wsUrl}/room`);
    await a.peer.next('new-peer');
    const admin = new Redis(redisUrl);
    try {
      await admin.client('KILL', 'TYPE', 'pubsub');
    } finally {
      admin.disconnect();
    }
    for (const server of [s1, s2]) {
      for (
        let i = 0;
        (await metricValue(server, 'rbn_signaling_redis_resubscribes_total')) < 1;
        i++
      ) {
        if (i > 1_500) throw new Error('the subscription was never restored');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    a.peer.send({ type: 'signal', to: b.welcome.id, data: 'after the cut' });
    expect((await b.peer.next('signal', 30_000)).data).toBe('after the cut');
  }, 60_000);

  it('ignores a resume token used for another room and leaves its owner in place', async () => {
    const [s1, s2] = await cluster({ resumeGraceMs: 5_000 });
    const a = await join(`${s1.wsUrl}/room`);
    const b = await join(`${s1.wsUrl}/room`);
    await a.peer.next('new-peer');
    const elsewhere = await join(`${s2.wsUrl}/other?resume=${b.welcome.resumeToken}`);
    expect(elsewhere.welcome).toMatchObject({ resumed: false, peers: [] });
    a.peer.send({ type: 'signal', to: b.welcome.id, data: 'still yours' });
    expect((await b.peer.next('signal')).data).toBe('still yours');
  });

  it(
    'releases its Redis connections on close (a child process exits by itself)',
    async () => {
      const result = await runCloseExitFixture(redisUrl);
      expect(result.hang).toBe('');
      expect(result).toMatchObject({ code: 0, killed: false });
    },
    CLOSE_EXIT_TEST_MS,
  );

  it('fails to start, and cleans up, when Redis is unreachable', async () => {
    const port = await freePort();
    await expect(
      createSignalingServer({ logger: 'silent', redisUrl: `redis://127.0.0.1:${port}` }),
    ).rejects.toThrow(/backend failed to start/);
  });
});
