import { ArenaGame } from '../game/arena';
import type { DemoPeer, PeerTick } from '../net/peer';
import { Graph } from './graph';
import { drawArena } from './render';
import type { ViewOptions } from './render';

const RATE_WINDOW_MS = 1000;

/** The figures the overlay's graphs plotted last (one sample per tick). */
export interface OverlayFigures {
  /** Round trip to the remote peers (the largest), in ms; 0 while unknown. */
  rttMs: number;
  /** Ticks this peer runs ahead of the remote peers (negative: behind). */
  framesAhead: number;
  /** Bytes sent per second, over the last second. */
  bytesSentPerSecond: number;
  /** Bytes received per second, over the last second. */
  bytesReceivedPerSecond: number;
  /** Ticks the last tick resimulated (0: it did not roll back). */
  rollbackTicks: number;
  /** Confirmed-state ghosts drawn in the last frame (0 while "show confirmed state" is off). */
  ghosts: number;
}

/** Options of a {@link PeerView}. */
export interface PeerViewOptions {
  /**
   * The view's accessible name (the canvas's `aria-label`), e.g. "Room 7f3k". The canvas itself
   * names whose screen it is from the peer's label ("P1's screen", "Your screen").
   */
  title: string;
  /** Shown under the canvas: which keys drive this player. */
  keysHint: string;
  /** Whether to show the "induce desync" button. @default true */
  desyncButton?: boolean;
  /** How to show each player (online: names and session slots); see {@link ViewOptions.lookOf}. */
  lookOf?: ViewOptions['lookOf'];
}

/**
 * @param label - A peer's label: "P1", "You", "Spectator".
 * @returns Whose the view is, as its canvas says it: "P1's screen", "Your screen".
 */
function screenTitle(label: string): string {
  if (label === 'You') return 'Your screen';
  if (label === 'Spectator') return "Spectator's screen";
  return `${label}'s screen`;
}

/**
 * @param label - A peer's label: "P1", "You".
 * @returns The text of the button that corrupts that peer's game.
 */
function desyncLabel(label: string): string {
  return label === 'You' ? 'Induce a desync on my game' : `Induce desync on ${label}`;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * One peer's column: its view of the arena, and the network overlay under it (live graphs of
 * RTT, rollback depth, frames ahead and bytes/s; counters of rollbacks, stalls and desyncs; a
 * button that corrupts this peer's state).
 */
export class PeerView {
  /** The column element to put in the page. */
  readonly root: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly rtt = new Graph({
    title: 'RTT',
    unit: ' ms',
    series: [{ label: '', color: '#4dd0e1', style: 'area' }],
    minMax: 20,
  });
  private readonly rollback = new Graph({
    title: 'rollback depth / tick',
    unit: '',
    series: [{ label: '', color: '#ffd600', style: 'bars' }],
    minMax: 4,
  });
  private readonly ahead = new Graph({
    title: 'frames ahead',
    unit: '',
    series: [{ label: '', color: '#b388ff', style: 'area' }],
    minMax: 4,
    signed: true,
  });
  private readonly bytes = new Graph({
    title: 'bytes/s',
    unit: '',
    series: [
      { label: '↑', color: '#69f0ae' },
      { label: '↓', color: '#ff80ab' },
    ],
    minMax: 200,
  });
  private readonly counterEls: Record<
    'rollbacks' | 'stalls' | 'desyncs' | 'recoveries',
    HTMLElement
  >;
  private readonly stateEl: HTMLElement;
  private readonly samples: { time: number; sent: number; received: number }[] = [];
  private readonly latest: OverlayFigures = {
    rttMs: 0,
    framesAhead: 0,
    bytesSentPerSecond: 0,
    bytesReceivedPerSecond: 0,
    rollbackTicks: 0,
    ghosts: 0,
  };
  /** The confirmed state, loaded into its own game while "show confirmed state" is on. */
  private confirmedGame: ArenaGame | undefined;
  private showConfirmed = false;
  private flash = 0;
  private flashDepth = 0;
  private stalled = false;
  private desyncBannerUntil = 0;
  private lastDesyncs = 0;
  private readonly lookOf: ViewOptions['lookOf'];

  /**
   * @param peer - The peer to show.
   * @param options - See {@link PeerViewOptions}.
   */
  constructor(
    readonly peer: DemoPeer,
    options: PeerViewOptions,
  ) {
    this.lookOf = options.lookOf;
    this.root = el('section', 'peer');
    this.root.dataset['peer'] = peer.playerId;
    this.canvas = el('canvas', 'arena');
    this.canvas.width = 480;
    this.canvas.height = 480;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', `${screenTitle(peer.label)} · ${options.title}`);
    const ctx = this.canvas.getContext('2d');
    if (!ctx) throw new Error('canvas 2D context unavailable');
    this.ctx = ctx;
    const head = el('div', 'peer-head');
    head.append(el('span', 'peer-keys', options.keysHint));
    this.stateEl = el('span', 'peer-state', '');
    head.append(this.stateEl);
    const ghostToggle = el('label', 'ghost-toggle');
    const ghostBox = el('input', '');
    ghostBox.type = 'checkbox';
    ghostBox.name = 'show-confirmed';
    ghostBox.addEventListener('change', () => {
      this.showConfirmed = ghostBox.checked;
      ghostBox.blur();
    });
    ghostToggle.append(ghostBox, ' show confirmed state');
    ghostToggle.title =
      'Dashed outlines: where the players are in the newest state whose inputs are all known';

    const overlay = el('div', 'overlay');
    const counters = el('div', 'counters');
    const counter = (name: string, label: string): HTMLElement => {
      const box = el('div', `counter counter-${name}`);
      const value = el('b', 'value', '0');
      box.append(value, el('span', 'label', label));
      counters.append(box);
      return value;
    };
    this.counterEls = {
      rollbacks: counter('rollbacks', 'rollbacks'),
      stalls: counter('stalls', 'stalls'),
      desyncs: counter('desyncs', 'desyncs'),
      recoveries: counter('recoveries', 'recoveries'),
    };
    const graphs = el('div', 'graphs');
    graphs.append(this.rtt.canvas, this.rollback.canvas, this.ahead.canvas, this.bytes.canvas);
    overlay.append(counters, graphs);
    if (options.desyncButton ?? true) {
      const button = el('button', 'desync', desyncLabel(peer.label));
      button.type = 'button';
      button.addEventListener('click', () => {
        peer.induceDesync();
        button.blur();
      });
      overlay.append(button);
    }
    overlay.append(ghostToggle);
    this.root.append(head, this.canvas, overlay);
  }

  /**
   * Records what one tick did (call once per tick).
   * @param result - The peer's tick result.
   */
  recordTick(result: PeerTick): void {
    const latest = this.latest;
    latest.rollbackTicks = result.rollbackTicks;
    this.rollback.push(result.rollbackTicks);
    if (result.rollbackTicks > 0) {
      this.flash = 12;
      this.flashDepth = result.rollbackTicks;
    } else if (this.flash > 0) {
      this.flash--;
    }
    this.stalled = result.stalled;
    const stats = this.peer.stats();
    latest.rttMs = stats.rttMs ?? 0;
    latest.framesAhead = stats.framesAhead;
    this.rtt.push(latest.rttMs);
    this.ahead.push(latest.framesAhead);
    const now = performance.now();
    this.samples.push({ time: now, sent: stats.bytesSent, received: stats.bytesReceived });
    while (this.samples.length > 2 && (this.samples[0]?.time ?? now) < now - RATE_WINDOW_MS) {
      this.samples.shift();
    }
    const first = this.samples[0];
    const span = first ? (now - first.time) / 1000 : 0;
    if (first && span > 0.2) {
      latest.bytesSentPerSecond = (stats.bytesSent - first.sent) / span;
      latest.bytesReceivedPerSecond = (stats.bytesReceived - first.received) / span;
    } else {
      latest.bytesSentPerSecond = 0;
      latest.bytesReceivedPerSecond = 0;
    }
    this.bytes.push(latest.bytesSentPerSecond, latest.bytesReceivedPerSecond);
  }

  /**
   * @returns A copy of the figures the overlay plotted last.
   */
  figures(): OverlayFigures {
    return { ...this.latest };
  }

  /** Redraws the arena and the overlay. */
  render(): void {
    const peer = this.peer;
    const { counters } = peer;
    if (counters.desyncs !== this.lastDesyncs) {
      this.lastDesyncs = counters.desyncs;
      this.desyncBannerUntil = performance.now() + 1500;
    }
    const banner =
      performance.now() < this.desyncBannerUntil ? 'DESYNC detected: recovering' : undefined;
    const notice = peer.notice();
    const confirmed = this.showConfirmed ? this.loadConfirmed() : undefined;
    this.latest.ghosts = drawArena(this.ctx, peer.game, {
      localPlayerId: peer.isSpectator() ? undefined : peer.playerId,
      title: screenTitle(peer.label),
      lookOf: this.lookOf,
      confirmed,
      rollbackFlash: this.flash > 0 ? this.flashDepth : 0,
      stalled: this.stalled,
      banner,
      notice,
      status: `confirmed ${peer.confirmedTick()}`,
    });
    this.rtt.draw();
    this.rollback.draw();
    this.ahead.draw();
    this.bytes.draw();
    this.counterEls.rollbacks.textContent = String(counters.rollbacks);
    this.counterEls.stalls.textContent = String(counters.stalls);
    this.counterEls.desyncs.textContent = String(counters.desyncs);
    this.counterEls.recoveries.textContent = String(counters.recoveries);
    this.stateEl.textContent = peer.state();
  }

  /** Loads the peer's newest confirmed state into {@link confirmedGame}, if it has one. */
  private loadConfirmed(): ArenaGame | undefined {
    const snapshot = this.peer.confirmedState();
    if (!snapshot) return undefined;
    this.confirmedGame ??= new ArenaGame();
    try {
      this.confirmedGame.deserialize(snapshot.state);
    } catch {
      return undefined;
    }
    return this.confirmedGame;
  }
}
