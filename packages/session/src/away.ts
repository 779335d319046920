import type { RollbackEngine } from '@rbn/core';
import { MessageType, RbnError } from '@rbn/protocol';
import type { PlayerAwayMessage, PlayerBackMessage, Tick } from '@rbn/protocol';
import type { Emitter } from './internal/emitter';
import { SLOT_COUNT } from './internal/link';
import type { Reporter } from './internal/reporter';
import type { LinkTable } from './links';
import type { Member, Roster } from './roster';
import { relink } from './topology';
import { AwayInput, PlayerRole, Topology } from './types';
import type { SessionConfig } from './types';

/**
 * Away: a player that goes silent (a hidden or frozen tab, a stalled main thread, a network
 * blip) is marked away by the host at a tick everyone agrees on. From that tick the host decides
 * its inputs (its "stand-in": empty, or its last input repeated) and relays them like any other
 * input, so nobody waits for it. When it ticks again it asks to come back; the host sends it the
 * confirmed state and a tick from which its own inputs count again, in the same slot.
 *
 * Every away window `[from, back)` is in the roster; inputs of a tick inside it count only
 * from the host (see {@link acceptsInputFrom}).
 */

const EMPTY = new Uint8Array(0);

/** Ticks of margin the host adds to the back tick beyond the input delay and the RTT. */
export const BACK_MARGIN_TICKS = 4;

/**
 * Whether an input of `slot` for `tick` arriving over a link may count: a member's own link
 * carries its inputs outside its away windows only; the host's link (its relay and stand-ins)
 * carries anything the link plan allows.
 */
export function acceptsInputFrom(
  roster: Roster,
  linkIsHost: boolean,
  slot: number,
  tick: Tick,
): boolean {
  return linkIsHost || !roster.inAwayWindow(slot, tick);
}

/**
 * The tick an away player's own inputs count again from: at least `floor`, and far enough ahead
 * that its first inputs reach the others about when they get there.
 */
export function chooseBackTick(
  engine: RollbackEngine,
  floor: Tick,
  rttMs: number,
  cfg: SessionConfig,
): Tick {
  const rttTicks = Math.ceil((rttMs * cfg.tickRate) / 1000);
  const lead = engine.inputDelayTicks + rttTicks + BACK_MARGIN_TICKS;
  return Math.max(floor, engine.currentTick + lead);
}

/**
 * The newest tick an honest member can have made an input for: it runs at most the speculation
 * window (and its input delay) past a tick the host confirmed.
 */
function lastInputReach(engine: RollbackEngine, cfg: SessionConfig): Tick {
  return engine.currentTick + engine.inputDelayTicks + cfg.maxSpeculationTicks;
}

/** The local member's part in the away protocol. */
type LocalPhase = 'playing' | 'leaving' | 'away' | 'returning' | 'lost';

/** What {@link Away} works with (the session's own parts, no more). */
export type AwayDeps = {
  readonly roster: Roster;
  readonly links: LinkTable;
  readonly emitter: Emitter;
  readonly report: Reporter;
  /**
   * Host: whether it may decide a member's inputs now, and with what the others hold of them
   * after a migration (see `HostMigration.settle`).
   * @param gone - The member can no longer send its own.
   */
  readonly settle: (member: Member, engine: RollbackEngine, gone: boolean) => boolean;
};

/** Away and back: host-side detection and stand-ins, and the local member's side. */
export class Away {
  readonly #progressTick = new Int32Array(SLOT_COUNT).fill(-2);
  readonly #progressAt = new Float64Array(SLOT_COUNT);
  readonly #standIn: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(SLOT_COUNT);
  readonly #backAsked = new Uint8Array(SLOT_COUNT);
  /** Host: members that asked to be away and wait for {@link AwayDeps.settle}. */
  #awayAsked = new WeakSet<Member>();
  /** Per slot, the newest tick the member made an input for before it asked to come back. */
  readonly #lastSent = new Int32Array(SLOT_COUNT).fill(-1);
  #lastFrameAt = Number.NEGATIVE_INFINITY;
  #phase: LocalPhase = 'playing';
  /** The local app said it is away (`setAway(true)`), so it does not ask to come back. */
  #explicit = false;
  #localStandIn: Uint8Array = EMPTY;
  /** The local spectator lost the host at least once under this host (so it asks for states). */
  #spectatorAsked = false;
  /**
   * Host: per slot, the back tick of the last window retired (see {@link #retireWindows}) and
   * whose it was: a member that missed its PlayerBack (lost with a link that dropped) hears it
   * again when it reconnects.
   */
  readonly #retired: ({ playerId: string; back: Tick } | undefined)[] = new Array<
    { playerId: string; back: Tick } | undefined
  >(SLOT_COUNT);

  /** @param deps - The session's parts this uses. */
  constructor(private readonly deps: AwayDeps) {}

  /** Whether the local game advances (not while the local member is away or asked to be). */
  get localPlays(): boolean {
    return this.#phase === 'playing';
  }

  /**
   * Whether the local member lost its link to the host and the host has not answered its
   * rejoin yet (a player hears it is away, a spectator gets a state).
   */
  get waitingForHost(): boolean {
    return this.#phase === 'lost';
  }

  /** The local member lost its link to the host: it stands still until it reconnects. */
  localLost(): void {
    this.#phase = 'lost';
    if (!this.deps.roster.localPlays) this.#spectatorAsked = true;
  }

  /**
   * A successor took over the room: away and back start over under it. A member the old host
   * marked away stays away (its inputs in the window are the host's stand-ins, not its own) and
   * asks the new host to come back, even if it asked the old one already or stood still for it;
   * one that asked the old host to be marked away asks the new one; anyone else plays on.
   */
  hostReplaced(): void {
    const { roster } = this.deps;
    this.#spectatorAsked = false;
    if (roster.isAway(roster.localSlot)) this.#phase = 'away';
    else if (this.#phase !== 'playing') {
      this.#phase = 'playing';
      if (this.#explicit && !roster.isHost) this.setLocalAway(true, { isHost: false });
    }
    this.#progressTick.fill(-2);
    this.#backAsked.fill(0);
    this.#awayAsked = new WeakSet();
    this.#lastSent.fill(-1);
    this.#lastFrameAt = Number.NEGATIVE_INFINITY;
    if (!roster.isHost) return;
    // The new host: every away player hears it is away, with our stand-in (the old host's word
    // may have dropped with its link); the others heard of the window from the old host.
    for (const member of roster.remotePlayers) {
      if (!roster.isAway(member.slot)) continue;
      const { from } = roster.awayWindow(member.slot);
      const input = this.#standIn[member.slot] ?? EMPTY;
      const message: PlayerAwayMessage = {
        ...{ type: MessageType.PlayerAway, slot: member.slot },
        ...{ tick: from, input },
      };
      this.deps.links.sendTo(member.peerId, message);
    }
  }

  /**
   * Host: marks a member away now unless it already is (its link was lost). Inputs it made
   * before it lost us may still be on their way (or held by others), and its rejoin does not
   * name its newest: its back tick comes after the newest an honest member can have made.
   */
  markAwayNow(member: Member, engine: RollbackEngine, cfg: SessionConfig): void {
    if (!this.deps.roster.isAway(member.slot)) this.#markAway(member, engine, cfg, true);
    const slot = member.slot;
    this.#lastSent[slot] = Math.max(this.#lastSent[slot]!, lastInputReach(engine, cfg));
  }

  /**
   * Host: a member reconnected and proved who it is: it hears again that it is away (the
   * announcement may have been lost with its link) and gets the state to come back from.
   */
  rejoined(member: Member): void {
    const { roster, links } = this.deps;
    const window = roster.awayWindow(member.slot);
    if (roster.isAway(member.slot)) {
      const input = this.#standIn[member.slot] ?? EMPTY;
      links.sendTo(member.peerId, {
        ...{ type: MessageType.PlayerAway, slot: member.slot },
        tick: window.from,
        input,
      });
      this.#backAsked[member.slot] = 1;
    }
    this.tellWindows(member, true);
  }

  /**
   * Host: tells a member that reconnected or joined a running game about the other players'
   * away windows still in force (announced while it was not there): without them it would count
   * those players' own inputs where everyone else counts the stand-ins.
   * @param to - The member.
   * @param retired - Also the back ticks of windows retired already: `to` was in the room and
   * may have missed them (a member that reconnected).
   */
  tellWindows(to: Member, retired = false): void {
    const { roster, links } = this.deps;
    for (const other of roster.remotePlayers) {
      if (other === to) continue;
      const { from, back } = roster.awayWindow(other.slot);
      if (from < 0) {
        const last = this.#retired[other.slot];
        // Harmless to a member that heard it: a back for a slot it holds no window of is ignored.
        if (retired && last?.playerId === other.playerId) {
          links.sendTo(to.peerId, {
            ...{ type: MessageType.PlayerBack, slot: other.slot, tick: last.back },
            ...{ stateTick: last.back, hash: 0, state: EMPTY },
          });
        }
        continue;
      }
      const input = this.#standIn[other.slot] ?? EMPTY;
      links.sendTo(to.peerId, {
        type: MessageType.PlayerAway,
        slot: other.slot,
        tick: from,
        input,
      });
      if (back < 0) continue;
      links.sendTo(to.peerId, {
        ...{ type: MessageType.PlayerBack, slot: other.slot, tick: back },
        ...{ stateTick: from, hash: 0, state: EMPTY },
      });
    }
  }

  /** Everything starts over (a new room or game). */
  reset(): void {
    this.#progressTick.fill(-2);
    this.#backAsked.fill(0);
    this.#awayAsked = new WeakSet();
    this.#lastSent.fill(-1);
    this.#standIn.fill(undefined);
    this.#lastFrameAt = Number.NEGATIVE_INFINITY;
    this.#phase = 'playing';
    this.#explicit = false;
    this.#spectatorAsked = false;
    this.#retired.fill(undefined);
  }

  /**
   * The local app says the local member is away (or back). Away: it stops advancing at once and
   * asks the host to decide its inputs; back: it asks the host for the state to rejoin from.
   */
  setLocalAway(away: boolean, cfgTopologyHost: { isHost: boolean }): void {
    if (cfgTopologyHost.isHost) {
      throw new RbnError('INVALID_STATE', 'setAway: the host cannot be away');
    }
    this.#explicit = away;
    const slot = this.deps.roster.localSlot;
    if (away && this.#phase === 'playing') {
      this.#phase = 'leaving';
      this.#toHost({ type: MessageType.PlayerAway, slot, tick: 0, input: EMPTY });
    }
  }

  /**
   * The frame's away work. Host: detect silent players, decide stand-ins, answer back
   * requests. Member: ask to come back once it ticks again.
   */
  frame(engine: RollbackEngine, cfg: SessionConfig, now: number): void {
    const { roster } = this.deps;
    if (!roster.isHost) {
      if (this.#phase === 'away' && !this.#explicit) {
        this.#phase = 'returning';
        // The request's tick: our newest input (it may have reached the others before we heard
        // we were away), so the back tick comes after it and nobody holds two inputs of a tick.
        const tick = Math.max(0, engine.lastLocalInputTick);
        const back: PlayerBackMessage = {
          ...{ type: MessageType.PlayerBack, slot: roster.localSlot, tick },
          ...{ stateTick: 0, hash: 0, state: EMPTY },
        };
        this.#toHost(back);
      }
      return;
    }
    this.#retireWindows(engine, cfg);
    // A host that did not tick for a while (its own tab was hidden) heard nobody meanwhile.
    const restart = now - this.#lastFrameAt > Math.max(cfg.awayAfterMs / 2, 100);
    this.#lastFrameAt = now;
    const players = roster.remotePlayers;
    for (let k = 0; k < players.length; k++) {
      const member = players[k]!;
      if (member.joinTick < 0 || !engine.hasPlayer(member.playerId)) continue;
      const slot = member.slot;
      if (roster.awayFrom(slot) >= 0) this.#fill(member, engine);
      if (roster.isAway(slot)) {
        if (this.#backAsked[slot] === 1) this.#answerBack(member, engine, cfg, now);
        continue;
      }
      const received = engine.getReceivedTick(member.playerId);
      if (restart || received !== this.#progressTick[slot]) {
        this.#progressTick[slot] = received;
        this.#progressAt[slot] = now;
        continue;
      }
      const silent = now - this.#progressAt[slot]!;
      if (this.#awayAsked.has(member) || (cfg.awayAfterMs > 0 && silent >= cfg.awayAfterMs)) {
        this.#markAway(member, engine, cfg, silent >= cfg.disconnectTimeout);
      }
    }
  }

  /**
   * Host: forgets away windows whose back tick is confirmed (every input inside them counted)
   * and whose inputs every other link acknowledged, so it stops relaying the member's inputs in
   * mesh. Until then a mesh peer that lags may still need them from us: the member, back, sends
   * its own inputs only from its back tick on. Members keep theirs (accepting the member's
   * inputs from the host costs nothing and in-flight relays stay welcome).
   */
  #retireWindows(engine: RollbackEngine, cfg: SessionConfig): void {
    const { roster } = this.deps;
    let changed = false;
    const members = roster.all();
    for (let k = 0; k < members.length; k++) {
      const member = members[k]!;
      const back = roster.backAt(member.slot);
      if (back < 0 || engine.confirmedTick < back || !this.#allHold(member, back)) continue;
      this.#retired[member.slot] = { playerId: member.playerId, back };
      roster.clearAway(member.slot);
      changed = true;
    }
    if (changed) relink(roster, this.deps.links, cfg.topology, null);
  }

  /** Host: whether every other link that carries `member`'s slot acknowledged it up to `back - 1`. */
  #allHold(member: Member, back: Tick): boolean {
    for (const link of this.deps.links.list) {
      if (link.peerId === member.peerId || link.sends[member.slot] !== 1) continue;
      if (link.acked[member.slot]! < back - 1) return false;
    }
    return true;
  }

  /** Host: the member that sent a message about `slot`, if it is about itself (else reported). */
  #selfSender(
    peerId: string,
    message: PlayerAwayMessage | PlayerBackMessage,
    what: string,
  ): Member | undefined {
    const sender = this.deps.roster.byPeer(peerId);
    if (sender && sender.slot === message.slot) return sender;
    this.deps.report.peer(peerId, message.type, `a member may only ${what} itself`);
    return undefined;
  }

  /** A `PlayerAway` message: the host announces one, or a member asks for it. */
  onAway(
    peerId: string,
    message: PlayerAwayMessage,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
  ): void {
    const { roster, report } = this.deps;
    if (roster.isHost) {
      const sender = this.#selfSender(peerId, message, 'say it is away');
      if (!sender) return;
      if (engine && !roster.isAway(sender.slot) && engine.hasPlayer(sender.playerId)) {
        this.#awayAsked.add(sender);
        this.#markAway(sender, engine, cfg, false);
      }
      return;
    }
    if (!this.#fromHost(peerId, message.type)) return;
    const member = roster.at(message.slot);
    if (!member || member.role !== PlayerRole.Player || member.status !== 'present') return;
    if (
      member.isLocal &&
      roster.isAway(member.slot) &&
      roster.awayWindow(member.slot).from === message.tick
    ) {
      // The host says it again after we reconnected, or a new host says it with its stand-in.
      if (this.#phase === 'lost') this.#phase = 'away';
      this.#localStandIn = message.input.slice();
      return;
    }
    // The host tells a member that reconnected about windows it may know already.
    if (roster.awayWindow(member.slot).from === message.tick) return;
    // We lost the host with our own window open: its answer (our back tick) was lost with the
    // link, and it marked us away again from there. Its word counts; we come back from its state.
    const reopened = member.isLocal && this.#phase === 'lost';
    // A newer window of another player: the host closed the one we know (its PlayerBack was
    // lost with a link of ours that dropped meanwhile) and opened this one. Its word counts.
    const missedBack = !member.isLocal && message.tick > roster.awayWindow(member.slot).from;
    if (member.isHost || (roster.isAway(member.slot) && !reopened && !missedBack)) {
      report.peer(peerId, message.type, `slot ${message.slot} cannot be marked away`);
      return;
    }
    roster.setAway(member.slot, message.tick);
    if (member.isLocal) {
      this.#phase = 'away';
      this.#localStandIn = message.input.slice();
    } else if (engine && cfg.topology === Topology.Mesh) {
      // A mesh peer may hold inputs of the player the host never got: the host's decision wins.
      // (In star every input we hold came from the host: from the away tick on, its stand-ins,
      // which may arrive before this message and must stay, since the host saw them acked.)
      engine.retractInputs(member.playerId, message.tick);
    }
    relink(roster, this.deps.links, cfg.topology, null);
    this.deps.emitter.emit('playerAway', member.playerId, message.tick);
  }

  /** A `PlayerBack` message: the host announces one (with the state for the member), or a member asks. */
  onBack(
    peerId: string,
    message: PlayerBackMessage,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
  ): void {
    const { roster, report } = this.deps;
    if (roster.isHost) {
      const sender = this.#selfSender(peerId, message, 'ask to come back');
      if (!sender || !roster.isAway(sender.slot)) return;
      let lastSent = message.tick;
      if (engine && lastSent > lastInputReach(engine, cfg)) {
        lastSent = lastInputReach(engine, cfg);
        const text = `an input at tick ${message.tick} is beyond any an honest member can have made`;
        report.peer(peerId, message.type, text);
      }
      this.#backAsked[sender.slot] = 1;
      this.#lastSent[sender.slot] = Math.max(this.#lastSent[sender.slot]!, lastSent);
      return;
    }
    if (!this.#fromHost(peerId, message.type)) return;
    const member = roster.at(message.slot);
    if (member?.isLocal === true && member.role !== PlayerRole.Player) {
      this.#spectatorBack(peerId, engine, message);
      return;
    }
    const window = roster.awayWindow(message.slot);
    if (window.back >= 0 && window.back === message.tick) return; // known already
    // A window we closed or never heard of, told again after we reconnected: nothing to do.
    if (member && !roster.isAway(message.slot) && message.stateTick === message.tick) return;
    if (!member || !roster.isAway(message.slot) || message.tick < window.from) {
      report.peer(peerId, message.type, `slot ${message.slot} is not away`);
      return;
    }
    if (message.stateTick > message.tick) {
      report.peer(peerId, message.type, 'the state is newer than the back tick');
      return;
    }
    roster.setBack(member.slot, message.tick);
    if (member.isLocal && engine) this.#comeBack(engine, message);
    else if (engine) {
      // The member restarts from the state: it needs our inputs from there on only.
      const link = this.deps.links.get(member.peerId);
      if (link) for (const s of link.sendSlots) link.noteAck(s, message.stateTick - 1);
    }
    relink(roster, this.deps.links, cfg.topology, null);
    this.deps.emitter.emit('playerBack', member.playerId, message.tick);
  }

  /**
   * The local spectator reconnected (see `reconnect.ts`): the host sent its newest confirmed
   * state. A spectator never goes back: it loads the state only when it is ahead of its own
   * tick (the inputs in between then never play here), else it plays on from its own state
   * with the inputs the host sends again from that tick.
   */
  #spectatorBack(peerId: string, engine: RollbackEngine | null, message: PlayerBackMessage): void {
    const { report } = this.deps;
    // A state after the first one answers a rejoin we sent again before that one arrived: the
    // host sends inputs from its tick on, so it is loaded (when ahead) like the first.
    if (!this.#spectatorAsked || !engine) {
      report.peer(peerId, message.type, 'a state for a spectator that did not reconnect');
      return;
    }
    if (message.stateTick !== message.tick || message.stateTick < 0) {
      report.peer(peerId, message.type, 'a spectator comes back at the state tick');
      return;
    }
    if (message.stateTick > engine.currentTick) engine.loadState(message.stateTick, message.state);
    this.#phase = 'playing';
  }

  /** The local member loads the state it comes back from and takes over its stand-ins. */
  #comeBack(engine: RollbackEngine, message: PlayerBackMessage): void {
    const { roster, links } = this.deps;
    const localId = roster.at(roster.localSlot)!.playerId;
    engine.loadState(message.stateTick, message.state);
    // Our inputs from the back tick on, made before we heard we were away, may have reached
    // the others (the host decided the back tick without our request): they stay, so that no
    // tick ever gets a second input of ours.
    const kept: Uint8Array[] = [];
    for (let t = message.tick; ; t++) {
      const input = engine.getInput(localId, t);
      if (input === undefined) break;
      kept.push(input.slice());
    }
    engine.retractInputs(localId, message.stateTick);
    engine.fillLocalInputs(message.tick - 1, this.#localStandIn);
    kept.forEach((input, k) => engine.fillLocalInputs(message.tick + k, input));
    // Everyone holds our inputs up to the back tick already (the host decided them).
    for (const link of links.list) link.noteAck(roster.localSlot, message.tick - 1);
    this.#phase = 'playing';
    if (this.#explicit) this.setLocalAway(true, { isHost: false });
  }

  /**
   * Host: marks a member away from the tick after the last input of it we hold, once the
   * others hold none later (else it waits for them, see {@link AwayDeps.settle}: a member that
   * asked is tried again every frame).
   * @param gone - It can no longer send its inputs (lost, or sent none for `disconnectTimeout`).
   */
  #markAway(member: Member, engine: RollbackEngine, cfg: SessionConfig, gone: boolean): void {
    const { roster, links } = this.deps;
    if (!this.deps.settle(member, engine, gone)) return;
    this.#awayAsked.delete(member);
    const from = Math.max(engine.getReceivedTick(member.playerId) + 1, member.joinTick);
    const last =
      cfg.awayInput === AwayInput.Repeat ? engine.getInput(member.playerId, from - 1) : undefined;
    const input = last ? last.slice() : EMPTY;
    roster.setAway(member.slot, from);
    this.#standIn[member.slot] = input;
    this.#backAsked[member.slot] = 0;
    this.#lastSent[member.slot] = -1;
    links.broadcast({ type: MessageType.PlayerAway, slot: member.slot, tick: from, input });
    relink(roster, links, cfg.topology, null);
    this.#fill(member, engine);
    this.deps.emitter.emit('playerAway', member.playerId, from);
  }

  /** Host: decides the away member's inputs up to a little past our own tick (or its back tick). */
  #fill(member: Member, engine: RollbackEngine): void {
    const window = this.deps.roster.awayWindow(member.slot);
    const input = this.#standIn[member.slot] ?? EMPTY;
    const end =
      window.back >= 0 ? window.back - 1 : engine.currentTick + engine.inputDelayTicks + 1;
    for (let t = engine.getReceivedTick(member.playerId) + 1; t <= end; t++) {
      if (t < window.from) break;
      if (engine.addRemoteInput(member.playerId, t, input) === 'ignored') break;
    }
  }

  /** Host: a member asked to come back; answers once its away tick is confirmed. */
  #answerBack(member: Member, engine: RollbackEngine, cfg: SessionConfig, now: number): void {
    const { roster, links } = this.deps;
    const window = roster.awayWindow(member.slot);
    if (engine.confirmedTick + 1 < window.from) return;
    const snapshot = engine.getConfirmedState();
    const link = links.get(member.peerId);
    // Past every stand-in already decided, and past every input it made before it heard it was
    // away: the others may hold those, and it makes new ones from the back tick.
    const received = engine.getReceivedTick(member.playerId);
    const floor = Math.max(received + 1, snapshot.tick, this.#lastSent[member.slot]! + 1);
    const back = chooseBackTick(engine, floor, link?.rtt ?? 0, cfg);
    this.#lastSent[member.slot] = -1;
    this.#backAsked[member.slot] = 0;
    roster.setBack(member.slot, back);
    this.#fill(member, engine);
    const message: PlayerBackMessage = {
      ...{ type: MessageType.PlayerBack, slot: member.slot, tick: back },
      ...{ stateTick: snapshot.tick, hash: 0, state: EMPTY },
    };
    links.broadcast(message, member.peerId);
    links.sendTo(member.peerId, { ...message, hash: snapshot.hash >>> 0, state: snapshot.state });
    if (link) for (const s of link.sendSlots) link.resetAck(s, snapshot.tick - 1);
    relink(roster, links, cfg.topology, null);
    // It first catches up from the state (one extra tick per frame) and its inputs then take
    // a round trip: no new away verdict before that had time to happen.
    const tickMs = 1000 / cfg.tickRate;
    const graceMs = (back - snapshot.tick) * tickMs + 2 * (link?.rtt ?? 0);
    this.#progressTick[member.slot] = engine.getReceivedTick(member.playerId);
    this.#progressAt[member.slot] = now + graceMs;
    this.deps.emitter.emit('playerBack', member.playerId, back);
  }

  #toHost(message: PlayerAwayMessage | PlayerBackMessage): void {
    const host = this.deps.roster.hostPeerId;
    if (host !== null) this.deps.links.sendTo(host, message);
  }

  #fromHost(peerId: string, type: MessageType): boolean {
    const { roster } = this.deps;
    if (!roster.isHost && peerId === roster.hostPeerId) return true;
    this.deps.report.peer(peerId, type, `${MessageType[type]} may only come from the host`);
    return false;
  }
}
