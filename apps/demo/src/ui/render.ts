import {
  COIN_RADIUS,
  PLATFORM_RADIUS,
  PLAYER_RADIUS,
  Phase,
  WORLD_SIZE,
  type ArenaGame,
} from '../game/arena';
import { SUB } from '../game/fixed';

/** Player colours by slot. */
export const PLAYER_COLORS = ['#4fc3f7', '#ff8a65', '#aed581', '#ce93d8'] as const;

/** How a player is shown: its number, name and colour (online: from the session's roster). */
export interface PlayerLook {
  /** The number on the disc, e.g. "1". */
  badge: string;
  /** The name on the scoreboard and in the winner banner, e.g. "Ada" or "P2". */
  name: string;
  /** The disc's colour. */
  color: string;
  /** Away (online: a hidden or frozen tab): the disc is dimmed and the scoreboard says "away". */
  away?: boolean;
}

/**
 * The default look of an arena player: its arena slot ("P1", the slot's colour).
 * @param slot - The arena slot (0-based).
 * @returns The look.
 */
export function slotLook(slot: number): PlayerLook {
  return { badge: String(slot + 1), name: `P${slot + 1}`, color: PLAYER_COLORS[slot] ?? '#fff' };
}

/** What the renderer shows besides the game. */
export interface ViewOptions {
  /**
   * How to show a player, by player id (online: the session slot and name). Without it, or
   * when it returns `undefined`, a player is shown by its arena slot ({@link slotLook}).
   */
  lookOf?: ((playerId: string, arenaSlot: number) => PlayerLook | undefined) | undefined;
  /** The player this view belongs to (drawn with a ring), if any. */
  localPlayerId?: string | undefined;
  /** Shown at the top left, e.g. "P1 — WASD + Space". */
  title: string;
  /** Depth of the rollback that just happened (0: none); shown as a fading flash. */
  rollbackFlash: number;
  /** Ticks the view is stalled for (waiting for inputs); shown as a banner. */
  stalled: boolean;
  /** Text of a banner across the middle, e.g. "DESYNC — recovering". */
  banner?: string | undefined;
  /** A sentence across the middle in a calm colour, e.g. "waiting for the host". */
  notice?: string | undefined;
  /** A sentence shown under the platform, e.g. the session state. */
  status?: string | undefined;
  /**
   * The newest confirmed state, drawn as ghosts (dashed outlines) beside the predicted
   * players, each tied to its predicted disc by a line when they differ.
   */
  confirmed?: ArenaGame | undefined;
}

const TAU = Math.PI * 2;

function lookOf(view: ViewOptions, id: string, slot: number): PlayerLook {
  return view.lookOf?.(id, slot) ?? slotLook(slot);
}

/**
 * Draws the confirmed state's players as dashed outlines, each with a line to where the
 * prediction has the same player now (the gap a correction may close).
 * @param ctx - The 2D context, already scaled to world units.
 * @param game - The predicted game.
 * @param confirmed - The confirmed game.
 * @returns How many ghosts it drew.
 */
function drawGhosts(
  ctx: CanvasRenderingContext2D,
  game: ArenaGame,
  confirmed: ArenaGame,
  view: ViewOptions,
): number {
  let drawn = 0;
  ctx.save();
  ctx.lineWidth = 2;
  for (const ghost of confirmed.players) {
    if (ghost.phase !== Phase.Alive && ghost.phase !== Phase.Falling) continue;
    const color = lookOf(view, ghost.id, ghost.slot).color;
    const x = ghost.x / SUB;
    const y = ghost.y / SUB;
    const live = game.players.find((p) => p.id === ghost.id && p.phase !== Phase.Empty);
    ctx.strokeStyle = color;
    if (live && live.phase !== Phase.Respawning) {
      ctx.globalAlpha = 0.5;
      ctx.setLineDash([]);
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(live.x / SUB, live.y / SUB);
      ctx.stroke();
    }
    ctx.globalAlpha = 0.9;
    ctx.setLineDash([5, 4]);
    ctx.fillStyle = 'rgba(255, 255, 255, 0.08)';
    ctx.beginPath();
    ctx.arc(x, y, PLAYER_RADIUS, 0, TAU);
    ctx.fill();
    ctx.stroke();
    drawn++;
  }
  ctx.restore();
  return drawn;
}

/**
 * Draws the arena, its players and the coin on a square canvas.
 * @param ctx - The 2D context of the canvas (any size; the world is scaled to fit).
 * @param game - The game to draw.
 * @param view - See {@link ViewOptions}.
 * @returns How many confirmed-state ghosts it drew (0 without `view.confirmed`).
 */
export function drawArena(
  ctx: CanvasRenderingContext2D,
  game: ArenaGame,
  view: ViewOptions,
): number {
  const size = Math.min(ctx.canvas.width, ctx.canvas.height);
  const scale = size / WORLD_SIZE;
  ctx.save();
  ctx.fillStyle = '#0b0e17';
  ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  ctx.scale(scale, scale);
  const center = WORLD_SIZE / 2;

  // Lava glow and the platform.
  const glow = ctx.createRadialGradient(center, center, PLATFORM_RADIUS, center, center, center);
  glow.addColorStop(0, 'rgba(255, 87, 34, 0.35)');
  glow.addColorStop(1, 'rgba(255, 87, 34, 0)');
  ctx.fillStyle = glow;
  ctx.fillRect(0, 0, WORLD_SIZE, WORLD_SIZE);
  const floor = ctx.createRadialGradient(center, center - 60, 20, center, center, PLATFORM_RADIUS);
  floor.addColorStop(0, '#2b3350');
  floor.addColorStop(1, '#181d2e');
  ctx.fillStyle = floor;
  ctx.beginPath();
  ctx.arc(center, center, PLATFORM_RADIUS, 0, TAU);
  ctx.fill();
  ctx.lineWidth = 3;
  ctx.strokeStyle = '#ff7043';
  ctx.stroke();
  ctx.strokeStyle = 'rgba(255,255,255,0.05)';
  ctx.lineWidth = 1;
  for (let r = 50; r < PLATFORM_RADIUS; r += 50) {
    ctx.beginPath();
    ctx.arc(center, center, r, 0, TAU);
    ctx.stroke();
  }

  // Coin.
  if (game.coinTimer === 0) {
    const pulse = 1 + 0.12 * Math.sin(game.tick / 6);
    ctx.fillStyle = '#ffd54f';
    ctx.shadowColor = '#ffd54f';
    ctx.shadowBlur = 12;
    ctx.beginPath();
    ctx.arc(game.coinX / SUB, game.coinY / SUB, COIN_RADIUS * pulse, 0, TAU);
    ctx.fill();
    ctx.shadowBlur = 0;
  }

  const ghosts = view.confirmed ? drawGhosts(ctx, game, view.confirmed, view) : 0;

  // Players.
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (const p of game.players) {
    if (p.phase === Phase.Empty || p.phase === Phase.Respawning) continue;
    const look = lookOf(view, p.id, p.slot);
    const color = look.color;
    const x = p.x / SUB;
    const y = p.y / SUB;
    const shrink = p.phase === Phase.Falling ? p.timer / 40 : 1;
    const r = PLAYER_RADIUS * shrink;
    if (p.dashTimer > 0) {
      ctx.strokeStyle = color;
      ctx.globalAlpha = 0.35;
      ctx.lineWidth = r * 1.6;
      ctx.lineCap = 'round';
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(x - (p.vx / SUB) * 3, y - (p.vy / SUB) * 3);
      ctx.stroke();
      ctx.globalAlpha = 1;
    }
    ctx.fillStyle = color;
    ctx.globalAlpha = p.phase === Phase.Falling || look.away === true ? 0.5 : 1;
    ctx.beginPath();
    ctx.arc(x, y, r, 0, TAU);
    ctx.fill();
    ctx.globalAlpha = 1;
    if (p.phase === Phase.Alive && p.dashCooldown > 0) {
      ctx.strokeStyle = 'rgba(0,0,0,0.45)';
      ctx.lineWidth = 4;
      ctx.beginPath();
      ctx.arc(x, y, r - 5, -Math.PI / 2, -Math.PI / 2 + (TAU * p.dashCooldown) / 45);
      ctx.stroke();
    }
    if (p.id === view.localPlayerId) {
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(x, y, r + 4, 0, TAU);
      ctx.stroke();
    }
    ctx.fillStyle = '#0b0e17';
    ctx.font = 'bold 13px system-ui, sans-serif';
    ctx.fillText(look.badge, x, y + 1);
  }

  // Scoreboard.
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.font = 'bold 15px system-ui, sans-serif';
  ctx.fillStyle = '#e8eaf6';
  ctx.fillText(view.title, 10, 8);
  let row = 0;
  for (const p of game.players) {
    if (p.phase === Phase.Empty) continue;
    const look = lookOf(view, p.id, p.slot);
    ctx.fillStyle = look.color;
    ctx.textAlign = 'right';
    ctx.font = '14px system-ui, sans-serif';
    const you = p.id === view.localPlayerId ? ' (you)' : '';
    const away = look.away === true ? ' · away' : '';
    ctx.fillText(`${look.name}${you}${away}  ${p.score}`, WORLD_SIZE - 10, 8 + row * 18, 220);
    row++;
  }
  ctx.textAlign = 'left';
  ctx.fillStyle = '#7986cb';
  ctx.font = '12px ui-monospace, monospace';
  ctx.fillText(`tick ${game.tick}`, 10, WORLD_SIZE - 20);
  if (view.status) {
    ctx.textAlign = 'right';
    ctx.fillText(view.status, WORLD_SIZE - 10, WORLD_SIZE - 20);
  }

  // Rollback flash: a border whose thickness is the rollback depth.
  if (view.rollbackFlash > 0) {
    ctx.strokeStyle = 'rgba(255, 214, 0, 0.8)';
    ctx.lineWidth = Math.min(2 + view.rollbackFlash, 14);
    ctx.strokeRect(0, 0, WORLD_SIZE, WORLD_SIZE);
    ctx.textAlign = 'center';
    ctx.fillStyle = '#ffd600';
    ctx.font = 'bold 13px ui-monospace, monospace';
    ctx.fillText(`rollback ${view.rollbackFlash}`, center, 30);
  }
  if (game.winner > 0 && view.banner === undefined && view.notice === undefined) {
    const winner = game.players[game.winner - 1];
    const look = lookOf(view, winner?.id ?? '', game.winner - 1);
    const color = look.color;
    ctx.fillStyle = 'rgba(11, 14, 23, 0.75)';
    ctx.fillRect(0, center - 34, WORLD_SIZE, 68);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = color;
    ctx.font = 'bold 30px system-ui, sans-serif';
    const you = winner?.id === view.localPlayerId;
    const text = you ? 'You win the round!' : `${look.name} wins the round`;
    ctx.fillText(text, center, center, WORLD_SIZE - 40);
  }
  const text = view.banner ?? view.notice ?? (view.stalled ? 'waiting for inputs…' : undefined);
  if (text !== undefined) {
    ctx.fillStyle = 'rgba(11, 14, 23, 0.75)';
    ctx.fillRect(0, center - 22, WORLD_SIZE, 44);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = view.banner ? '#ff5252' : view.notice ? '#b3e5fc' : '#ffd600';
    ctx.font = `bold ${text.length > 40 ? 13 : 17}px system-ui, sans-serif`;
    ctx.fillText(text, center, center, WORLD_SIZE - 20);
  }
  ctx.restore();
  return ghosts;
}
