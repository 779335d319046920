// Drives sessions the way a game loop does (one tick per frame at the session's tick rate) and
// lets a test wait for a condition, re-checked after every tick, with a hang cap that names what
// was slow. No assertion here looks at the clock.
import type { Session } from '@rbn/session';
import { scriptedInput } from './hash-game';
import type { HashGame } from './hash-game';

const FRAME_MS = 1000 / 60;

/** One session's game loop. */
export class Driver {
  readonly errors: Error[] = [];
  /** Frames whose tick did not advance the game (the engine waited for a remote input). */
  stalls = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #input = new Uint8Array(1);

  /**
   * @param session - The session to tick.
   * @param index - The player's index (picks its scripted input).
   * @param onTick - Called after every tick (the waits re-check their condition there).
   * @param game - The session's game: takes the hashes of newly confirmed ticks after each tick.
   */
  constructor(
    readonly session: Session,
    readonly index: number,
    readonly onTick: () => void,
    readonly game?: HashGame,
  ) {
    session.on('error', (error, context) => {
      if (!context.recoverable) this.errors.push(error);
    });
  }

  start(): void {
    const frame = (): void => {
      this.#input[0] = scriptedInput(this.index, this.session.currentTick);
      try {
        const result = this.session.tick(this.#input);
        if (result.stalled) this.stalls++;
        // The tick's own confirmed tick: the game's states up to it were simulated with every
        // input of it (the session may take more inputs later in the frame, which the next
        // tick resimulates).
        this.game?.confirm(result.confirmedTick);
      } catch (error) {
        this.errors.push(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      this.onTick();
      this.#timer = setTimeout(frame, FRAME_MS);
    };
    this.#timer = setTimeout(frame, FRAME_MS);
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}

type Wait = { check: () => boolean; resolve: () => void };

/** The waits of a test, re-checked after every tick of any driver. */
export class Waits {
  #waits: Wait[] = [];

  /** Re-checks every pending wait. */
  readonly check = (): void => {
    for (const wait of [...this.#waits]) {
      if (wait.check()) {
        this.#waits = this.#waits.filter((w) => w !== wait);
        wait.resolve();
      }
    }
  };

  /**
   * Resolves once `condition()` holds; rejects after `capMs` naming `what` (a hang cap).
   * @param condition - Checked now and after every tick.
   * @param what - What the test waits for, for the failure message.
   * @param capMs - Hang cap.
   * @param status - Extra state for the failure message.
   */
  until(condition: () => boolean, what: string, capMs = 120_000, status = () => ''): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waits = this.#waits.filter((w) => w !== wait);
        reject(new Error(`hang cap: ${what} did not happen within ${capMs} ms ${status()}`));
      }, capMs);
      const wait: Wait = {
        check: condition,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.#waits.push(wait);
    });
  }
}

/** A peer's confirmed hashes (see {@link HashGame}). */
export type ConfirmedRecord = {
  /** Hash of each confirmed tick as it was when confirmed. */
  readonly hashes: ReadonlyMap<number, number>;
  /** The newest confirmed tick recorded. */
  readonly confirmed: number;
  /** Confirmed ticks the peer never simulated (it loaded a state past them). */
  readonly skipped?: ReadonlySet<number>;
  /** Confirmed ticks the peer simulated again afterwards to a different hash (a session bug). */
  readonly revised?: readonly number[];
  /** The inputs each recent confirmed tick was simulated with (see `HashGame.inputs`). */
  readonly inputs?: ReadonlyMap<number, string>;
  /** A page's trace of links and session events (see `progress()`), shown on a mismatch. */
  readonly trace?: readonly string[];
};

/**
 * What a failed comparison needs said: each game's hashes at the first differing ticks, the
 * confirmed ticks each simulated again differently, and `seen` (what the host saw happen).
 */
export function describeDisagreement(
  games: readonly ConfirmedRecord[],
  result: { mismatches: readonly number[]; missing: readonly number[] },
  seen = '',
): string {
  const at = (tick: number) =>
    JSON.stringify(games.map((g) => (g.skipped?.has(tick) ? 'skipped' : g.hashes.get(tick))));
  const ticks = [...result.mismatches.slice(0, 3), ...result.missing.slice(0, 2)];
  const first = result.mismatches[0];
  // Which player's input differed: the inputs each game confirmed the first differing tick with.
  const inputs =
    first === undefined
      ? []
      : [`inputs at tick ${first}: ${JSON.stringify(games.map((g) => g.inputs?.get(first)))}`];
  const traces =
    first === undefined
      ? []
      : games.flatMap((g, i) => (g.trace ? [`trace of game ${i}: ${g.trace.join(' | ')}`] : []));
  return [
    ...ticks.map((tick) => `tick ${tick}: ${at(tick)}`),
    ...inputs,
    `confirmed ticks simulated again differently: ${JSON.stringify(games.map((g) => g.revised ?? []))}`,
    `confirmed up to ${JSON.stringify(games.map((g) => g.confirmed))}`,
    ...(seen === '' ? [] : [seen]),
    ...traces,
  ].join('; ');
}

/**
 * The hashes two games agree on must be those of every tick both confirmed: compares the ticks
 * from `from` to the newest tick every game has confirmed.
 * @param games - Each peer's confirmed hashes; a tick a peer skipped is compared among the rest.
 * @param from - First tick to compare.
 * @returns The compared range and the ticks whose hashes differ.
 */
export function compareConfirmed(
  games: readonly ConfirmedRecord[],
  from = 1,
): { from: number; to: number; mismatches: number[]; missing: number[] } {
  const to = Math.min(...games.map((g) => g.confirmed));
  const mismatches: number[] = [];
  const missing: number[] = [];
  for (let tick = from; tick <= to; tick++) {
    const values = games.flatMap((g) => (g.skipped?.has(tick) ? [] : [g.hashes.get(tick)]));
    if (values.some((v) => v === undefined)) missing.push(tick);
    else if (new Set(values).size > 1) mismatches.push(tick);
  }
  return { from, to, mismatches, missing };
}
