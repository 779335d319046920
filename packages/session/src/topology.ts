import type { TransportAdapter } from '@rbn/protocol';
import type { Reporter } from './internal/reporter';
import type { LinkTable } from './links';
import type { Roster } from './roster';
import { PlayerRole, Topology } from './types';

/** Which players' inputs go each way on the link to one peer. */
export type LinkSlots = {
  /** Slots whose inputs we send to the peer. */
  readonly send: number[];
  /** Slots whose inputs we accept from the peer (anything else is refused). */
  readonly accept: number[];
};

/** A remote member as the link plan sees it. */
export type PlanPeer = {
  readonly peerId: string;
  readonly slot: number;
  readonly plays: boolean;
  readonly isHost: boolean;
};

/** Everything {@link planLinks} decides from. */
export type LinkPlanInput = {
  readonly topology: Topology;
  /** Whether the local session hosts the room. */
  readonly isHost: boolean;
  readonly localSlot: number;
  /** Whether the local member plays (not a spectator). */
  readonly localPlays: boolean;
  /** Present remote members, in slot order. */
  readonly peers: readonly PlanPeer[];
  /** Slots of present players (local included), in slot order. */
  readonly activeSlots: readonly number[];
  /** Slots of departed players whose inputs still count, in slot order. */
  readonly departedSlots: readonly number[];
  /**
   * Slots of away players whose inputs the host decides (mesh: the host sends them to every
   * player, who takes them from the host), in slot order. Optional: none when absent.
   */
  readonly awaySlots?: readonly number[];
  /** The host we are still joining (a link with nothing on it yet), or `null`. */
  readonly joiningHost: string | null;
};

/**
 * Decides which peers the local session links to and which players' inputs go each way.
 *
 * Star: the host links to every member; it sends each one every player's inputs but the
 * member's own, and accepts from each member only that member's inputs. A non-host links to
 * the host only, sends its own inputs and accepts every other player's (the host's relay).
 * Mesh: every pair of players links; each sends only its own inputs and accepts only the
 * other's. Spectators link to the host only, which relays every player's inputs to them.
 * In mesh the host also forwards the last inputs of departed players, so every peer can reach
 * the departure tick, and the inputs it decides for away players (see `away.ts`).
 * @param input - The room as seen locally.
 * @returns The wanted links by peer id.
 */
export function planLinks(input: LinkPlanInput): Map<string, LinkSlots> {
  const wanted = new Map<string, LinkSlots>();
  const mesh = input.topology === Topology.Mesh;
  const everyone = [...input.activeSlots, ...input.departedSlots];
  const away = input.awaySlots ?? [];
  for (const peer of input.peers) {
    if (input.isHost) {
      if (mesh && peer.plays) {
        wanted.set(peer.peerId, {
          send: [input.localSlot, ...input.departedSlots, ...away.filter((s) => s !== peer.slot)],
          accept: [peer.slot],
        });
      } else {
        wanted.set(peer.peerId, {
          send: everyone.filter((s) => s !== peer.slot),
          accept: peer.plays ? [peer.slot] : [],
        });
      }
    } else if (peer.isHost) {
      if (mesh && input.localPlays) {
        wanted.set(peer.peerId, {
          send: [input.localSlot],
          accept: [peer.slot, ...input.departedSlots, ...away.filter((s) => s !== input.localSlot)],
        });
      } else {
        wanted.set(peer.peerId, {
          send: input.localPlays ? [input.localSlot] : [],
          accept: everyone.filter((s) => s !== input.localSlot),
        });
      }
    } else if (mesh && input.localPlays && peer.plays) {
      wanted.set(peer.peerId, { send: [input.localSlot], accept: [peer.slot] });
    }
  }
  if (input.joiningHost !== null) wanted.set(input.joiningHost, { send: [], accept: [] });
  return wanted;
}

/**
 * Applies the link plan of the room as the roster has it now.
 * @param roster - The room's members.
 * @param links - The links to update.
 * @param topology - The room's topology.
 * @param joiningHost - The host we are still joining, or `null`.
 */
export function relink(
  roster: Roster,
  links: LinkTable,
  topology: Topology,
  joiningHost: string | null,
): void {
  const activeSlots: number[] = [];
  const departedSlots: number[] = [];
  const awaySlots: number[] = [];
  for (const m of roster.all()) {
    if (m.role !== PlayerRole.Player) continue;
    if (m.status === 'present' && roster.awayFrom(m.slot) >= 0) awaySlots.push(m.slot);
    if (m.status === 'present') activeSlots.push(m.slot);
    else if (m.joinTick >= 0) departedSlots.push(m.slot);
  }
  const peers: PlanPeer[] = [];
  for (const m of roster.remoteMembers.values()) {
    peers.push({
      peerId: m.peerId,
      slot: m.slot,
      plays: m.role === PlayerRole.Player,
      isHost: m.isHost,
    });
  }
  links.apply(
    planLinks({
      topology,
      isHost: roster.isHost,
      localSlot: roster.localSlot,
      localPlays: roster.localPlays,
      peers,
      activeSlots,
      departedSlots,
      awaySlots,
      joiningHost,
    }),
  );
}

/**
 * Opens a transport connection to another member (a mesh peer); a failure is reported as a
 * transport error to `report` (`null` for a try that is retried: nothing to tell yet).
 */
export function connectMember(
  transport: TransportAdapter,
  roster: Roster,
  links: LinkTable,
  report: Reporter | null,
  peerId: string,
): void {
  transport.connect(peerId).then(
    () => {
      if (roster.byPeer(peerId)) links.get(peerId)?.addRttSample(0);
    },
    (error: unknown) => {
      if (report === null) return;
      const err = error instanceof Error ? error : new Error(String(error));
      report.error('transport', err, peerId);
    },
  );
}
