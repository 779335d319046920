import { SessionState } from '@rbn/session';
import { createLocalTransportGroup } from '@rbn/transport-local';
import type { LocalTransport } from '@rbn/transport-local';
import { publishDemo } from './automation';
import { Pacer, startLoop } from './loop';
import type { DemoPeer } from './net/peer';
import { SessionPeer } from './net/session-peer';
import { ARROW_KEYS, IJKL_KEYS, Keyboard, WASD_KEYS } from './ui/keyboard';
import type { KeyMap } from './ui/keyboard';
import { PeerView } from './ui/peer-view';

/** The simulated network between the local peers. */
export interface NetworkSettings {
  /** One-way latency in ms. */
  latency: number;
  /** Local input delay of every session, in ticks (fewer rollbacks, more lag). */
  inputDelay: number;
  /** Jitter in ms (± on each message). */
  jitter: number;
  /** Loss of unreliable messages, 0..1. */
  loss: number;
}

/** One direction of a simulated link between two seated peers, for automation. */
export interface LinkReport {
  from: string;
  to: string;
  /** The conditions the transport applies to messages on this link now. */
  latency: number;
  jitter: number;
  /** Loss of unreliable messages, 0..1. */
  loss: number;
  /** Messages sent on it since the start, and those the simulated network dropped. */
  messagesSent: number;
  messagesDropped: number;
}

interface Seat {
  id: string;
  label: string;
  keys: KeyMap;
  hint: string;
  spectator: boolean;
}

const SEATS: readonly Seat[] = [
  {
    id: 'p1',
    label: 'P1',
    keys: WASD_KEYS,
    hint: 'P1 (host): W A S D move · Space dash',
    spectator: false,
  },
  {
    id: 'p2',
    label: 'P2',
    keys: ARROW_KEYS,
    hint: 'P2: arrow keys move · Enter dash',
    spectator: false,
  },
  {
    id: 'p3',
    label: 'P3',
    keys: IJKL_KEYS,
    hint: 'P3 (late join): I J K L move · O dash',
    spectator: false,
  },
  {
    id: 'spectator',
    label: 'Spectator',
    keys: {},
    hint: 'Spectator: watches, never holds the game back',
    spectator: true,
  },
];

const SEED = 20261121;
const PING_INTERVAL_MS = 100;
/** The simulated network's clocks advance together in steps of at most this many ms. */
const NETWORK_STEP_MS = 1;

/**
 * Advances every peer's simulated network by `elapsedMs`, all clocks together in small steps.
 * A session answers a ping as it arrives, and the answer's latency is counted from the
 * receiver's clock: stepping the transports one after the other by a whole frame would send
 * one peer's answers from a clock a frame behind and the other's from a clock already a frame
 * ahead, so P1's RTT read one frame (20–40 ms on a busy machine) above P2's on a symmetric link.
 * @param transports - Every local transport of the page.
 * @param elapsedMs - Time to advance.
 */
function stepNetwork(transports: readonly LocalTransport[], elapsedMs: number): void {
  for (let done = 0; done < elapsedMs; done += NETWORK_STEP_MS) {
    const step = Math.min(NETWORK_STEP_MS, elapsedMs - done);
    for (const t of transports) t.tick(step);
  }
}

/** A labelled range input; `show(v)` moves it (and its readout) without firing `onInput`. */
interface Slider {
  root: HTMLLabelElement;
  show(value: number): void;
}

function slider(
  label: string,
  unit: string,
  min: number,
  max: number,
  value: number,
  onInput: (value: number) => void,
): Slider {
  const wrap = document.createElement('label');
  wrap.className = 'slider';
  const name = document.createElement('span');
  name.textContent = label;
  const input = document.createElement('input');
  input.type = 'range';
  input.min = String(min);
  input.max = String(max);
  input.value = String(value);
  input.name = label.toLowerCase();
  const shown = document.createElement('output');
  shown.textContent = `${value}${unit}`;
  input.addEventListener('input', () => {
    const v = Number(input.value);
    shown.textContent = `${v}${unit}`;
    onInput(v);
  });
  wrap.append(name, input, shown);
  const show = (v: number): void => {
    input.value = String(v);
    shown.textContent = `${input.value}${unit}`;
  };
  return { root: wrap, show };
}

function button(text: string, onClick: (button: HTMLButtonElement) => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'action';
  b.textContent = text;
  b.addEventListener('click', () => {
    b.blur();
    onClick(b);
  });
  return b;
}

function reportError(error: unknown): void {
  console.warn('[rbn demo]', error);
}

/**
 * Local mode: peers in one page over `@rbn/transport-local` with adjustable latency, jitter and
 * loss, each with its own view and keys, so prediction and rollback can be seen at work. P1 hosts
 * a room, P2 joins it; P3 can join late and a spectator can watch.
 * @param root - Where to build the page.
 */
export function startLocalMode(root: HTMLElement): void {
  const settings: NetworkSettings = { latency: 60, jitter: 10, loss: 5 / 100, inputDelay: 0 };
  const transports = createLocalTransportGroup(
    SEATS.map((s) => s.id),
    { latency: settings.latency, jitter: settings.jitter, packetLoss: settings.loss, seed: SEED },
  );
  const all = [...transports.values()];
  const transportOf = (id: string): LocalTransport => transports.get(id) as LocalTransport;
  const apply = (): void => {
    for (const peer of peers) {
      if (peer instanceof SessionPeer) peer.session.inputDelayTicks = settings.inputDelay;
    }
    for (const t of all) {
      t.setConditions({
        latency: settings.latency,
        jitter: settings.jitter,
        packetLoss: settings.loss,
      });
    }
  };

  const columns = document.createElement('div');
  columns.className = 'columns';
  const peers: DemoPeer[] = [];
  const views: PeerView[] = [];
  const seats: Seat[] = [];
  const pacers: Pacer[] = [];
  const seat = (s: Seat, peer: DemoPeer): void => {
    peers.push(peer);
    seats.push(s);
    const view = new PeerView(peer, {
      title: `${peer.label}'s screen`,
      keysHint: s.hint,
      desyncButton: !s.spectator,
    });
    views.push(view);
    pacers.push(new Pacer(peer, (result) => view.recordTick(result)));
    columns.append(view.root);
  };

  let roomId: string | undefined;
  const host = (): SessionPeer | undefined => peers[0] as SessionPeer | undefined;
  const joinSeat = (s: Seat): void => {
    const peer = new SessionPeer({
      label: s.label,
      transport: transportOf(s.id),
      seed: SEED,
      spectator: s.spectator,
      // Ping five times as often as the default, so the RTT graph follows the latency slider
      // within a second or two (the session smooths RTT samples with a 1/8 weight).
      config: { pingInterval: PING_INTERVAL_MS },
      // The session measures time on the simulated network's clock, the one its messages'
      // latency is counted in: an RTT is then the link's round trip, not the page's frame rate.
      clock: { now: () => transportOf(s.id).now },
    });
    peer.session.on('error', (error, context) => reportError({ seat: s.id, error, context }));
    peer.session.inputDelayTicks = settings.inputDelay;
    seat(s, peer);
    if (roomId !== undefined) {
      peer.session.joinRoom(roomId, 'p1').catch((error: unknown) => {
        peer.setNotice(`join refused: ${error instanceof Error ? error.message : String(error)}`);
        reportError(error);
      });
    }
  };

  const [s1, s2, s3, s4] = SEATS as [Seat, Seat, Seat, Seat];
  const actions = document.createElement('div');
  actions.className = 'actions';
  joinSeat(s1);
  const first = host();
  first?.session
    .createRoom()
    .then((id) => {
      roomId = id;
      joinSeat(s2);
    })
    .catch(reportError);
  first?.session.on('playerJoined', (player) => {
    if (player.playerId === s2.id && first.session.state === SessionState.Lobby) {
      first.session.start();
    }
  });
  actions.append(
    button('P3 joins late', (b) => {
      b.disabled = true;
      joinSeat(s3);
    }),
    button('A spectator joins', (b) => {
      b.disabled = true;
      joinSeat(s4);
    }),
  );

  const controls = document.createElement('section');
  controls.className = 'controls';
  const title = document.createElement('h2');
  title.textContent =
    'Simulated network on every link (both directions) and input delay, applied live';
  const sliders = {
    latency: slider('Latency', ' ms', 0, 250, settings.latency, (v) => {
      settings.latency = v;
      apply();
    }),
    jitter: slider('Jitter', ' ms', 0, 100, settings.jitter, (v) => {
      settings.jitter = v;
      apply();
    }),
    loss: slider('Loss', ' %', 0, 50, Math.round(settings.loss * 100), (v) => {
      settings.loss = v / 100;
      apply();
    }),
    inputDelay: slider('Input delay', ' ticks', 0, 8, settings.inputDelay, (v) => {
      settings.inputDelay = v;
      apply();
    }),
  };
  /** Moves the sliders to `settings` (after automation changed them). */
  const showSettings = (): void => {
    sliders.latency.show(settings.latency);
    sliders.jitter.show(settings.jitter);
    sliders.loss.show(Math.round(settings.loss * 100));
    sliders.inputDelay.show(settings.inputDelay);
  };
  controls.append(
    title,
    sliders.latency.root,
    sliders.jitter.root,
    sliders.loss.root,
    sliders.inputDelay.root,
    actions,
  );
  root.replaceChildren(columns, controls);

  const keyboard = new Keyboard();
  const advance = (elapsedMs: number): void => {
    stepNetwork(all, elapsedMs);
    pacers.forEach((pacer, i) => {
      const keys = seats[i]?.keys ?? {};
      pacer.advance(elapsedMs, () => keyboard.read(keys, i));
    });
  };
  const render = (): void => {
    for (const v of views) v.render();
  };
  startLoop(advance, render);

  publishDemo('local', () => views, {
    network: settings,
    setNetwork(next: Partial<NetworkSettings>) {
      Object.assign(settings, next);
      apply();
      showSettings();
    },
    links: (): LinkReport[] => {
      const report: LinkReport[] = [];
      for (const from of seats) {
        for (const to of seats) {
          if (from === to) continue;
          const transport = transportOf(from.id);
          const conditions = transport.getConditions(to.id);
          const stats = transport.getLinkStats(to.id);
          report.push({
            from: from.id,
            to: to.id,
            latency: conditions.latency,
            jitter: conditions.jitter,
            loss: conditions.packetLoss,
            messagesSent: stats?.messagesSent ?? 0,
            messagesDropped: stats?.messagesDropped ?? 0,
          });
        }
      }
      return report;
    },
    lateJoin: () => (peers.some((p) => p.playerId === s3.id) ? undefined : joinSeat(s3)),
    addSpectator: () => (peers.some((p) => p.playerId === s4.id) ? undefined : joinSeat(s4)),
  });
}
