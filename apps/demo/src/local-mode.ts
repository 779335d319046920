import { createLocalTransportGroup } from '@rbn/transport-local';
import type { LocalTransport } from '@rbn/transport-local';
import { publishDemo } from './automation';
import { startLoop } from './loop';
import { EnginePeer } from './net/engine-peer';
import type { DemoPeer } from './net/peer';
import { ARROW_KEYS, Keyboard, WASD_KEYS } from './ui/keyboard';
import type { KeyMap } from './ui/keyboard';
import { PeerView } from './ui/peer-view';

/** The simulated network between the local peers. */
export interface NetworkSettings {
  /** One-way latency in ms. */
  latency: number;
  /** Jitter in ms (± on each message). */
  jitter: number;
  /** Loss of unreliable messages, 0..1. */
  loss: number;
}

const PLAYERS: readonly { id: string; label: string; keys: KeyMap; hint: string }[] = [
  { id: 'p1', label: 'P1', keys: WASD_KEYS, hint: 'P1: W A S D move · Space dash' },
  { id: 'p2', label: 'P2', keys: ARROW_KEYS, hint: 'P2: arrow keys move · Enter dash' },
];

const SEED = 20261121;

function slider(
  label: string,
  unit: string,
  min: number,
  max: number,
  value: number,
  onInput: (value: number) => void,
): HTMLLabelElement {
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
  return wrap;
}

/**
 * Local mode: two peers in one page over an in-memory network with adjustable latency, jitter
 * and loss, each with its own view and keys, so prediction and rollback can be seen at work.
 * @param root - Where to build the page.
 */
export function startLocalMode(root: HTMLElement): void {
  const settings: NetworkSettings = { latency: 60, jitter: 10, loss: 5 / 100 };
  const transports = createLocalTransportGroup(
    PLAYERS.map((p) => p.id),
    { latency: settings.latency, jitter: settings.jitter, packetLoss: settings.loss, seed: SEED },
  );
  const all = [...transports.values()];
  const apply = (): void => {
    for (const t of all) {
      t.setConditions({
        latency: settings.latency,
        jitter: settings.jitter,
        packetLoss: settings.loss,
      });
    }
  };
  const peers: DemoPeer[] = PLAYERS.map(
    (p) =>
      new EnginePeer({
        label: p.label,
        transport: transports.get(p.id) as LocalTransport,
        playerIds: PLAYERS.map((q) => q.id),
        seed: SEED,
      }),
  );
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const other = all[j];
      if (other) void all[i]?.connect(other.localPeerId);
    }
  }

  const views = peers.map(
    (peer, i) =>
      new PeerView(peer, {
        title: `${peer.label}'s screen`,
        keysHint: PLAYERS[i]?.hint ?? '',
      }),
  );
  const columns = document.createElement('div');
  columns.className = 'columns';
  columns.append(...views.map((v) => v.root));

  const controls = document.createElement('section');
  controls.className = 'controls';
  const title = document.createElement('h2');
  title.textContent = 'Simulated network (both directions, applied live)';
  controls.append(
    title,
    slider('Latency', ' ms', 0, 250, settings.latency, (v) => {
      settings.latency = v;
      apply();
    }),
    slider('Jitter', ' ms', 0, 100, settings.jitter, (v) => {
      settings.jitter = v;
      apply();
    }),
    slider('Loss', ' %', 0, 50, Math.round(settings.loss * 100), (v) => {
      settings.loss = v / 100;
      apply();
    }),
  );
  root.replaceChildren(columns, controls);

  const keyboard = new Keyboard();
  const step = (): void => {
    for (const t of all) t.tick(1000 / 60);
    const leader = Math.max(...peers.map((p) => p.currentTick()));
    peers.forEach((peer, i) => {
      const buttons = keyboard.read(PLAYERS[i]?.keys ?? {}, i);
      const view = views[i];
      view?.recordTick(peer.tick(buttons));
      // A peer that fell behind (after a state transfer) catches up.
      if (peer.currentTick() < leader - 2) view?.recordTick(peer.tick(buttons));
    });
    keyboard.endTick();
  };
  const render = (): void => {
    for (const v of views) v.render();
  };
  startLoop(step, render);

  publishDemo('local', () => peers, {
    network: settings,
    setNetwork(next: Partial<NetworkSettings>) {
      Object.assign(settings, next);
      apply();
    },
  });
}
