import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Backend, BackendSink, JoinRequest, JoinResult, Membership } from './backend.js';

// Key layout (every key and channel starts with the prefix P):
//   P g:<group>:m   sorted set of members, scored by join order (lowest = host)
//   P g:<group>:t   ms timestamp of the group's first join
//   P open:<room>:<N>  id of the ?next=N group of <room> currently filling
//   P filled:<room>:<N>  id of the ?next=N group of <room> that filled last (while it has members)
//   P p:<peer>      hash: srv, group, room, n, epoch, conn (1 attached / 0 in grace)
//   P alive:<server>  heartbeat of a server process (expires when it crashes)
//   P srv:<server>  pub/sub channel of one server: "m|<peer>|<json>" or "k|<peer>|<epoch>"
//   P servers       set of server ids that have heartbeated
//   P sp:<server>   set of the peers a server holds (attached or in grace)
// The scripts run atomically, so concurrent joins on different servers form groups exactly.

const NOTIFY = `
local function notify(prefix, peers, json)
  for _, p in ipairs(peers) do
    local s = redis.call('HGET', prefix .. 'p:' .. p, 'srv')
    if s then redis.call('PUBLISH', prefix .. 'srv:' .. s, 'm|' .. p .. '|' .. json) end
  end
end
`;

/** Removes a peer (record rec = group, room, n, srv) from its group and tells the rest. */
const REMOVE = `
local function remove(prefix, peer, rec)
  local group = rec[1]
  local mkey = prefix .. 'g:' .. group .. ':m'
  redis.call('ZREM', mkey, peer)
  redis.call('DEL', prefix .. 'p:' .. peer)
  if rec[4] then redis.call('SREM', prefix .. 'sp:' .. rec[4], peer) end
  local peers = redis.call('ZRANGE', mkey, 0, -1)
  if #peers == 0 then
    redis.call('DEL', mkey, prefix .. 'g:' .. group .. ':t')
    local openKey = prefix .. 'open:' .. rec[2] .. ':' .. rec[3]
    if redis.call('GET', openKey) == group then redis.call('DEL', openKey) end
    local filledKey = prefix .. 'filled:' .. rec[2] .. ':' .. rec[3]
    if redis.call('GET', filledKey) == group then redis.call('DEL', filledKey) end
    return
  end
  notify(prefix, peers, cjson.encode({type = 'peer-left', id = peer, host = peers[1]}))
end
`;

/** Removes members whose server stopped heartbeating (crashed), telling the others. */
const PRUNE = `
local function prune(prefix, mkey)
  local gone = {}
  for _, p in ipairs(redis.call('ZRANGE', mkey, 0, -1)) do
    local s = redis.call('HGET', prefix .. 'p:' .. p, 'srv')
    if not s or redis.call('EXISTS', prefix .. 'alive:' .. s) == 0 then
      redis.call('ZREM', mkey, p)
      redis.call('DEL', prefix .. 'p:' .. p)
      if s then redis.call('SREM', prefix .. 'sp:' .. s, p) end
      gone[#gone + 1] = p
    end
  end
  local rest = redis.call('ZRANGE', mkey, 0, -1)
  if #rest > 0 then
    for _, p in ipairs(gone) do
      notify(prefix, rest, cjson.encode({type = 'peer-left', id = p, host = rest[1]}))
    end
  end
end
`;

/**
 * ARGV: prefix, room, n (0 = plain), peer, maxRoomSize, server, nowMs, target group ('' none).
 * Returns {0} room full, {2} target group gone, or {1, group, host, latency, full group ('' none),
 * its member count k, its k members..., the other members...}.
 */
const JOIN = `${NOTIFY}${PRUNE}
local prefix, room, n, peer, max, srv, now, target = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5]), ARGV[6], ARGV[7], ARGV[8]
local group
local openKey = prefix .. 'open:' .. room .. ':' .. n
local filledKey = prefix .. 'filled:' .. room .. ':' .. n
local full, fullMembers = '', {}
if n == 0 then
  group = 'r:' .. room
  prune(prefix, prefix .. 'g:' .. group .. ':m')
  if redis.call('ZCARD', prefix .. 'g:' .. group .. ':m') >= max then return {0} end
elseif target ~= '' then
  group = target
  local tm = prefix .. 'g:' .. group .. ':m'
  local pfx = 'n:' .. room .. ':' .. n .. ':'
  if string.sub(group, 1, #pfx) ~= pfx then return {2} end
  prune(prefix, tm)
  local size = redis.call('ZCARD', tm)
  if size == 0 then return {2} end
  if size >= max then return {0} end
else
  group = redis.call('GET', openKey)
  if not group then
    group = 'n:' .. room .. ':' .. n .. ':' .. redis.call('INCR', prefix .. 'gseq')
    redis.call('SET', openKey, group)
    redis.call('SET', prefix .. 'g:' .. group .. ':t', now)
    local filled = redis.call('GET', filledKey)
    if filled then
      prune(prefix, prefix .. 'g:' .. filled .. ':m')
      fullMembers = redis.call('ZRANGE', prefix .. 'g:' .. filled .. ':m', 0, -1)
      if #fullMembers > 0 then full = filled end
    end
  else
    prune(prefix, prefix .. 'g:' .. group .. ':m')
  end
end
local mkey = prefix .. 'g:' .. group .. ':m'
local tkey = prefix .. 'g:' .. group .. ':t'
local peers = redis.call('ZRANGE', mkey, 0, -1)
redis.call('ZADD', mkey, redis.call('INCR', prefix .. 'seq'), peer)
redis.call('HSET', prefix .. 'p:' .. peer, 'srv', srv, 'group', group, 'room', room, 'n', n, 'epoch', 1, 'conn', 1)
redis.call('SADD', prefix .. 'sp:' .. srv, peer)
local latency = ''
if n > 0 and target == '' and #peers + 1 >= n then
  redis.call('DEL', openKey)
  redis.call('SET', filledKey, group)
  latency = tostring(tonumber(now) - tonumber(redis.call('GET', tkey)))
end
local host = peers[1] or peer
notify(prefix, peers, cjson.encode({type = 'new-peer', id = peer, host = host}))
local out = {1, group, host, latency, full, #fullMembers}
for _, p in ipairs(fullMembers) do out[#out + 1] = p end
for _, p in ipairs(peers) do out[#out + 1] = p end
return out
`;

/** ARGV: prefix, peer, server, room */
const RESUME = `
local prefix, peer, srv = ARGV[1], ARGV[2], ARGV[3]
local pk = prefix .. 'p:' .. peer
local rec = redis.call('HMGET', pk, 'group', 'srv', 'epoch', 'room', 'n')
if not rec[1] or rec[4] ~= ARGV[4] then return {0} end
local epoch = redis.call('HINCRBY', pk, 'epoch', 1)
redis.call('HSET', pk, 'srv', srv, 'conn', 1)
redis.call('SREM', prefix .. 'sp:' .. rec[2], peer)
redis.call('SADD', prefix .. 'sp:' .. srv, peer)
redis.call('PUBLISH', prefix .. 'srv:' .. rec[2], 'k|' .. peer .. '|' .. rec[3])
local members = redis.call('ZRANGE', prefix .. 'g:' .. rec[1] .. ':m', 0, -1)
local out = {1, rec[1], rec[4], rec[5], epoch}
for _, p in ipairs(members) do out[#out + 1] = p end
return out
`;

/** ARGV: prefix, peer, epoch */
const DETACH = `
local pk = ARGV[1] .. 'p:' .. ARGV[2]
if redis.call('HGET', pk, 'epoch') == ARGV[3] then redis.call('HSET', pk, 'conn', 0) end
return 1
`;

/** ARGV: prefix, peer, epoch, onlyIfDetached (1/0) */
const LEAVE = `${NOTIFY}${REMOVE}
local prefix, peer = ARGV[1], ARGV[2]
local pk = prefix .. 'p:' .. peer
local rec = redis.call('HMGET', pk, 'group', 'epoch', 'conn', 'room', 'n', 'srv')
if not rec[1] or rec[2] ~= ARGV[3] then return 0 end
if ARGV[4] == '1' and rec[3] ~= '0' then return 0 end
remove(prefix, peer, {rec[1], rec[4], rec[5], rec[6]})
return 1
`;

/**
 * ARGV: prefix. Removes the peers of every server whose heartbeat expired (crashed), telling
 * their group-mates; returns how many peers it removed.
 */
const REAP = `${NOTIFY}${REMOVE}
local prefix = ARGV[1]
local reaped = 0
for _, s in ipairs(redis.call('SMEMBERS', prefix .. 'servers')) do
  if redis.call('EXISTS', prefix .. 'alive:' .. s) == 0 then
    for _, p in ipairs(redis.call('SMEMBERS', prefix .. 'sp:' .. s)) do
      local rec = redis.call('HMGET', prefix .. 'p:' .. p, 'group', 'room', 'n', 'srv')
      if rec[1] and rec[4] == s then
        remove(prefix, p, rec)
        reaped = reaped + 1
      end
    end
    redis.call('DEL', prefix .. 'sp:' .. s)
    redis.call('SREM', prefix .. 'servers', s)
  end
end
return reaped
`;

/** ARGV: prefix, group, to, json */
const RELAY = `
local rec = redis.call('HMGET', ARGV[1] .. 'p:' .. ARGV[3], 'group', 'srv')
if rec[1] ~= ARGV[2] then return 0 end
redis.call('PUBLISH', ARGV[1] .. 'srv:' .. rec[2], 'm|' .. ARGV[3] .. '|' .. ARGV[4])
return 1
`;

type Reply = (string | number)[];
type Scripts = {
  rbnJoin(...args: (string | number)[]): Promise<Reply>;
  rbnResume(...args: string[]): Promise<Reply>;
  rbnDetach(...args: (string | number)[]): Promise<number>;
  rbnLeave(...args: (string | number)[]): Promise<number>;
  rbnRelay(...args: string[]): Promise<number>;
  rbnReap(...args: string[]): Promise<number>;
};

/** Settings of a {@link RedisBackend}. */
export type RedisBackendOptions = {
  url: string;
  /** Prefix of every key and channel. */
  prefix: string;
  log: Logger;
  /**
   * How often this server refreshes its `alive:<server>` key (TTL three times that) and reaps
   * the peers of servers whose key expired (crashed processes).
   */
  heartbeatMs: number;
  /** The subscription dropped (Redis cut it, or the connection broke) and is back. */
  onResubscribed?: () => void;
  /** A reap removed `peers` peers of crashed servers. */
  onReaped?: (peers: number) => void;
};

/** Rooms, groups and routing in Redis, shared by every server process pointing at it. */
export class RedisBackend implements Backend {
  readonly #serverId = randomUUID();
  readonly #command: Redis;
  readonly #subscriber: Redis;
  readonly #scripts: Scripts;
  #sink: BackendSink | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  readonly prefix: string;
  readonly #options: RedisBackendOptions;
  #started = false;

  /** @param options - See {@link RedisBackendOptions}. */
  constructor(options: RedisBackendOptions) {
    this.#options = options;
    this.prefix = options.prefix;
    const { url, log } = options;
    this.#command = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
    this.#subscriber = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
    for (const client of [this.#command, this.#subscriber]) {
      client.on('error', (error: Error) => log.warn({ err: error.message }, 'redis error'));
    }
    const scripts = { rbnJoin: JOIN, rbnResume: RESUME, rbnDetach: DETACH, rbnLeave: LEAVE };
    for (const [name, lua] of Object.entries({ ...scripts, rbnRelay: RELAY, rbnReap: REAP })) {
      this.#command.defineCommand(name, { numberOfKeys: 0, lua });
    }
    this.#scripts = this.#command as unknown as Scripts;
    // ioredis subscribes again by itself after a reconnect; say so, it means messages were lost.
    this.#subscriber.on('close', () => {
      if (this.#started) log.warn('redis subscription lost; reconnecting');
    });
    this.#subscriber.on('ready', () => {
      if (!this.#started) return;
      log.warn('redis subscription restored');
      this.#options.onResubscribed?.();
    });
  }

  async start(sink: BackendSink): Promise<void> {
    this.#sink = sink;
    await Promise.all([this.#command.connect(), this.#subscriber.connect()]);
    this.#subscriber.on('message', (_channel: string, text: string) => this.#onMessage(text));
    await this.#subscriber.subscribe(`${this.prefix}srv:${this.#serverId}`);
    await this.#beat();
    this.#started = true;
    const { heartbeatMs, log } = this.#options;
    this.#heartbeat = setInterval(() => {
      this.#beat().catch((error: unknown) => log.warn({ err: String(error) }, 'heartbeat failed'));
    }, heartbeatMs);
    this.#heartbeat.unref();
  }

  /** Refreshes this server's liveness and removes the peers of servers that stopped. */
  async #beat(): Promise<void> {
    const alive = `${this.prefix}alive:${this.#serverId}`;
    const ttl = String(this.#options.heartbeatMs * 3);
    const previous = await this.#command.call('SET', alive, '1', 'PX', ttl, 'GET');
    if (previous === null && this.#started) {
      // Stalled past the TTL: other servers may already have removed this server's peers.
      this.#options.log.error('heartbeat had expired: this server was presumed crashed');
      this.#sink?.forgotten();
    }
    await this.#command.sadd(`${this.prefix}servers`, this.#serverId);
    const reaped = Number(await this.#scripts.rbnReap(this.prefix));
    if (reaped > 0) {
      this.#options.log.warn({ peers: reaped }, 'removed the peers of a crashed server');
      this.#options.onReaped?.(reaped);
    }
  }

  #onMessage(text: string): void {
    const first = text.indexOf('|');
    const second = text.indexOf('|', first + 1);
    if (first !== 1 || second < 0) return;
    const peerId = text.slice(2, second);
    const rest = text.slice(second + 1);
    if (text[0] === 'm') this.#sink?.deliver(peerId, rest);
    else if (text[0] === 'k') this.#sink?.kick(peerId, Number(rest));
  }

  isReady(): boolean {
    return this.#command.status === 'ready' && this.#subscriber.status === 'ready';
  }

  async resumeSecret(candidate: string): Promise<string> {
    const key = `${this.prefix}resume-secret`;
    await this.#command.set(key, candidate, 'NX');
    return (await this.#command.get(key)) ?? candidate;
  }

  async join(request: JoinRequest): Promise<JoinResult> {
    const reply = await this.#scripts.rbnJoin(
      this.prefix,
      request.room,
      request.groupSize ?? 0,
      request.peerId,
      request.maxRoomSize,
      this.#serverId,
      request.nowMs,
      request.targetGroup ?? '',
    );
    const status = Number(reply[0]);
    if (status !== 1) return { ok: false, reason: status === 2 ? 'group-gone' : 'room-full' };
    const latency = String(reply[3]);
    const full = String(reply[4]);
    const fullCount = Number(reply[5]);
    const fullMembers = reply.slice(6, 6 + fullCount).map(String);
    return {
      ok: true,
      room: request.room,
      group: String(reply[1]),
      groupSize: request.groupSize,
      host: String(reply[2]),
      peers: reply.slice(6 + fullCount).map(String),
      epoch: 1,
      matchLatencyMs: latency === '' ? null : Number(latency),
      fullGroup:
        full === '' || fullMembers[0] === undefined
          ? null
          : { group: full, host: fullMembers[0], peers: fullMembers },
    };
  }

  async resume(peerId: string, room: string): Promise<Membership | null> {
    const reply = await this.#scripts.rbnResume(this.prefix, peerId, this.#serverId, room);
    if (Number(reply[0]) !== 1) return null;
    const members = reply.slice(5).map(String);
    const n = Number(reply[3]);
    return {
      group: String(reply[1]),
      room: String(reply[2]),
      groupSize: n === 0 ? null : n,
      epoch: Number(reply[4]),
      host: members[0] ?? peerId,
      peers: members.filter((m) => m !== peerId),
    };
  }

  async detach(peerId: string, epoch: number): Promise<void> {
    await this.#scripts.rbnDetach(this.prefix, peerId, epoch);
  }

  async leave(peerId: string, epoch: number, onlyIfDetached: boolean): Promise<void> {
    await this.#scripts.rbnLeave(this.prefix, peerId, epoch, onlyIfDetached ? '1' : '0');
  }

  async relay(_from: string, group: string, to: string, json: string): Promise<boolean> {
    return (await this.#scripts.rbnRelay(this.prefix, group, to, json)) === 1;
  }

  async close(): Promise<void> {
    this.#sink = undefined;
    this.#started = false;
    clearInterval(this.#heartbeat);
    if (this.#command.status === 'ready') {
      await this.#command.del(`${this.prefix}alive:${this.#serverId}`).catch(() => 0);
    }
    // quit() flushes pending commands when connected; disconnect() stops reconnect attempts.
    await Promise.allSettled(
      [this.#subscriber, this.#command].map((c) =>
        c.status === 'ready' ? c.quit() : Promise.resolve(c.disconnect()),
      ),
    );
  }
}
