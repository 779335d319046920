import { joinOnline } from '@rbn/online';
import { PlayerRole, SessionState } from '@rbn/session';
import type { Session } from '@rbn/session';
import { publishDemo } from './automation';
import { Pacer, startLoop } from './loop';
import { DEMO_SESSION_CONFIG, SessionPeer, peerGame } from './net/session-peer';
import { ANY_KEYS, Keyboard } from './ui/keyboard';
import { PeerView } from './ui/peer-view';

const SEED = 20261121;
const ROOM_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

function linkBox(label: string, href: string): HTMLElement {
  const wrap = document.createElement('label');
  wrap.className = 'links';
  const text = document.createElement('span');
  text.textContent = label;
  const input = document.createElement('input');
  input.type = 'text';
  input.readOnly = true;
  input.value = href;
  input.addEventListener('focus', () => input.select());
  wrap.append(text, input);
  return wrap;
}

function message(root: HTMLElement, text: string): void {
  const p = document.createElement('p');
  p.className = 'notice';
  p.textContent = text;
  root.replaceChildren(p);
}

/**
 * Online mode: joins `?room=` with `joinOnline` of `@rbn/online` through the signaling server
 * (served on the page's own origin under `/signal/`) and plays the session it returns. The
 * group's first peer hosts and starts the game once `?players=` (or `?next=`, default 2)
 * players are in. `?spectate` joins as a spectator; `?stun=none` uses no STUN server.
 * @param root - Where to build the page.
 * @param params - The page's query parameters.
 */
export async function startOnlineMode(root: HTMLElement, params: URLSearchParams): Promise<void> {
  const room = params.get('room') ?? '';
  if (!ROOM_PATTERN.test(room)) {
    message(root, 'The room name may use 1–64 letters, digits, "_", "-" and ".".');
    return;
  }
  const next = params.get('next');
  const groupSize = next !== null && /^\d+$/.test(next) ? Number(next) : undefined;
  const wanted = Math.min(Math.max(Number(params.get('players') ?? groupSize ?? 2) || 2, 1), 4);
  const spectator = params.has('spectate');
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${location.host}/signal/${encodeURIComponent(room)}${
    groupSize !== undefined ? `?next=${groupSize}` : ''
  }`;
  message(root, `Connecting to the signaling server for room "${room}"…`);

  // joinOnline does the signaling, the WebRTC connections (STUN kept, the server's TURN added),
  // the session room (the group's first peer hosts, the others join it) and leaving on pagehide.
  const game = peerGame(SEED);
  let session: Session;
  try {
    session = await joinOnline({
      url,
      game: game.recording,
      config: DEMO_SESSION_CONFIG,
      role: spectator ? PlayerRole.Spectator : PlayerRole.Player,
      // The demo starts the game itself, at `?players=` (which may differ from `?next=`).
      autoStart: false,
      ...(params.get('stun') === 'none' ? { rtcConfiguration: { iceServers: [] } } : {}),
    });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    message(root, `Could not join room "${room}": ${why}`);
    return;
  }
  const peer = new SessionPeer({ label: spectator ? 'Spectator' : 'You', game, session });
  session.on('error', (error, context) => console.warn('[rbn demo]', error, context));

  const view = new PeerView(peer, {
    title: spectator ? 'Spectating' : `Room ${room}`,
    keysHint: spectator ? 'Spectator' : 'W A S D or arrows move · Space or Enter dash',
    desyncButton: !spectator,
  });
  const panel = document.createElement('section');
  panel.className = 'controls';
  const heading = document.createElement('h2');
  const base = `${location.origin}${location.pathname}?room=${encodeURIComponent(room)}`;
  panel.append(heading);
  if (groupSize === undefined) {
    panel.append(linkBox('Invite a player', base), linkBox('Spectator link', `${base}&spectate`));
  }
  const startButton = document.createElement('button');
  startButton.type = 'button';
  startButton.className = 'action';
  startButton.textContent = 'Start now';
  startButton.hidden = true;
  startButton.addEventListener('click', () => {
    startButton.blur();
    if (session.isHost && session.state === SessionState.Lobby) session.start();
  });
  panel.append(startButton);
  const columns = document.createElement('div');
  columns.className = 'columns';
  columns.append(view.root);
  root.replaceChildren(panel, columns);

  const playersIn = (): number =>
    [...session.players.values()].filter((p) => p.role === PlayerRole.Player).length;
  const describe = (): string => {
    const role = session.isHost ? 'host' : spectator ? 'spectator' : 'player';
    return `You are ${session.localPlayerId} (${role}) · ${playersIn()}/${wanted} players · ${
      SessionState[session.state]
    }`;
  };

  if (session.isHost) {
    peer.setNotice(`waiting for ${wanted - 1} more player${wanted > 2 ? 's' : ''}…`);
    startButton.hidden = false;
    const startWhenFull = (): void => {
      if (session.state === SessionState.Lobby && playersIn() >= wanted) session.start();
    };
    session.on('playerJoined', startWhenFull);
    startWhenFull();
  }
  session.on('gameStart', () => {
    startButton.hidden = true;
    peer.setNotice(undefined);
  });
  session.on('stateChange', (state) => {
    if (state === SessionState.Disconnected) peer.setNotice('the room closed: the game is over');
  });

  const keyboard = new Keyboard();
  const pacer = new Pacer(peer, (result) => view.recordTick(result));
  const readInput = (): number => (spectator ? 0 : keyboard.read(ANY_KEYS, 0));
  startLoop(
    (elapsedMs) => pacer.advance(elapsedMs, readInput),
    () => {
      view.render();
      heading.textContent = describe();
    },
  );
  publishDemo('online', () => [view], {
    room,
    peerId: session.localPlayerId,
    get isHost() {
      return session.isHost;
    },
    get players() {
      return [...session.players.values()].map((p) => ({
        playerId: p.playerId,
        role: PlayerRole[p.role],
        isHost: p.isHost,
      }));
    },
  });
}
