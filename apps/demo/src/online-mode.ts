import { SignalingClient } from '@rbn/signaling/client';
import type { JsonValue, WelcomeMessage } from '@rbn/signaling/client';
import { PlayerRole, SessionState } from '@rbn/session';
import { TransformingTransport } from '@rbn/transport-transform';
import { WebRTCTransport, isWebRTCSignal } from '@rbn/transport-webrtc';
import { publishDemo } from './automation';
import { Pacer, startLoop } from './loop';
import { SessionPeer } from './net/session-peer';
import { ANY_KEYS, Keyboard } from './ui/keyboard';
import { PeerView } from './ui/peer-view';

const SEED = 20261121;
const ROOM_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const DEFAULT_ICE_SERVERS: RTCIceServer[] = [{ urls: 'stun:stun.l.google.com:19302' }];

/** The message the host sends every peer of the signaling group: the session room to join. */
type RoomAnnouncement = { rbn: 'room'; roomId: string };

function isRoomAnnouncement(value: unknown): value is RoomAnnouncement {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { rbn?: unknown; roomId?: unknown };
  return v.rbn === 'room' && typeof v.roomId === 'string';
}

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
 * Online mode: meets the other peers of `?room=` through the signaling server (served on the
 * page's own origin under `/signal/`), connects to them over WebRTC and plays a session.
 * The group's first peer hosts: it creates the session room, tells every newcomer its id
 * through the signaling server, and starts the game once `?players=` (or `?next=`, default 2)
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

  const client = new SignalingClient({ url });
  // Signals may arrive as soon as the welcome does: queue them until the transport exists.
  const early: [string, JsonValue][] = [];
  let onSignal: (from: string, data: JsonValue) => void = (from, data) => {
    early.push([from, data]);
  };
  client.on('signal', (from, data) => onSignal(from, data));

  let welcome: WelcomeMessage;
  try {
    welcome = await client.connect();
  } catch (error) {
    message(root, `Could not reach the signaling server: ${String(error)}`);
    return;
  }

  const iceServers: RTCIceServer[] =
    welcome.iceServers.length > 0
      ? welcome.iceServers.map((s) => ({ ...s }))
      : params.get('stun') === 'none'
        ? []
        : DEFAULT_ICE_SERVERS;
  const transport = new WebRTCTransport(welcome.id, { rtcConfiguration: { iceServers } });
  transport.setSignalingCallbacks({
    onSignal: (to, signal) => client.signal(to, signal as unknown as JsonValue),
  });
  // State transfers (late join, desync recovery) are compressed and segmented by the wrapper.
  const wire = new TransformingTransport(transport, {
    onError: (error) => console.warn('[rbn demo] dropped a message', error),
  });
  const peer = new SessionPeer({
    label: spectator ? 'Spectator' : 'You',
    transport: wire,
    seed: SEED,
    spectator,
  });
  const session = peer.session;
  session.on('error', (error, context) => console.warn('[rbn demo]', error, context));

  let joining = false;
  const join = (roomId: string, hostId: string): void => {
    if (joining || session.isHost) return;
    joining = true;
    peer.setNotice('joining the room…');
    session.joinRoom(roomId, hostId).then(
      () => peer.setNotice(undefined),
      (error: unknown) => {
        peer.setNotice(`join refused: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
  };
  onSignal = (from, data) => {
    if (isRoomAnnouncement(data)) join(data.roomId, from);
    else if (isWebRTCSignal(data)) transport.handleSignal(from, data);
  };
  for (const [from, data] of early.splice(0)) onSignal(from, data);

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
    return `You are ${welcome.id} (${role}) · ${playersIn()}/${wanted} players · ${
      SessionState[session.state]
    }`;
  };

  if (welcome.isHost && !spectator) {
    const roomId = await session.createRoom();
    const announce = (peerId: string): void => client.signal(peerId, { rbn: 'room', roomId });
    for (const other of welcome.peers) announce(other);
    client.on('new-peer', announce);
    peer.setNotice(`waiting for ${wanted - 1} more player${wanted > 2 ? 's' : ''}…`);
    startButton.hidden = false;
    session.on('playerJoined', () => {
      if (session.state === SessionState.Lobby && playersIn() >= wanted) session.start();
    });
  } else if (welcome.isHost) {
    peer.setNotice('a spectator cannot open a room: open the room as a player first');
  }
  session.on('gameStart', () => {
    startButton.hidden = true;
    peer.setNotice(undefined);
  });
  client.on('peer-left', (id) => {
    if (id === welcome.host && !session.isHost) peer.setNotice('the host left: the game is over');
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
  window.addEventListener('pagehide', () => {
    peer.destroy();
    transport.dispose();
    client.close();
  });

  publishDemo('online', () => [view], {
    room,
    peerId: welcome.id,
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
