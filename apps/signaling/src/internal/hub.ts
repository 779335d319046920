import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { CloseCode } from '@rbn/online';
import type {
  ClientMessage,
  ErrorCode,
  GroupFullMessage,
  IceServer,
  WelcomeMessage,
} from '@rbn/online';
import { createResumeToken, readResumeToken } from '../tokens.js';
import type { Backend, BackendSink, Membership } from './backend.js';
import { createConn, judgeFrame } from './connection.js';
import type { Conn } from './connection.js';
import { pushBounded } from './grace.js';
import type { Limits } from './limits.js';
import type { ServerMetrics } from './metrics.js';
import { SERVER_SENDER, senderOf } from './outbox.js';
import type { RelayQueue } from './relay-queue.js';
import { ResumeGrace } from './resume.js';

/** Standard WebSocket close code "service restart": reconnect. */
const SERVICE_RESTART = 1012;

/** Relays shed for one sender (over its share of the backend queue) before it is cut. */
const MAX_SHEDS = 50;

/** What a {@link Hub} needs from the server around it. */
export type HubDeps = {
  backend: Backend;
  limits: Limits;
  metrics: ServerMetrics;
  log: Logger;
  clock: () => number;
  iceServersFor: (peerId: string) => IceServer[];
  /** The bounded queue relays go through when the backend is shared (Redis); else `null`. */
  relayQueue: RelayQueue | null;
};

/** Where an upgraded socket asked to go: the room, `?next=N`, `?group=` and `?resume=`. */
type Admission = {
  room: string;
  groupSize: number | null;
  targetGroup: string | null;
  resume: string | null;
};

/**
 * The connections of one server and the peers they act for: admission and resume, message
 * handling, delivery with per-sender backpressure, drops and grace windows.
 */
export class Hub implements BackendSink {
  readonly #local = new Map<string, Conn>();
  readonly #ipCounts = new Map<string, number>();
  readonly #roomCounts = new Map<string, number>();
  readonly #inflight = new Set<Promise<void>>();
  readonly #grace: ResumeGrace;
  #secret = '';
  #draining = false;

  constructor(private readonly deps: HubDeps) {
    this.#grace = new ResumeGrace(
      deps.backend,
      deps.limits.graceMs,
      deps.limits.maxGraceBufferBytes,
      {
        log: deps.log,
        background: (what, op) => this.#background(what, op),
        onBytes: (bytes) => deps.metrics.graceBufferBytes.set(bytes),
      },
    );
  }

  /**
   * Starts the backend delivering here and agrees on the resume secret.
   * @param candidate - This process's secret, used if it is the first of the cluster.
   */
  async start(candidate: string): Promise<void> {
    await this.deps.backend.start(this);
    this.#secret = await this.deps.backend.resumeSecret(candidate);
  }

  /** Open connections of `ip`. */
  connectionsOf(ip: string): number {
    return this.#ipCounts.get(ip) ?? 0;
  }

  /** From now on dropped peers leave at once (shutdown). */
  drain(): void {
    this.#draining = true;
  }

  /** Ends every grace window and waits for the backend calls still running. */
  async settle(): Promise<void> {
    this.#grace.clear();
    await Promise.all(this.#inflight);
  }

  /** Pings every socket; terminates those that missed the previous ping. */
  sweep(): void {
    for (const conn of this.#local.values()) {
      if (!conn.alive) {
        this.deps.log.info({ peerId: conn.peerId }, 'reaping dead socket');
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }

  deliver(peerId: string, json: string): void {
    const conn = this.#local.get(peerId);
    if (conn) {
      if (conn.joined && conn.ws.readyState === conn.ws.OPEN)
        this.#send(conn, json, senderOf(json));
      else conn.pendingBytes += pushBounded(conn.pending, conn.pendingBytes, json);
      return;
    }
    this.#grace.buffer(peerId, json);
  }

  kick(peerId: string, epoch: number): void {
    const conn = this.#local.get(peerId);
    if (conn && conn.epoch === epoch) {
      conn.ended = true;
      this.#local.delete(peerId);
      conn.ws.close(CloseCode.Superseded, 'resumed elsewhere');
    }
    this.#grace.take(peerId, epoch);
  }

  forgotten(): void {
    // Peers still on record leave now (a no-op for those already removed); closing with 1012
    // ("service restart") makes clients reconnect, and their resume falls back to a fresh join.
    // (A socket still being admitted just closes; its drop is handled once it is admitted.)
    for (const conn of [...this.#local.values()]) {
      if (conn.joined) {
        conn.ended = true;
        this.#local.delete(conn.peerId);
        this.#background('leave', this.deps.backend.leave(conn.peerId, conn.epoch, false));
      }
      conn.ws.close(SERVICE_RESTART, 'server state was lost; reconnect');
    }
    this.#grace.leaveAll();
  }

  /** Takes a freshly upgraded socket: admits (or resumes) its peer and handles its messages. */
  attach(ws: WebSocket, ip: string, where: Admission): void {
    const { room, groupSize, resume, targetGroup } = where;
    const { metrics, log, limits } = this.deps;
    this.#ipCounts.set(ip, this.connectionsOf(ip) + 1);
    metrics.connections.inc();
    this.#addRoom(room, 1);
    const conn = createConn(ws, ip, room, limits, this.deps.clock());
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('message', (data, isBinary) => {
      // Last line of defence: nothing a client sends may throw out of the socket's handler
      // (an uncaught exception would take every other connection down with the process).
      try {
        this.#onFrame(conn, data, isBinary);
      } catch (error) {
        log.error({ peerId: conn.peerId, err: String(error) }, 'message handler failed');
        this.#sendError(conn, 'invalid-message', 'message could not be handled');
      }
    });
    ws.on('error', (error) => {
      log.warn({ peerId: conn.peerId, err: error.message }, 'socket error');
      if (error.message.includes('Max payload')) metrics.rejects.inc({ reason: 'too-large' });
    });
    ws.on('close', (code) => this.#onClose(conn, code));
    this.#admit(conn, groupSize, resume, targetGroup).then(
      () => {
        // The socket closed while the backend was still admitting it.
        if (conn.closed && this.#local.get(conn.peerId) === undefined) this.#dropped(conn);
      },
      (error: unknown) => {
        log.error({ err: error }, 'backend join failed');
        ws.close(1011, 'internal error');
      },
    );
  }

  #onClose(conn: Conn, code: number): void {
    conn.closed = true;
    this.deps.metrics.connections.dec();
    this.#addRoom(conn.room, -1);
    const n = this.connectionsOf(conn.ip) - 1;
    if (n <= 0) this.#ipCounts.delete(conn.ip);
    else this.#ipCounts.set(conn.ip, n);
    this.deps.log.info({ peerId: conn.peerId, room: conn.room, code }, 'socket closed');
    if (this.#local.get(conn.peerId) === conn) this.#local.delete(conn.peerId);
    this.#dropped(conn);
  }

  #onFrame(conn: Conn, data: RawData, isBinary: boolean): void {
    const { limits, metrics, log } = this.deps;
    const verdict = judgeFrame(conn, data, isBinary, this.deps.clock(), limits);
    switch (verdict.kind) {
      case 'ignore':
        return;
      case 'quiet-reject':
        metrics.rejects.inc({ reason: 'rate-limited' });
        return;
      case 'close-abusive':
        metrics.rejects.inc({ reason: 'abusive' });
        log.warn({ peerId: conn.peerId, ip: conn.ip }, 'closing abusive connection (flood)');
        conn.ws.close(CloseCode.PolicyViolation, 'message flood');
        return;
      case 'error':
        this.#sendError(conn, verdict.code, verdict.message);
        return;
      case 'message':
        this.#onMessage(conn, verdict.message);
        return;
      default: {
        const never: never = verdict;
        return never;
      }
    }
  }

  #onMessage(conn: Conn, message: ClientMessage): void {
    switch (message.type) {
      case 'ping':
        this.#send(conn, '{"type":"pong"}');
        return;
      case 'leave':
        conn.ended = true;
        void this.deps.backend
          .leave(conn.peerId, conn.epoch, false)
          .catch(this.#logFailure('leave'))
          .finally(() => conn.ws.close(CloseCode.Left, 'left'));
        return;
      case 'signal':
        this.#relay(conn, message.to, message.data);
        return;
      default: {
        const never: never = message;
        return never;
      }
    }
  }

  #relay(conn: Conn, to: string, data: unknown): void {
    if (to === conn.peerId) {
      this.#sendError(conn, 'not-in-room', 'cannot signal yourself');
      return;
    }
    const { backend, metrics, relayQueue } = this.deps;
    const json = JSON.stringify({ type: 'signal', from: conn.peerId, data });
    const relayed = (ok: boolean): void => {
      if (ok) metrics.signalsRelayed.inc();
      else this.#sendError(conn, 'not-in-room', `peer "${to.slice(0, 64)}" is not in your group`);
    };
    const { peerId, group } = conn;
    if (relayQueue === null) {
      const outcome = backend.relay(peerId, group, to, json);
      if (typeof outcome === 'boolean') relayed(outcome);
      else outcome.then(relayed, this.#logFailure('relay'));
      return;
    }
    const run = () => Promise.resolve(backend.relay(peerId, group, to, json));
    const outcome = relayQueue.submit(peerId, json.length, run);
    if (outcome === null) this.#shed(conn);
    else
      outcome.then(
        (r) => (r === 'shed' ? this.#shed(conn) : relayed(r)),
        this.#logFailure('relay'),
      );
  }

  /** A relay of `conn` was shed: it sends faster than the backend queue lets it. */
  #shed(conn: Conn): void {
    conn.sheds += 1;
    this.deps.metrics.rejects.inc({ reason: 'relay-shed' });
    if (conn.sheds > MAX_SHEDS) {
      this.#cut(conn, 'signals faster than they can be relayed');
    } else if (conn.sheds === 1 || conn.sheds % 10 === 0) {
      const text = 'signals arrive faster than they can be relayed; dropped, slow down';
      this.#send(conn, JSON.stringify({ type: 'error', code: 'rate-limited', message: text }));
    }
  }

  /** Removes a hostile sender at once: it leaves its group (no grace) and its socket closes. */
  #cut(conn: Conn, why: string): void {
    if (conn.ended) return;
    conn.ended = true;
    this.deps.metrics.rejects.inc({ reason: 'abusive' });
    this.deps.log.warn({ peerId: conn.peerId, ip: conn.ip }, `cutting a sender: ${why}`);
    if (this.#local.get(conn.peerId) === conn) this.#local.delete(conn.peerId);
    if (conn.joined) {
      this.#background('leave', this.deps.backend.leave(conn.peerId, conn.epoch, false));
    }
    conn.ws.close(CloseCode.PolicyViolation, why.slice(0, 100));
  }

  #send(conn: Conn, json: string, sender: string = SERVER_SENDER): void {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    const bytes = json.length;
    const decision = conn.outbox.offer(sender, bytes);
    if (decision !== 'send') {
      // The receiver does not read. Whoever filled its backlog is stopped, not the receiver
      // (a dead receiver is reaped by the pings); others' messages are dropped meanwhile.
      this.deps.metrics.rejects.inc({ reason: 'slow-consumer' });
      const flooder = decision === 'cut-sender' ? this.#local.get(sender) : undefined;
      if (flooder) this.#cut(flooder, 'flooding a peer that does not read');
      return;
    }
    conn.outbox.queued(sender, bytes);
    conn.ws.send(json, () => conn.outbox.flushed(sender, bytes));
  }

  #sendError(conn: Conn, code: ErrorCode, message: string): void {
    this.deps.metrics.rejects.inc({ reason: code });
    this.#send(conn, JSON.stringify({ type: 'error', code, message }));
  }

  /** A joined peer's socket is gone: keep its place for a resume (or leave, when draining). */
  #dropped(conn: Conn): void {
    if (!conn.joined || conn.ended || conn.dropped) return;
    conn.dropped = true;
    const { backend } = this.deps;
    if (this.#draining) {
      this.#background('leave', backend.leave(conn.peerId, conn.epoch, false));
      return;
    }
    this.#background('detach', backend.detach(conn.peerId, conn.epoch));
    this.#grace.start(conn.peerId, conn.epoch, conn.room, conn.pending, conn.pendingBytes);
    conn.pending = [];
    conn.pendingBytes = 0;
  }

  async #admit(
    conn: Conn,
    groupSize: number | null,
    resumeToken: string | null,
    targetGroup: string | null,
  ): Promise<void> {
    const resumeId = resumeToken === null ? null : readResumeToken(this.#secret, resumeToken);
    if (resumeId !== null && (await this.#resume(conn, resumeId))) return;
    const { backend, limits, metrics } = this.deps;
    conn.peerId = randomUUID();
    this.#local.set(conn.peerId, conn);
    const result = await backend.join({
      room: conn.room,
      groupSize,
      peerId: conn.peerId,
      targetGroup,
      maxRoomSize: limits.maxRoomSize,
      nowMs: this.deps.clock(),
    });
    if (!result.ok) {
      this.#local.delete(conn.peerId);
      conn.ended = true;
      if (result.reason === 'group-gone') {
        this.#sendError(conn, 'group-gone', 'that group has ended; join without ?group=');
        conn.ws.close(CloseCode.GroupGone, 'group gone');
        return;
      }
      const text = `room "${conn.room}" is full (${limits.maxRoomSize} peers)`;
      this.#sendError(conn, 'room-full', text);
      conn.ws.close(CloseCode.RoomFull, 'room full');
      return;
    }
    if (result.matchLatencyMs !== null) metrics.matchLatency.observe(result.matchLatencyMs / 1000);
    if (result.fullGroup !== null && groupSize !== null) {
      // Before the welcome, so a client knows the choice it has by the time it is welcomed.
      const notice: GroupFullMessage = { type: 'group-full', groupSize, ...result.fullGroup };
      this.#send(conn, JSON.stringify(notice));
    }
    this.#welcome(conn, result, false);
  }

  /** Takes peer `resumeId` over for `conn`; false (nothing changed) if it cannot. */
  async #resume(conn: Conn, resumeId: string): Promise<boolean> {
    // The backend's kick may close the grace window while resume() runs: keep its buffer.
    const held = this.#grace.peek(resumeId);
    // resume() leaves the peer alone (null) unless it is still in this very room, so a token
    // used elsewhere cannot disturb its owner.
    const membership = await this.deps.backend.resume(resumeId, conn.room);
    if (membership === null) {
      this.deps.log.info(
        { peerId: resumeId, room: conn.room },
        'resume failed: peer gone or in another room',
      );
      return false;
    }
    conn.peerId = resumeId;
    const previous = this.#local.get(resumeId);
    if (previous && previous !== conn) {
      previous.ended = true;
      previous.ws.close(CloseCode.Superseded, 'resumed by a newer connection');
    }
    if (conn.closed) this.#local.delete(resumeId);
    else this.#local.set(resumeId, conn);
    if (held) {
      this.#grace.take(resumeId, held.epoch);
      conn.pending.unshift(...held.buffer);
      conn.pendingBytes += held.bytes;
    }
    this.#welcome(conn, membership, true);
    return true;
  }

  #welcome(conn: Conn, membership: Membership, resumed: boolean): void {
    conn.epoch = membership.epoch;
    conn.group = membership.group;
    conn.joined = true;
    const message: WelcomeMessage = {
      type: 'welcome',
      id: conn.peerId,
      room: membership.room,
      group: membership.group,
      groupSize: membership.groupSize,
      host: membership.host,
      isHost: membership.host === conn.peerId,
      peers: membership.peers,
      resumeToken: createResumeToken(this.#secret, conn.peerId),
      resumed,
      iceServers: this.deps.iceServersFor(conn.peerId),
    };
    this.#send(conn, JSON.stringify(message));
    for (const json of conn.pending) this.#send(conn, json, senderOf(json));
    conn.pending = [];
    conn.pendingBytes = 0;
    const { peerId, room, group, ip } = conn;
    this.deps.log.info({ peerId, room, group, resumed, ip }, 'peer joined');
  }

  #addRoom(room: string, delta: number): void {
    const n = (this.#roomCounts.get(room) ?? 0) + delta;
    if (n <= 0) this.#roomCounts.delete(room);
    else this.#roomCounts.set(room, n);
    this.deps.metrics.rooms.set(this.#roomCounts.size);
  }

  /** Runs a backend operation nobody awaits, logging failures; settle() waits for them. */
  #background(what: string, op: Promise<unknown>): void {
    const p = op.then(() => undefined, this.#logFailure(what));
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  #logFailure(what: string): (error: unknown) => void {
    return (error) => this.deps.log.error({ err: error }, `backend ${what} failed`);
  }
}
