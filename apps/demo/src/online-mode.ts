import { joinOnline } from '@rbn/online';
import { PlayerRole, SessionState, encodePlayerMetadata } from '@rbn/session';
import type { Session } from '@rbn/session';
import { publishDemo } from './automation';
import { askGroupFull } from './online/group-full-choice';
import { inviteBox } from './online/invite';
import { MAX_NAME_LENGTH, RosterNames, cleanName, saveName, savedName } from './online/names';
import { Toasts } from './online/toasts';
import { Pacer, startLoop } from './loop';
import { DEMO_SESSION_CONFIG, SessionPeer, peerGame } from './net/session-peer';
import { ANY_KEYS, Keyboard } from './ui/keyboard';
import { PeerView } from './ui/peer-view';

const SEED = 20261121;
/**
 * How long a player whose page closed or lost its connection keeps its place (the session's
 * `reconnectWindowMs`): a reload within it takes the place back; after it the others see the
 * player leave.
 */
const KEEP_PLACE_MS = 20_000;
const ROOM_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

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
  const name = localName(params);
  let session: Session;
  try {
    session = await joinOnline({
      url,
      game: game.recording,
      config: { ...DEMO_SESSION_CONFIG, reconnectWindowMs: KEEP_PLACE_MS },
      // A reload (or a closed tab reopened) within KEEP_PLACE_MS takes the player's place back.
      rejoinStorage: tabStorage(),
      role: spectator ? PlayerRole.Spectator : PlayerRole.Player,
      // The demo starts the game itself, at `?players=` (which may differ from `?next=`).
      autoStart: false,
      ...(name !== '' ? { metadata: encodePlayerMetadata({ name }) } : {}),
      ...(params.get('stun') === 'none' ? { rtcConfiguration: { iceServers: [] } } : {}),
      // A visitor to a full `?next=N` link chooses: watch that game, or start a new one (a
      // `?spectate` link came to watch).
      onGroupFull: (full) => (spectator ? 'spectate' : askGroupFull(root, full)),
    });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    message(root, `Could not join room "${room}": ${why}`);
    return;
  }
  // A visitor who chose to watch a full game is a spectator too.
  const watching = spectator || session.localRole === PlayerRole.Spectator;
  playOnline({ root, session, game, room, wanted, spectator: watching, name, groupSize });
}

/** The tab's `sessionStorage`, or `null` where the browser blocks it. */
function tabStorage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

/**
 * The player's name: `?name=` (remembered for next time) or the remembered one.
 * @param params - The page's query parameters.
 * @returns The name, or '' for none.
 */
function localName(params: URLSearchParams): string {
  const fromUrl = params.get('name');
  if (fromUrl === null) return savedName();
  const name = cleanName(fromUrl);
  saveName(name);
  return name;
}

/** The name field: remembered in localStorage, sent as player metadata when the page joins. */
function nameField(name: string): HTMLElement {
  const wrap = document.createElement('label');
  wrap.className = 'links name-field';
  const text = document.createElement('span');
  text.textContent = 'Your name';
  const input = document.createElement('input');
  input.type = 'text';
  input.name = 'player-name';
  input.maxLength = MAX_NAME_LENGTH;
  input.placeholder = 'shown to the others';
  input.value = name;
  input.title = 'Remembered on this device; the others see it from your next join (Rejoin).';
  input.addEventListener('change', () => saveName(input.value));
  // Typing a name must not steer the disc.
  input.addEventListener('keydown', (event) => event.stopPropagation());
  wrap.append(text, input);
  return wrap;
}

interface OnlineGame {
  root: HTMLElement;
  session: Session;
  game: ReturnType<typeof peerGame>;
  room: string;
  wanted: number;
  spectator: boolean;
  name: string;
  groupSize: number | undefined;
}

function newRoomHref(): string {
  return `${location.pathname}?room=${Math.random().toString(36).slice(2, 8)}`;
}

/** Builds the online page around a joined session and runs it. */
function playOnline(o: OnlineGame): void {
  const { root, session, room, spectator } = o;
  const names = new RosterNames(session);
  for (const p of session.players.values()) names.remember(p);
  const peer = new SessionPeer({ label: spectator ? 'Spectator' : 'You', game: o.game, session });
  session.on('error', (error, context) => console.warn('[rbn demo]', error, context));

  const view = new PeerView(peer, {
    title: spectator ? 'Spectating' : `Room ${room}`,
    keysHint: spectator ? 'Spectator' : 'W A S D or arrows move · Space or Enter dash',
    desyncButton: !spectator,
    lookOf: (id) => names.lookOf(id),
  });
  const { panel, heading, startButton } = controlPanel(o);
  const columns = document.createElement('div');
  columns.className = 'columns';
  columns.append(view.root);
  const toasts = new Toasts();
  root.replaceChildren(panel, columns, toasts.root);
  announceMembership(session, names, toasts, peer);
  startWhenReady(o, names, peer, startButton);
  runOnline(o, view, peer, () => {
    heading.textContent = headingText(o, names);
  });
  publishOnline(o, view, names, heading, toasts);
}

/** The panel above the game: the heading, the name field, invites and the start button. */
function controlPanel(o: OnlineGame): {
  panel: HTMLElement;
  heading: HTMLElement;
  startButton: HTMLButtonElement;
} {
  const { session, room } = o;
  const panel = document.createElement('section');
  panel.className = 'controls';
  const heading = document.createElement('h2');
  // The invite keeps the host's `?stun=` choice (a LAN or test setup without a STUN server).
  const stun = new URLSearchParams(location.search).get('stun');
  const base = `${location.origin}${location.pathname}?room=${encodeURIComponent(room)}${
    stun !== null ? `&stun=${encodeURIComponent(stun)}` : ''
  }`;
  panel.append(heading, nameField(o.name));
  if (o.groupSize === undefined) {
    panel.append(
      inviteBox('Invite a player', base, true),
      inviteBox('Spectator link', `${base}&spectate`, false),
    );
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
  return { panel, heading, startButton };
}

/** "You are Ada (host) · 2/2 players · Playing". */
function headingText(o: OnlineGame, names: RosterNames): string {
  const { session, spectator, wanted } = o;
  const role = session.isHost ? 'host' : spectator ? 'spectator' : 'player';
  const me = spectator ? 'You' : `You are ${names.nameOf(session.localPlayerId)}`;
  const count = names.playerCount();
  const players = count > wanted ? `${count} players` : `${count}/${wanted} players`;
  return `${me} (${role}) · ${players} · ${SessionState[session.state]}`;
}

/** The host starts the game once `wanted` players are in (or when "Start now" is pressed). */
function startWhenReady(
  o: OnlineGame,
  names: RosterNames,
  peer: SessionPeer,
  startButton: HTMLButtonElement,
): void {
  const { session, wanted } = o;
  if (session.isHost) {
    peer.setNotice(`waiting for ${wanted - 1} more player${wanted > 2 ? 's' : ''}…`);
    startButton.hidden = false;
    const startWhenFull = (): void => {
      if (session.state === SessionState.Lobby && names.playerCount() >= wanted) session.start();
    };
    session.on('playerJoined', startWhenFull);
    startWhenFull();
  }
  session.on('gameStart', () => {
    startButton.hidden = true;
    peer.setNotice(undefined);
  });
}

/** The frame loop: keyboard (or nothing, for a spectator) in, ticks paced, the view drawn. */
function runOnline(o: OnlineGame, view: PeerView, peer: SessionPeer, onFrame: () => void): void {
  const keyboard = new Keyboard();
  const pacer = new Pacer(peer, (result) => view.recordTick(result));
  const readInput = (): number => (o.spectator ? 0 : keyboard.read(ANY_KEYS, 0));
  startLoop(
    (elapsedMs) => pacer.advance(elapsedMs, readInput),
    () => {
      view.render();
      onFrame();
    },
    false,
  );
}

/** `window.rbnDemo` of the online page: the room, the players by name, the heading, toasts. */
function publishOnline(
  o: OnlineGame,
  view: PeerView,
  names: RosterNames,
  heading: HTMLElement,
  toasts: Toasts,
): void {
  const { session, room } = o;
  publishDemo('online', () => [view], {
    room,
    peerId: session.localPlayerId,
    get isHost() {
      return session.isHost;
    },
    get players() {
      return [...session.players.values()].map((p) => ({
        playerId: p.playerId,
        name: names.nameOf(p.playerId),
        slot: p.slot,
        role: PlayerRole[p.role],
        isHost: p.isHost,
        away: names.isAway(p.playerId),
      }));
    },
    get heading() {
      return heading.textContent;
    },
    toasts: () => toasts.texts(),
  });
}

/** A toast for every membership change, named, with a way on where the game cannot go on. */
function announceMembership(
  session: Session,
  names: RosterNames,
  toasts: Toasts,
  peer: SessionPeer,
): void {
  const local = session.localPlayerId;
  const wayOn = [
    { label: 'Rejoin', run: () => location.reload() },
    { label: 'New game', run: () => location.assign(newRoomHref()) },
  ];
  const currentHost = (): string | undefined =>
    [...session.players.values()].find((p) => p.isHost)?.playerId;
  let hostId = currentHost();
  session.on('playerJoined', (info) => {
    names.remember(info);
    hostId = currentHost() ?? hostId;
    if (info.playerId === local) return;
    const what = info.role === PlayerRole.Spectator ? 'is watching' : 'joined';
    toasts.show(`${names.nameOf(info.playerId)} ${what}`);
  });
  session.on('playerLeft', (info) => {
    names.remember(info);
    names.setAway(info.playerId, false);
    if (info.playerId === local) return;
    const host = info.isHost || info.playerId === hostId ? 'The host ' : '';
    toasts.show(`${host}${names.nameOf(info.playerId)} left`, 'warn');
  });
  session.on('playerDropped', (playerId) => {
    toasts.show(`${names.nameOf(playerId)} was dropped (no connection)`, 'warn');
  });
  session.on('networkInterrupted', (playerId, msUntilDisconnect) => {
    const seconds = Math.max(1, Math.round(msUntilDisconnect / 1000));
    toasts.show(
      `${names.nameOf(playerId)}: connection interrupted, reconnecting (up to ${seconds} s)…`,
      'warn',
    );
  });
  session.on('networkResumed', (playerId) => {
    toasts.show(`${names.nameOf(playerId)} reconnected`);
  });
  session.on('playerAway', (playerId) => {
    names.setAway(playerId, true);
    if (playerId === local) return;
    const seconds = Math.round(KEEP_PLACE_MS / 1000);
    toasts.show(`${names.nameOf(playerId)} is away (their place is kept ${seconds} s)`, 'warn');
  });
  session.on('playerBack', (playerId) => {
    names.setAway(playerId, false);
    if (playerId !== local) toasts.show(`${names.nameOf(playerId)} is back`);
    else toasts.show(`You are back in the game as P${slotOf(session, local) + 1}`);
  });
  session.on('hostChanged', (newHost) => {
    hostId = newHost;
    const who = newHost === local ? 'You host' : `${names.nameOf(newHost)} hosts`;
    toasts.show(`${who} the game now`);
  });
  session.on('stateChange', (state) => {
    hostId = currentHost() ?? hostId;
    if (state !== SessionState.Disconnected) return;
    peer.setNotice('the room closed: Rejoin or start a new game');
    toasts.show('The room closed (the connection was lost).', 'error', wayOn);
  });
}

/** A member's slot (P1 is slot 0), or -1. */
function slotOf(session: Session, playerId: string): number {
  return session.players.get(playerId)?.slot ?? -1;
}
