import { Button } from '../game/input';

/** Which keys drive one player: `KeyboardEvent.code` → button bit. */
export type KeyMap = Readonly<Record<string, number>>;

/** W A S D to move, Space to dash. */
export const WASD_KEYS: KeyMap = {
  KeyW: Button.Up,
  KeyS: Button.Down,
  KeyA: Button.Left,
  KeyD: Button.Right,
  Space: Button.Dash,
};

/** Arrow keys to move, Enter to dash. */
export const ARROW_KEYS: KeyMap = {
  ArrowUp: Button.Up,
  ArrowDown: Button.Down,
  ArrowLeft: Button.Left,
  ArrowRight: Button.Right,
  Enter: Button.Dash,
  NumpadEnter: Button.Dash,
};

/** I J K L to move, O to dash. */
export const IJKL_KEYS: KeyMap = {
  KeyI: Button.Up,
  KeyK: Button.Down,
  KeyJ: Button.Left,
  KeyL: Button.Right,
  KeyO: Button.Dash,
};

/** WASD and arrows at once: what a single online player uses. */
export const ANY_KEYS: KeyMap = { ...WASD_KEYS, ...ARROW_KEYS };

const GAME_KEYS: KeyMap = { ...ANY_KEYS, ...IJKL_KEYS };

/**
 * Tracks which keys are down and turns them into one input byte per key map. A key pressed and
 * released between two reads still counts once (a quick tap of dash is never lost).
 */
export class Keyboard {
  private readonly down = new Set<string>();
  private readonly tapped = new Set<string>();

  /**
   * @param target - Where to listen for key events.
   */
  constructor(private readonly target: Window = window) {
    target.addEventListener('keydown', this.onKeyDown);
    target.addEventListener('keyup', this.onKeyUp);
    target.addEventListener('blur', this.onBlur);
  }

  /**
   * Reads the buttons of one key map for the next tick, plus gamepad `index` when given.
   * @param keys - The key map of the player.
   * @param gamepad - Index of a gamepad that also drives this player.
   * @returns The input byte.
   */
  read(keys: KeyMap, gamepad?: number): number {
    let buttons = 0;
    for (const code in keys) {
      const tapped = this.tapped.delete(code);
      if (tapped || this.down.has(code)) buttons |= keys[code] ?? 0;
    }
    if (gamepad !== undefined) buttons |= readGamepad(gamepad);
    return buttons;
  }

  /** Stops listening. */
  destroy(): void {
    this.target.removeEventListener('keydown', this.onKeyDown);
    this.target.removeEventListener('keyup', this.onKeyUp);
    this.target.removeEventListener('blur', this.onBlur);
  }

  private readonly onKeyDown = (event: KeyboardEvent): void => {
    if (!(event.code in GAME_KEYS)) return;
    const focus = document.activeElement;
    if (focus instanceof HTMLInputElement && focus.type === 'text') return;
    event.preventDefault();
    this.down.add(event.code);
    this.tapped.add(event.code);
  };

  private readonly onKeyUp = (event: KeyboardEvent): void => {
    this.down.delete(event.code);
  };

  private readonly onBlur = (): void => {
    this.down.clear();
  };
}

function readGamepad(index: number): number {
  const pad = typeof navigator.getGamepads === 'function' ? navigator.getGamepads()[index] : null;
  if (!pad) return 0;
  const x = pad.axes[0] ?? 0;
  const y = pad.axes[1] ?? 0;
  const pressed = (i: number): boolean => pad.buttons[i]?.pressed === true;
  let buttons = 0;
  if (y < -0.4 || pressed(12)) buttons |= Button.Up;
  if (y > 0.4 || pressed(13)) buttons |= Button.Down;
  if (x < -0.4 || pressed(14)) buttons |= Button.Left;
  if (x > 0.4 || pressed(15)) buttons |= Button.Right;
  if (pressed(0) || pressed(1)) buttons |= Button.Dash;
  return buttons;
}
