// The page side of the browser test: bundled by Vite (test/browser.test.ts) and driven by
// Playwright through `window.rbnOnline`. It uses only joinOnline: no WebSocket or WebRTC option,
// the page's own implementations.
import { joinOnline } from '@rbn/online';
import { Topology } from '@rbn/session';
import type { Session } from '@rbn/session';
import { Driver } from './driver';
import { HashGame } from './hash-game';

/** Session settings a test picks for a page. */
export type PageJoinOptions = { mesh?: boolean };

/** What the page exposes to the test. */
export type PageApi = {
  join(url: string, index: number, options?: PageJoinOptions): Promise<void>;
  progress(): {
    playerId: string;
    state: number;
    tick: number;
    confirmed: number;
    players: number;
    errors: string[];
  };
  hashes(): [number, number][];
};

let session: Session | undefined;
let driver: Driver | undefined;
const game = new HashGame();

const api: PageApi = {
  async join(url, index, options = {}) {
    const topology = options.mesh ? Topology.Mesh : Topology.Star;
    session = await joinOnline({ url, game, config: { hashInterval: 30, topology } });
    driver = new Driver(session, index, () => undefined);
    driver.start();
  },
  progress() {
    return {
      playerId: session?.localPlayerId ?? '',
      state: session?.state ?? -1,
      tick: session?.currentTick ?? -1,
      confirmed: session?.confirmedTick ?? -1,
      players: session?.players.size ?? 0,
      errors: driver?.errors.map((e) => e.message) ?? [],
    };
  },
  hashes() {
    return [...game.hashes];
  },
};

(globalThis as { rbnOnline?: PageApi }).rbnOnline = api;
