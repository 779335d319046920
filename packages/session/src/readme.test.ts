import { runReadme } from '@rbn/readme-examples';
import * as local from '@rbn/transport-local';
import { afterEach, describe, expect, it } from 'vitest';
import * as session from './index';
import { SessionState } from './index';
import { TestGame } from './testing/test-game';

const readme = new URL('../README.md', import.meta.url);

/** What the browser game loop block expects the page to have. */
type PageGlobals = {
  requestAnimationFrame: (callback: (time: number) => void) => number;
  readLocalInput: () => Uint8Array;
  showWaitingIndicator: () => void;
  render: (game: unknown) => void;
  game: TestGame;
  transport: local.LocalTransport;
};

const page = globalThis as unknown as Partial<PageGlobals>;
const names = [
  'requestAnimationFrame',
  'readLocalInput',
  'showWaitingIndicator',
  'render',
  'game',
  'transport',
] as const;

afterEach(() => {
  for (const name of names) delete page[name];
});

describe('README', () => {
  it('runs the quick start and the browser game loop as written', async () => {
    // The game loop block runs in a page: give it one, with a frame queue the test drives.
    const queued: ((time: number) => void)[] = [];
    let rendered = 0;
    page.requestAnimationFrame = (callback) => queued.push(callback);
    page.readLocalInput = () => new Uint8Array([1]);
    page.showWaitingIndicator = () => {};
    page.render = () => rendered++;
    page.game = new TestGame();
    page.transport = local.createLocalTransportGroup(['solo'], {}).get('solo')!;

    const { logs, probed } = await runReadme(
      readme,
      { '@rbn/session': session, '@rbn/transport-local': local },
      ['', '__probe(session);'],
    );
    // The quick start: both peers confirmed more than 250 ticks and agree on them.
    expect(logs).toEqual(['true true']);

    // The game loop registered itself; run five animation frames 16 ms apart.
    const loopSession = probed[0] as session.Session;
    expect(loopSession.state).toBe(SessionState.Disconnected);
    for (let n = 1; n <= 5; n++) {
      const callback = queued.shift();
      expect(callback, `frame ${n} requested`).toBeTypeOf('function');
      callback!(n * 16);
    }
    expect(rendered).toBe(5);
    expect(queued).toHaveLength(1); // it asks for the next frame every time
  });
});
