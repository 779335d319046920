import type { Game } from '@rbn/core';
import { RbnError } from '@rbn/protocol';
import { DMath, RANDOM_STATE_BYTES, createRandom } from '@rbn/determinism';
import type { Random } from '@rbn/determinism';
import type { PlayerId } from '@rbn/protocol';
import { SUB, clampAbs, idiv, isqrt } from './fixed';
import { Button, buttonsOf } from './input';

/** Size of the square world, in pixels. */
export const WORLD_SIZE = 480;
/** Radius of the round platform; a player whose centre leaves it falls off. */
export const PLATFORM_RADIUS = 210;
/** Radius of a player's disc, in pixels. */
export const PLAYER_RADIUS = 16;
/** Radius of the coin, in pixels. */
export const COIN_RADIUS = 9;
/** Player slots: the arena holds at most this many players at once. */
export const MAX_PLAYERS = 4;
/** Points that win a round; the scores then reset after a short pause. */
export const WIN_SCORE = 5;

const CENTER = (WORLD_SIZE / 2) * SUB;
const ACCEL = 64;
const MAX_SPEED = 4 * SUB;
const DASH_SPEED = 10 * SUB;
const DASH_IMPULSE = 7 * SUB;
const DASH_TICKS = 10;
const DASH_COOLDOWN = 45;
const KNOCKBACK = 5 * SUB;
const FALL_TICKS = 40;
const RESPAWN_TICKS = 60;
const HIT_MEMORY_TICKS = 150;
const COIN_RESPAWN_TICKS = 90;
const SPAWN_DISTANCE = 120 * SUB;
const MAX_ID_BYTES = 255;
const ROUND_OVER_TICKS = 180;
const STATE_VERSION = 3;
const RNG_OFFSET = 5;
const HEADER_BYTES = 1 + 4 + RANDOM_STATE_BYTES + 4 + 4 + 2 + 1 + 1 + 1;
const SLOT_BYTES = 1 + 1 + MAX_ID_BYTES + 4 * 4 + 7 + 2;

/** What a player slot is doing. */
export const Phase = {
  /** Nobody is in this slot. */
  Empty: 0,
  /** On the platform and controllable. */
  Alive: 1,
  /** Pushed off the edge, shrinking away. */
  Falling: 2,
  /** Waiting to respawn. */
  Respawning: 3,
} as const;
/** A value of {@link Phase}. */
export type Phase = (typeof Phase)[keyof typeof Phase];

/** One player slot, as the renderer sees it. Positions and velocities are in 1/256 px. */
export interface ArenaPlayer {
  /** The slot index, 0..3; also the player's colour. */
  readonly slot: number;
  phase: Phase;
  /** The player id this slot belongs to; empty when the slot is empty. */
  id: PlayerId;
  x: number;
  y: number;
  vx: number;
  vy: number;
  /** Ticks left in the fall or respawn phase. */
  timer: number;
  dashCooldown: number;
  dashTimer: number;
  prevButtons: number;
  /** Last direction the player moved in, 0..7 clockwise from east. */
  facing: number;
  /** Slot + 1 of the player who last bumped this one, or 0. */
  lastHitBy: number;
  /** Ticks during which a ring-out still scores for `lastHitBy`. */
  hitTimer: number;
  score: number;
}

/**
 * Unit vectors of the eight facings (0 = east, clockwise, y down) in 1/256 px, from DMath so
 * that every engine computes the same table (`Math.cos` may differ in the last bit).
 */
const FACING_X = Array.from({ length: 8 }, (_, i) =>
  Math.round(SUB * DMath.cos((i * Math.PI) / 4)),
);
const FACING_Y = Array.from({ length: 8 }, (_, i) =>
  Math.round(SUB * DMath.sin((i * Math.PI) / 4)),
);
const SPAWN_X = [-SPAWN_DISTANCE, SPAWN_DISTANCE, 0, 0] as const;
const SPAWN_Y = [0, 0, -SPAWN_DISTANCE, SPAWN_DISTANCE] as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function emptyPlayer(slot: number): ArenaPlayer {
  return {
    slot,
    phase: Phase.Empty,
    id: '',
    x: 0,
    y: 0,
    vx: 0,
    vy: 0,
    timer: 0,
    dashCooldown: 0,
    dashTimer: 0,
    prevButtons: 0,
    facing: 0,
    lastHitBy: 0,
    hitTimer: 0,
    score: 0,
  };
}

/** Maps a button mask to a facing index 0..7, or -1 when no direction is held. */
function facingOf(buttons: number): number {
  const dx = (buttons & Button.Right ? 1 : 0) - (buttons & Button.Left ? 1 : 0);
  const dy = (buttons & Button.Down ? 1 : 0) - (buttons & Button.Up ? 1 : 0);
  if (dx === 0 && dy === 0) return -1;
  if (dy === 0) return dx > 0 ? 0 : 4;
  if (dx === 0) return dy > 0 ? 2 : 6;
  if (dy > 0) return dx > 0 ? 1 : 3;
  return dx > 0 ? 7 : 5;
}

/**
 * Bumper Arena: up to four discs on a round platform. Move, dash into the others and knock
 * them off the edge (a point for whoever bumped them last), or grab the coin (a point).
 * Falling off on your own costs a point. The first to {@link WIN_SCORE} points wins the round;
 * after a three-second pause everyone respawns with 0 points.
 *
 * The state is integers only; the little floating-point math it does (facing vectors, coin
 * placement) goes through `DMath`, and its random generator (`createRandom`) lives in the
 * state, so it is deterministic: the same inputs give the same state, byte for byte, on every
 * machine and in every engine (checked in Node, Chromium and Firefox by the cross-engine test).
 * Inputs are one byte each (see {@link Button}). A player id that appears in the inputs takes
 * the lowest free slot (new ids in sorted order); an id that disappears frees its slot.
 *
 * @example
 * ```ts
 * const game = new ArenaGame(1234);
 * game.step(new Map([['alice', Uint8Array.of(Button.Right)], ['bob', Uint8Array.of(0)]]));
 * console.log(game.hash());
 * ```
 */
export class ArenaGame implements Game<Uint8Array> {
  /** The simulated tick count: how many times `step` ran since the start. */
  tick = 0;
  /** The four player slots (some may be empty). */
  readonly players: readonly ArenaPlayer[];
  /** Coin position in 1/256 px (meaningful when `coinTimer` is 0). */
  coinX = CENTER;
  coinY = CENTER;
  /** Ticks until the coin reappears; 0 while it is on the platform. */
  coinTimer = 0;
  /** Slot + 1 of the player who won the round being celebrated, or 0 while a round runs. */
  winner = 0;
  /** Ticks left of the pause after a round was won. */
  roundOverTimer = 0;
  private readonly random: Random;
  private readonly buffer = new Uint8Array(HEADER_BYTES + MAX_PLAYERS * SLOT_BYTES);
  private readonly view = new DataView(this.buffer.buffer);
  private readonly idBytes: Uint8Array[] = [];
  private readonly newIds: PlayerId[] = [];

  /**
   * @param seed - Seed of the game's random generator (coin positions). Every peer must use
   * the same seed.
   */
  constructor(seed = 0x5eed) {
    this.random = createRandom(seed);
    const players: ArenaPlayer[] = [];
    for (let slot = 0; slot < MAX_PLAYERS; slot++) {
      players.push(emptyPlayer(slot));
      this.idBytes.push(new Uint8Array(0));
    }
    this.players = players;
    this.placeCoin();
  }

  /** Advances the arena by one tick; `inputs` holds every active player's input. */
  step(inputs: Map<PlayerId, Uint8Array>): void {
    this.tick++;
    this.updateMembership(inputs);
    if (this.roundOverTimer > 0) {
      if (--this.roundOverTimer === 0) this.newRound();
      return;
    }
    for (const p of this.players) {
      if (p.phase === Phase.Alive) this.control(p, buttonsOf(inputs.get(p.id)));
    }
    for (const p of this.players) {
      if (p.phase === Phase.Alive || p.phase === Phase.Falling) {
        p.x += p.vx;
        p.y += p.vy;
      }
    }
    for (let i = 0; i < MAX_PLAYERS; i++) {
      for (let j = i + 1; j < MAX_PLAYERS; j++) this.collide(i, j);
    }
    for (const p of this.players) this.afterMove(p);
    if (this.coinTimer > 0 && --this.coinTimer === 0) this.placeCoin();
    for (const p of this.players) {
      if (p.phase !== Phase.Empty && p.score >= WIN_SCORE) {
        this.winner = p.slot + 1;
        this.roundOverTimer = ROUND_OVER_TICKS;
        return;
      }
    }
  }

  /** Returns the whole state as bytes (a view of a reused buffer). */
  serialize(): Uint8Array {
    const v = this.view;
    let o = 0;
    v.setUint8(o, STATE_VERSION);
    v.setUint32(o + 1, this.tick >>> 0, true);
    this.random.writeState(this.buffer, RNG_OFFSET);
    o = RNG_OFFSET + RANDOM_STATE_BYTES;
    v.setInt32(o, this.coinX, true);
    v.setInt32(o + 4, this.coinY, true);
    v.setUint16(o + 8, this.coinTimer, true);
    v.setUint8(o + 10, MAX_PLAYERS);
    v.setUint8(o + 11, this.winner);
    v.setUint8(o + 12, this.roundOverTimer);
    o = HEADER_BYTES;
    for (const p of this.players) {
      v.setUint8(o++, p.phase);
      if (p.phase === Phase.Empty) continue;
      const id = this.idBytes[p.slot] ?? new Uint8Array(0);
      v.setUint8(o++, id.length);
      this.buffer.set(id, o);
      o += id.length;
      v.setInt32(o, p.x, true);
      v.setInt32(o + 4, p.y, true);
      v.setInt32(o + 8, p.vx, true);
      v.setInt32(o + 12, p.vy, true);
      v.setUint8(o + 16, p.timer);
      v.setUint8(o + 17, p.dashCooldown);
      v.setUint8(o + 18, p.dashTimer);
      v.setUint8(o + 19, p.prevButtons);
      v.setUint8(o + 20, p.facing);
      v.setUint8(o + 21, p.lastHitBy);
      v.setUint8(o + 22, p.hitTimer);
      v.setUint16(o + 23, p.score, true);
      o += 25;
    }
    return this.buffer.subarray(0, o);
  }

  /** Replaces the whole state with bytes from `serialize`. */
  deserialize(data: Uint8Array): void {
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (data.length < HEADER_BYTES || v.getUint8(0) !== STATE_VERSION) {
      throw new RbnError(
        'INVALID_STATE',
        `ArenaGame.deserialize: not an arena state (${data.length} bytes)`,
      );
    }
    this.tick = v.getUint32(1, true);
    this.random.readState(data, RNG_OFFSET);
    let o = RNG_OFFSET + RANDOM_STATE_BYTES;
    this.coinX = v.getInt32(o, true);
    this.coinY = v.getInt32(o + 4, true);
    this.coinTimer = v.getUint16(o + 8, true);
    this.winner = v.getUint8(o + 11);
    this.roundOverTimer = v.getUint8(o + 12);
    o = HEADER_BYTES;
    for (const p of this.players) {
      p.phase = v.getUint8(o++) as Phase;
      if (p.phase === Phase.Empty) {
        this.clearSlot(p);
        continue;
      }
      const length = v.getUint8(o++);
      const bytes = data.subarray(o, o + length);
      o += length;
      const known = this.idBytes[p.slot];
      if (known === undefined || !sameBytes(known, bytes)) {
        this.idBytes[p.slot] = bytes.slice();
        p.id = decoder.decode(bytes);
      }
      p.x = v.getInt32(o, true);
      p.y = v.getInt32(o + 4, true);
      p.vx = v.getInt32(o + 8, true);
      p.vy = v.getInt32(o + 12, true);
      p.timer = v.getUint8(o + 16);
      p.dashCooldown = v.getUint8(o + 17);
      p.dashTimer = v.getUint8(o + 18);
      p.prevButtons = v.getUint8(o + 19);
      p.facing = v.getUint8(o + 20);
      p.lastHitBy = v.getUint8(o + 21);
      p.hitTimer = v.getUint8(o + 22);
      p.score = v.getUint16(o + 23, true);
      o += 25;
    }
  }

  /** Returns FNV-1a (32-bit) over the serialized state. */
  hash(): number {
    const bytes = this.serialize();
    let h = 0x811c9dc5;
    for (let i = 0; i < bytes.length; i++) {
      h = Math.imul(h ^ (bytes[i] ?? 0), 0x01000193);
    }
    return h >>> 0;
  }

  /**
   * A JSON-able view of a serialized state, for desync reports (the session diffs two peers'
   * views by path, e.g. `players[1].x: 4096 → 10240`). Positions are in 1/256 px.
   * @param state - A state from `serialize` (possibly another peer's).
   * @returns The round, the coin and each slot (`null` when empty).
   */
  describe(state: Uint8Array): unknown {
    const g = new ArenaGame();
    g.deserialize(state);
    const { tick, coinX, coinY, coinTimer, winner, roundOverTimer } = g;
    return {
      ...{ tick, winner, roundOverTimer },
      coin: { x: coinX, y: coinY, timer: coinTimer },
      players: g.players.map((p) => (p.phase === Phase.Empty ? null : { ...p })),
    };
  }

  /**
   * Breaks this copy of the game on purpose (moves the coin and nudges every player), so that
   * its hash differs from the other peers': used by the demo to show desync detection.
   */
  corrupt(): void {
    this.coinX = CENTER - this.coinX + CENTER;
    this.coinTimer = 0;
    for (const p of this.players) if (p.phase === Phase.Alive) p.x += 24 * SUB;
  }

  /**
   * Finds the slot of a player id.
   * @param id - The player id.
   * @returns The player's slot, or `undefined` when the id is not in the arena.
   */
  playerById(id: PlayerId): ArenaPlayer | undefined {
    return this.players.find((p) => p.phase !== Phase.Empty && p.id === id);
  }

  private updateMembership(inputs: Map<PlayerId, Uint8Array>): void {
    for (const p of this.players) {
      if (p.phase !== Phase.Empty && !inputs.has(p.id)) this.clearSlot(p);
    }
    const newIds = this.newIds;
    newIds.length = 0;
    // eslint-disable-next-line no-restricted-syntax -- the new ids are sorted below, so the order they arrive in does not matter
    for (const id of inputs.keys()) {
      if (this.playerById(id) === undefined) newIds.push(id);
    }
    if (newIds.length === 0) return;
    newIds.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const id of newIds) {
      const free = this.players.find((p) => p.phase === Phase.Empty);
      if (free === undefined) return;
      const bytes = encoder.encode(id);
      if (bytes.length > MAX_ID_BYTES) {
        throw new RbnError(
          'INVALID_PLAYER_ID',
          `ArenaGame: player id longer than ${MAX_ID_BYTES} bytes`,
        );
      }
      this.idBytes[free.slot] = bytes;
      free.id = id;
      free.score = 0;
      this.spawn(free);
    }
  }

  /** Starts the next round: scores back to 0, everyone back at their spawn point. */
  private newRound(): void {
    this.winner = 0;
    for (const p of this.players) {
      if (p.phase === Phase.Empty) continue;
      p.score = 0;
      this.spawn(p);
    }
    this.placeCoin();
    this.coinTimer = 0;
  }

  private clearSlot(p: ArenaPlayer): void {
    Object.assign(p, emptyPlayer(p.slot));
    this.idBytes[p.slot] = new Uint8Array(0);
  }

  private spawn(p: ArenaPlayer): void {
    p.phase = Phase.Alive;
    p.x = CENTER + (SPAWN_X[p.slot] ?? 0);
    p.y = CENTER + (SPAWN_Y[p.slot] ?? 0);
    p.vx = 0;
    p.vy = 0;
    p.timer = 0;
    p.dashTimer = 0;
    p.dashCooldown = 0;
    p.lastHitBy = 0;
    p.hitTimer = 0;
    p.facing = p.slot === 1 ? 4 : p.slot === 2 ? 2 : p.slot === 3 ? 6 : 0;
  }

  private control(p: ArenaPlayer, buttons: number): void {
    const facing = facingOf(buttons);
    if (facing >= 0) {
      p.facing = facing;
      p.vx += idiv(ACCEL * (FACING_X[facing] ?? 0), SUB);
      p.vy += idiv(ACCEL * (FACING_Y[facing] ?? 0), SUB);
    }
    const pressed = buttons & ~p.prevButtons;
    p.prevButtons = buttons;
    if (pressed & Button.Dash && p.dashCooldown === 0) {
      p.vx += idiv(DASH_IMPULSE * (FACING_X[p.facing] ?? 0), SUB);
      p.vy += idiv(DASH_IMPULSE * (FACING_Y[p.facing] ?? 0), SUB);
      p.dashTimer = DASH_TICKS;
      p.dashCooldown = DASH_COOLDOWN;
    }
    if (p.dashCooldown > 0) p.dashCooldown--;
    if (p.dashTimer > 0) p.dashTimer--;
    if (p.hitTimer > 0 && --p.hitTimer === 0) p.lastHitBy = 0;
    p.vx -= idiv(p.vx, facing >= 0 ? 24 : 10);
    p.vy -= idiv(p.vy, facing >= 0 ? 24 : 10);
    const limit = p.dashTimer > 0 ? DASH_SPEED : MAX_SPEED;
    p.vx = clampAbs(p.vx, limit);
    p.vy = clampAbs(p.vy, limit);
  }

  private collide(i: number, j: number): void {
    const a = this.players[i];
    const b = this.players[j];
    if (a === undefined || b === undefined) return;
    if (a.phase !== Phase.Alive || b.phase !== Phase.Alive) return;
    let dx = b.x - a.x;
    let dy = b.y - a.y;
    const minDistance = 2 * PLAYER_RADIUS * SUB;
    if (dx >= minDistance || dx <= -minDistance || dy >= minDistance || dy <= -minDistance) return;
    const d2 = dx * dx + dy * dy;
    if (d2 >= minDistance * minDistance) return;
    let d = isqrt(d2);
    if (d === 0) {
      dx = 1;
      dy = 0;
      d = 1;
    }
    const nx = idiv(dx * SUB, d);
    const ny = idiv(dy * SUB, d);
    const push = idiv(minDistance - d + 1, 2);
    a.x -= idiv(nx * push, SUB);
    a.y -= idiv(ny * push, SUB);
    b.x += idiv(nx * push, SUB);
    b.y += idiv(ny * push, SUB);
    const approach = idiv((b.vx - a.vx) * nx + (b.vy - a.vy) * ny, SUB);
    if (approach < 0) {
      const impulse = idiv(-approach * 9, 8);
      a.vx -= idiv(impulse * nx, SUB);
      a.vy -= idiv(impulse * ny, SUB);
      b.vx += idiv(impulse * nx, SUB);
      b.vy += idiv(impulse * ny, SUB);
    }
    if (a.dashTimer > 0 && b.dashTimer === 0) {
      b.vx += idiv(KNOCKBACK * nx, SUB);
      b.vy += idiv(KNOCKBACK * ny, SUB);
    } else if (b.dashTimer > 0 && a.dashTimer === 0) {
      a.vx -= idiv(KNOCKBACK * nx, SUB);
      a.vy -= idiv(KNOCKBACK * ny, SUB);
    }
    a.lastHitBy = b.slot + 1;
    a.hitTimer = HIT_MEMORY_TICKS;
    b.lastHitBy = a.slot + 1;
    b.hitTimer = HIT_MEMORY_TICKS;
  }

  private afterMove(p: ArenaPlayer): void {
    if (p.phase === Phase.Alive) {
      const dx = p.x - CENTER;
      const dy = p.y - CENTER;
      const edge = PLATFORM_RADIUS * SUB;
      if (dx * dx + dy * dy > edge * edge) {
        p.phase = Phase.Falling;
        p.timer = FALL_TICKS;
        const scorer = p.lastHitBy > 0 ? this.players[p.lastHitBy - 1] : undefined;
        if (scorer !== undefined && scorer.phase !== Phase.Empty && p.hitTimer > 0) {
          scorer.score++;
        } else if (p.score > 0) {
          p.score--;
        }
        p.lastHitBy = 0;
        p.hitTimer = 0;
        return;
      }
      if (this.coinTimer === 0) {
        const cx = p.x - this.coinX;
        const cy = p.y - this.coinY;
        const reach = (PLAYER_RADIUS + COIN_RADIUS) * SUB;
        if (cx * cx + cy * cy <= reach * reach) {
          p.score++;
          this.coinTimer = COIN_RESPAWN_TICKS;
        }
      }
    } else if (p.phase === Phase.Falling) {
      p.vx -= idiv(p.vx, 8);
      p.vy -= idiv(p.vy, 8);
      if (--p.timer <= 0) {
        p.phase = Phase.Respawning;
        p.timer = RESPAWN_TICKS;
      }
    } else if (p.phase === Phase.Respawning) {
      if (--p.timer <= 0) this.spawn(p);
    }
  }

  /** Puts the coin at a uniformly random point of the disc it may appear in. */
  private placeCoin(): void {
    const range = (PLATFORM_RADIUS - 30) * SUB;
    const angle = this.random.nextFloat() * 2 * Math.PI;
    const distance = range * Math.sqrt(this.random.nextFloat());
    this.coinX = CENTER + Math.round(distance * DMath.cos(angle));
    this.coinY = CENTER + Math.round(distance * DMath.sin(angle));
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
