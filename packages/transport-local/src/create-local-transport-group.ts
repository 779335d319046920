import { RbnError } from '@rbn/protocol';
import { deriveSeed } from './internal/prng';
import { LocalTransport, checkSeed } from './local-transport';
import { validateConditions } from './network-conditions';
import type { LocalTransportConfig } from './local-transport';

/**
 * Creates one {@link LocalTransport} per peer id, all linked pairwise (each still connects
 * with `connect`, as a session does). Every transport gets the same conditions and its own
 * random stream derived from `config.seed` and its id, so the whole group is reproducible.
 * @param ids - The peer ids, distinct and non-empty.
 * @param config - Conditions for every link, and the group seed.
 * @returns The transports by peer id, in the order of `ids`.
 * @throws RbnError `INVALID_ARGUMENT` for a duplicate id, `INVALID_CONFIG` for a bad condition.
 * @example
 * ```ts
 * const transports = createLocalTransportGroup(['host', 'client'], { latency: 50, seed: 7 });
 * const t1 = transports.get('host')!;
 * const t2 = transports.get('client')!;
 * await t2.connect('host');
 * // each frame: t1.tick(16); t2.tick(16);
 * ```
 */
export function createLocalTransportGroup(
  ids: Iterable<string>,
  config: LocalTransportConfig = {},
): Map<string, LocalTransport> {
  const group = new Map<string, LocalTransport>();
  validateConditions(config);
  const seed = checkSeed(config.seed, 'createLocalTransportGroup');
  for (const id of ids) {
    if (group.has(id)) {
      throw new RbnError(
        'INVALID_ARGUMENT',
        `createLocalTransportGroup: peer id '${id}' appears more than once`,
      );
    }
    const transport = new LocalTransport(id, { ...config, seed: deriveSeed(seed, id) });
    for (const other of group.values()) LocalTransport.link(transport, other);
    group.set(id, transport);
  }
  return group;
}
