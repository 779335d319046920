import { describeTransportConformance } from '@rbn/transport-conformance';
import { createLocalTransportGroup } from './create-local-transport-group';
import type { LocalTransport } from './local-transport';

function localHarness(config: Parameters<typeof createLocalTransportGroup>[1]) {
  let transports: LocalTransport[] = [];
  return {
    create(count: number) {
      const ids = Array.from({ length: count }, (_, i) => `peer-${i}`);
      transports = [...createLocalTransportGroup(ids, config).values()];
      return Promise.resolve(transports);
    },
    settle() {
      // handlers may answer while being delivered to: repeat until nothing is in flight
      for (let round = 0; round < 100 && transports.some((t) => t.pendingCount > 0); round++) {
        for (const t of transports) t.flush();
      }
      return Promise.resolve();
    },
    cleanup() {
      for (const t of transports) t.disconnectAll();
      transports = [];
      return Promise.resolve();
    },
  };
}

describeTransportConformance('LocalTransport', () => localHarness({}));
describeTransportConformance('LocalTransport with latency and jitter', () =>
  localHarness({ latency: 40, jitter: 30, seed: 5 }),
);
