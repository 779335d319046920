// Signaling relay load test: N WebSocket clients in N/2 rooms of two exchange signals through
// the rbn signaling server (apps/signaling) and, doing the same relay work, through the PeerJS
// server (`peer`, its OFFER/ANSWER/CANDIDATE messages with `dst`). Each server runs in a child
// process so its RSS and CPU can be read from /proc; the clients run in this process.
// rollback-netcode ships no signaling server, so here the competitor column is PeerJS.
//
// Fairness: clients and server share the machine's cores, and a cold server (and a cold client
// process) spends its first second compiling, which would land in whichever server is measured
// first. So every run starts a fresh server, connects the clients, relays untimed for
// WARMUP_SECONDS, and only then times SECONDS of relaying; the two servers take turns going first
// across REPEATS runs each, and the table shows the medians.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { median, printTable } from '../table.js';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '../../../apps/signaling');
// `ws` and `peer` are dependencies of the signaling app; resolve them from there.
const requireFromApp = createRequire(join(appDir, 'package.json'));

/** The part of `ws`'s WebSocket this suite uses. */
type Socket = {
  on(event: 'open', listener: () => void): void;
  on(event: 'message', listener: (data: Buffer) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  send(text: string): void;
  terminate(): void;
};
const { WebSocket } = requireFromApp('ws') as { WebSocket: new (url: string) => Socket };

const CLIENTS = Number(process.env['SIGNALING_BENCH_CLIENTS'] ?? 2000);
/** Timed relaying per run. */
const SECONDS = Number(process.env['SIGNALING_BENCH_SECONDS'] ?? 3);
/** Untimed relaying per run before the timed part, on the same connections. */
const WARMUP_SECONDS = Number(process.env['SIGNALING_BENCH_WARMUP_SECONDS'] ?? 1.5);
/** Runs per server; even, so each server goes first as often as the other. */
const REPEATS = Number(process.env['SIGNALING_BENCH_REPEATS'] ?? 4);
/** Signal chains in flight per client (each received signal is answered by one more). */
const WINDOW = 2;
const CONNECT_BATCH = 100;

type Result = {
  signalsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  rssPerConnectionKiB: number;
  rssLoadedMiB: number;
  cpuMsPer1kSignals: number;
  connectMs: number;
};

/** One client's protocol: how to connect, recognise readiness, and send/parse a signal. */
type Protocol = {
  url(room: number, side: 0 | 1): string;
  /** Returns client `index`'s id once the server confirmed its connection. */
  ready(message: Record<string, unknown>, index: number): string | undefined;
  encode(to: string, stamp: number): string;
  /** The send time stamped in a relayed signal, or undefined for other messages. */
  decode(message: Record<string, unknown>): number | undefined;
};

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

function procStatus(pid: number): { rssKiB: number; cpuMs: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  return { rssKiB, cpuMs: ticks * 10 };
}

async function waitForHttp(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`server at ${url} did not come up`);
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

async function measure(child: ChildProcess, protocol: Protocol): Promise<Result> {
  const pid = child.pid ?? 0;
  await new Promise((resolve) => setTimeout(resolve, 300));
  const idle = procStatus(pid);

  const sockets: Socket[] = [];
  const ids: string[] = new Array<string>(CLIENTS);
  const latencies: number[] = [];
  let measuring = false;
  let received = 0;
  const onSignal: ((from: number, stamp: number) => void)[] = [];

  const connectStart = performance.now();
  for (let base = 0; base < CLIENTS; base += CONNECT_BATCH) {
    const batch: Promise<void>[] = [];
    for (let i = base; i < Math.min(CLIENTS, base + CONNECT_BATCH); i++) {
      batch.push(
        new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(protocol.url(i >> 1, (i & 1) as 0 | 1));
          sockets[i] = ws;
          ws.on('error', reject);
          ws.on('message', (data) => {
            const message = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
            const stamp = protocol.decode(message);
            if (stamp !== undefined) {
              onSignal[i]?.(i ^ 1, stamp);
              return;
            }
            const id = protocol.ready(message, i);
            if (id !== undefined) {
              ids[i] = id;
              resolve();
            }
          });
        }),
      );
    }
    await Promise.all(batch);
  }
  const connectMs = performance.now() - connectStart;
  await new Promise((resolve) => setTimeout(resolve, 300));
  const connected = procStatus(pid);

  for (let i = 0; i < CLIENTS; i++) {
    const partner = ids[i ^ 1] ?? '';
    const ws = sockets[i];
    onSignal[i] = (_from, stamp) => {
      const now = performance.now();
      if (measuring) {
        received += 1;
        latencies.push(now - stamp);
      }
      ws?.send(protocol.encode(partner, now));
    };
  }
  // Untimed warm-up: the chains start now and keep running into the timed part.
  const warmupStart = performance.now();
  for (let i = 0; i < CLIENTS; i++) {
    for (let w = 0; w < WINDOW; w++) {
      sockets[i]?.send(protocol.encode(ids[i ^ 1] ?? '', warmupStart));
    }
  }
  await new Promise((resolve) => setTimeout(resolve, WARMUP_SECONDS * 1000));

  const cpuBefore = procStatus(pid).cpuMs;
  measuring = true;
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  measuring = false;
  const elapsed = (performance.now() - start) / 1000;
  const loaded = procStatus(pid);
  for (const ws of sockets) ws.terminate();

  const sorted = Float64Array.from(latencies).sort();
  return {
    signalsPerSecond: received / elapsed,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    rssPerConnectionKiB: (connected.rssKiB - idle.rssKiB) / CLIENTS,
    rssLoadedMiB: loaded.rssKiB / 1024,
    cpuMsPer1kSignals: ((loaded.cpuMs - cpuBefore) / Math.max(1, received)) * 1000,
    connectMs,
  };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Whether to run the built server (as in production), else the sources through tsx. */
function rbnBuilt(): boolean {
  return existsSync(join(appDir, 'dist/cli.js'));
}

async function runRbn(): Promise<Result> {
  const port = await freePort();
  const built = rbnBuilt();
  const args = built ? ['dist/cli.js'] : ['--import', 'tsx', 'src/cli.ts'];
  const child = spawn(process.execPath, args, {
    cwd: appDir,
    stdio: 'ignore',
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      // A load test from one IP: lift the per-IP and per-connection limits.
      MAX_CONNECTIONS_PER_IP: String(CLIENTS * 2),
      MESSAGES_PER_SECOND: '1000000',
      MESSAGE_BURST: '1000000',
    },
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`);
    return await measure(child, {
      url: (room) => `ws://127.0.0.1:${port}/bench-${room}`,
      ready: (m) => (m['type'] === 'welcome' ? String(m['id']) : undefined),
      encode: (to, stamp) => `{"type":"signal","to":"${to}","data":{"t":${stamp}}}`,
      decode: (m) =>
        m['type'] === 'signal' ? (m['data'] as { t: number } | undefined)?.t : undefined,
    });
  } finally {
    await stop(child);
  }
}

async function runPeerJs(): Promise<Result> {
  const port = await freePort();
  const script = `import { PeerServer } from 'peer';
PeerServer({ port: ${port}, host: '127.0.0.1', concurrent_limit: ${CLIENTS * 2} });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: appDir,
    stdio: 'ignore',
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/`);
    return await measure(child, {
      url: (room, side) =>
        `ws://127.0.0.1:${port}/peerjs?key=peerjs&id=p${room}-${side}&token=t${room}${side}`,
      // PeerJS clients choose their own ids: client i is p<room>-<side>.
      ready: (m, i) => {
        if (m['type'] === 'ERROR') throw new Error(`PeerJS refused: ${JSON.stringify(m)}`);
        return m['type'] === 'OPEN' ? `p${i >> 1}-${i & 1}` : undefined;
      },
      encode: (to, stamp) => `{"type":"CANDIDATE","dst":"${to}","payload":{"t":${stamp}}}`,
      decode: (m) =>
        m['type'] === 'CANDIDATE' ? (m['payload'] as { t: number } | undefined)?.t : undefined,
    });
  } finally {
    await stop(child);
  }
}

type Server = { name: 'rbn' | 'PeerJS'; run: () => Promise<Result> };

function describeRun(result: Result): string {
  return (
    `${result.signalsPerSecond.toFixed(0)} signals/s, p50 ${result.p50Ms.toFixed(0)} ms, ` +
    `p99 ${result.p99Ms.toFixed(0)} ms, ${result.cpuMsPer1kSignals.toFixed(2)} ms CPU/1000`
  );
}

/** The signaling relay load test. */
export default async function signalingBench(): Promise<void> {
  requireFromApp.resolve('peer');
  console.log(
    `\nsignaling: ${CLIENTS} clients in ${CLIENTS / 2} rooms of two, ${WINDOW} signal chains in flight per client;` +
      ` per run a fresh server, ${WARMUP_SECONDS} s untimed then ${SECONDS} s timed; ${REPEATS} runs per server, alternating which goes first` +
      ' (2-core box: sized by SIGNALING_BENCH_CLIENTS / _SECONDS / _WARMUP_SECONDS / _REPEATS)',
  );
  console.log(`rbn server: ${rbnBuilt() ? 'apps/signaling/dist/cli.js' : 'src/cli.ts via tsx'}`);
  const suiteStart = performance.now();
  const loadBefore = loadavg()[0] ?? NaN;
  const rbnServer: Server = { name: 'rbn', run: runRbn };
  const peerServer: Server = { name: 'PeerJS', run: runPeerJs };
  const results: Record<Server['name'], Result[]> = { rbn: [], PeerJS: [] };
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const order = repeat % 2 === 0 ? [rbnServer, peerServer] : [peerServer, rbnServer];
    for (const server of order) {
      const result = await server.run();
      results[server.name].push(result);
      console.log(`  run ${repeat + 1} ${server.name.padEnd(6)} ${describeRun(result)}`);
    }
  }
  const medianOf = (name: Server['name'], key: keyof Result) =>
    median(results[name].map((r) => r[key]));
  const rows = [
    { metric: 'signals relayed per second', unit: '1/s', key: 'signalsPerSecond' },
    { metric: 'relay latency p50', unit: 'ms', key: 'p50Ms' },
    { metric: 'relay latency p99', unit: 'ms', key: 'p99Ms' },
    { metric: 'server RSS per connection', unit: 'KiB', key: 'rssPerConnectionKiB' },
    { metric: 'server RSS under load', unit: 'MiB', key: 'rssLoadedMiB' },
    { metric: 'server CPU per 1000 signals', unit: 'ms', key: 'cpuMsPer1kSignals' },
    { metric: `connect ${CLIENTS} clients to a fresh server`, unit: 'ms', key: 'connectMs' },
  ] as const;
  printTable(
    `signaling relay, medians of ${REPEATS} runs — competitor column: peer@1.0.2 (PeerJS server); rollback-netcode has no signaling server`,
    rows.map((r) => ({
      metric: r.metric,
      unit: r.unit,
      rbn: medianOf('rbn', r.key),
      competitor: medianOf('PeerJS', r.key),
    })),
    'PeerJS',
  );
  console.log(
    `\n${((performance.now() - suiteStart) / 1000).toFixed(0)} s; load average before the runs ${loadBefore.toFixed(1)}` +
      ` on ${availableParallelism()} cores (the suite itself keeps both busy; other work skews these figures)`,
  );
}
