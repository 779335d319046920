// fast-check arbitraries for every message type. Used by the property and fuzz tests only
// (never exported from the package).
import fc from 'fast-check';
import {
  JoinRejectReason,
  LeaveReason,
  MessageType,
  WireRole,
  type InputAckMessage,
  type InputMessage,
  type InputRun,
  MAX_ECHO_DELAY_MS,
  MAX_TICK,
  type Message,
  type WirePlayer,
} from '../messages';

/** Ticks, biased towards the edges 0 and 2^31 − 1. */
export const tick = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 127, 128, MAX_TICK - 1, MAX_TICK) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: MAX_TICK }) },
);
/** A tick or −1 ("none"). */
export const tickOrNone = fc.oneof(fc.constant(-1), tick);
export const slot = fc.integer({ min: 0, max: 255 });
export const u32 = fc.oneof(
  fc.constantFrom(0, 2 ** 31, 0xffffffff),
  fc.integer({ min: 0, max: 0xffffffff }),
);
/** Any well-formed Unicode string of up to 40 code points (at most 160 UTF-8 bytes). */
export const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
);
const role = fc.constantFrom(WireRole.Player, WireRole.Spectator);

/**
 * Inputs of one run, built so consecutive inputs are often related (repeated, one byte changed,
 * resized), which is what the delta encoding has to get right.
 */
export const inputs = fc
  .array(
    fc.tuple(
      fc.integer({ min: 0, max: 4 }),
      fc.uint8Array({ maxLength: 64 }),
      fc.nat(63),
      fc.nat(255),
    ),
    { maxLength: 24 },
  )
  .map((steps) => {
    const out: Uint8Array[] = [];
    let prev: Uint8Array = new Uint8Array(0);
    for (const [mode, fresh, pos, value] of steps) {
      let next: Uint8Array;
      if (mode === 0) next = prev.slice();
      else if (mode === 1 || prev.length === 0) next = fresh;
      else if (mode === 2) {
        next = prev.slice();
        next[pos % next.length] = value;
      } else if (mode === 3) {
        next = new Uint8Array(pos + 1);
        next.set(prev.subarray(0, Math.min(prev.length, next.length)));
      } else next = prev.subarray(0, pos % prev.length).slice();
      out.push(next);
      prev = next;
    }
    return out;
  });

const inputRun: fc.Arbitrary<InputRun> = fc
  .record({ slot, startTick: tick, inputs })
  .map((run) => ({
    ...run,
    startTick: Math.min(run.startTick, MAX_TICK - Math.max(0, run.inputs.length - 1)),
  }));

const ackEntry = fc.record({ slot, tick: tickOrNone });

const wirePlayer: fc.Arbitrary<WirePlayer> = fc.record({
  slot,
  playerId: text,
  peerId: text,
  role,
  joinTick: tick,
  leaveTick: tickOrNone,
  metadata: fc.uint8Array({ maxLength: 256 }),
});

const players = fc.array(wirePlayer, { maxLength: 6 });
const state = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 3000 }));

/** An Input/InputAck message with no trailer, a `seq`, or a `seq` and an echo. */
function withTrailer<M extends InputMessage | InputAckMessage>(msg: M): fc.Arbitrary<M> {
  const seq = fc.integer({ min: 0, max: 255 });
  const echoDelay = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constant(MAX_ECHO_DELAY_MS));
  return fc.oneof(
    fc.constant(msg),
    seq.map((s) => ({ ...msg, seq: s })),
    fc
      .tuple(seq, seq, echoDelay)
      .map(([s, e, d]) => ({ ...msg, seq: s, echoSeq: e, echoDelay: d })),
  );
}

/** One arbitrary per message type. */
export const messageArbitraries: {
  [T in MessageType]: fc.Arbitrary<Extract<Message, { type: T }>>;
} = {
  [MessageType.Input]: fc
    .record({
      type: fc.constant(MessageType.Input),
      senderTick: tick,
      acks: fc.array(ackEntry, { maxLength: 8 }),
      runs: fc.array(inputRun, { maxLength: 6 }),
    })
    .chain(withTrailer),
  [MessageType.InputAck]: fc
    .record({
      type: fc.constant(MessageType.InputAck),
      senderTick: tick,
      acks: fc.array(ackEntry, { maxLength: 8 }),
    })
    .chain(withTrailer),
  [MessageType.Hash]: fc.record({ type: fc.constant(MessageType.Hash), tick, hash: u32 }),
  [MessageType.Sync]: fc.record({
    type: fc.constant(MessageType.Sync),
    tick,
    hash: u32,
    state,
    players,
  }),
  [MessageType.SyncRequest]: fc.record({ type: fc.constant(MessageType.SyncRequest), tick }),
  [MessageType.DesyncStateRequest]: fc.record({
    type: fc.constant(MessageType.DesyncStateRequest),
    tick,
  }),
  [MessageType.DesyncState]: fc
    .tuple(tick, state, fc.nat({ max: 5000 }), fc.nat({ max: 5000 }))
    .map(([t, chunk, before, after]) => ({
      type: MessageType.DesyncState as const,
      tick: t,
      totalBytes: before + chunk.length + after,
      offset: before,
      chunk,
    })),
  [MessageType.Pause]: fc.record({ type: fc.constant(MessageType.Pause), tick }),
  [MessageType.Resume]: fc.record({ type: fc.constant(MessageType.Resume), tick }),
  [MessageType.LagReport]: fc.record({
    type: fc.constant(MessageType.LagReport),
    slot,
    ticksBehind: tick,
  }),
  [MessageType.DisconnectReport]: fc.record({
    type: fc.constant(MessageType.DisconnectReport),
    slot,
    tick,
  }),
  [MessageType.ResumeCountdown]: fc.record({
    type: fc.constant(MessageType.ResumeCountdown),
    seconds: fc.oneof(fc.nat(10), tick),
  }),
  [MessageType.PlayerAway]: fc.record({
    type: fc.constant(MessageType.PlayerAway),
    slot,
    tick,
    input: fc.uint8Array({ maxLength: 64 }),
  }),
  [MessageType.PlayerBack]: fc.record({
    type: fc.constant(MessageType.PlayerBack),
    slot,
    tick,
    stateTick: tick,
    hash: u32,
    state,
  }),
  [MessageType.Rejoin]: fc.record({
    type: fc.constant(MessageType.Rejoin),
    slot,
    token: fc.uint8Array({ maxLength: 64 }),
  }),
  [MessageType.MigrationQuery]: fc.record({
    type: fc.constant(MessageType.MigrationQuery),
    hostSlot: slot,
    acks: fc.array(ackEntry, { maxLength: 8 }),
  }),
  [MessageType.MigrationReport]: fc.record({
    type: fc.constant(MessageType.MigrationReport),
    hostSlot: slot,
    hostPresent: fc.boolean(),
    acks: fc.array(ackEntry, { maxLength: 8 }),
    runs: fc.array(inputRun, { maxLength: 6 }),
  }),
  [MessageType.HostMigrated]: fc.record({
    type: fc.constant(MessageType.HostMigrated),
    hostSlot: slot,
    newHostSlot: slot,
    leaveTick: tick,
    acks: fc.array(ackEntry, { maxLength: 8 }),
    runs: fc.array(inputRun, { maxLength: 6 }),
  }),
  [MessageType.DropPlayer]: fc.record({
    type: fc.constant(MessageType.DropPlayer),
    slot,
    tick,
    metadata: fc.option(fc.uint8Array({ maxLength: 100 }), { nil: null }),
  }),
  [MessageType.InputDigest]: fc.record({
    type: fc.constant(MessageType.InputDigest),
    slot,
    tick,
    digest: u32,
  }),
  [MessageType.JoinRequest]: fc
    .record({
      type: fc.constant(MessageType.JoinRequest),
      protocolVersion: fc.oneof(fc.constant(1), fc.constant(2), u32),
      roomId: text,
      playerId: text,
      role,
      metadata: fc.uint8Array({ maxLength: 256 }),
    })
    // Below version 2 a JoinRequest has no metadata on the wire.
    .map((m) => (m.protocolVersion < 2 ? { ...m, metadata: new Uint8Array(0) } : m)),
  [MessageType.JoinAccept]: fc.record({
    type: fc.constant(MessageType.JoinAccept),
    roomId: text,
    slot,
    players,
    config: fc.dictionary(text, fc.oneof(fc.integer(), fc.double()), {
      maxKeys: 8,
      noNullPrototype: true,
    }),
  }),
  [MessageType.JoinReject]: fc.record({
    type: fc.constant(MessageType.JoinReject),
    reason: fc.constantFrom(
      ...(Object.values(JoinRejectReason).filter(
        (v) => typeof v === 'number',
      ) as JoinRejectReason[]),
    ),
    message: text,
  }),
  [MessageType.StateSync]: fc.record({
    type: fc.constant(MessageType.StateSync),
    tick,
    hash: u32,
    state,
    players,
  }),
  [MessageType.PlayerJoined]: fc.record({
    type: fc.constant(MessageType.PlayerJoined),
    player: wirePlayer,
  }),
  [MessageType.PlayerLeft]: fc.record({
    type: fc.constant(MessageType.PlayerLeft),
    slot,
    tick,
    reason: fc.constantFrom(
      ...(Object.values(LeaveReason).filter((v) => typeof v === 'number') as LeaveReason[]),
    ),
  }),
  [MessageType.Ping]: fc.record({ type: fc.constant(MessageType.Ping), timestamp: u32, tick }),
  [MessageType.Pong]: fc.record({ type: fc.constant(MessageType.Pong), timestamp: u32, tick }),
};

/** Any message of any type. */
export const anyMessage: fc.Arbitrary<Message> = fc.oneof(
  ...(Object.values(messageArbitraries) as fc.Arbitrary<Message>[]),
);
