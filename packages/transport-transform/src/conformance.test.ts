import { createLocalTransportGroup } from '@rbn/transport-local';
import type { LocalTransport } from '@rbn/transport-local';
import { describeTransportConformance } from '@rbn/transport-conformance';
import { TransformingTransport } from './transforming-transport';
import type { TransformingTransportConfig } from './transforming-transport';

function transformHarness(
  local: Parameters<typeof createLocalTransportGroup>[1],
  config: TransformingTransportConfig,
) {
  let inner: LocalTransport[] = [];
  let outer: TransformingTransport[] = [];
  return {
    create(count: number) {
      const ids = Array.from({ length: count }, (_, i) => `peer-${i}`);
      inner = [...createLocalTransportGroup(ids, local).values()];
      outer = inner.map((t) => new TransformingTransport(t, config));
      return Promise.resolve(outer);
    },
    settle() {
      for (let round = 0; round < 100 && inner.some((t) => t.pendingCount > 0); round++) {
        for (const t of inner) t.flush();
      }
      return Promise.resolve();
    },
    cleanup() {
      for (const t of outer) t.disconnectAll();
      inner = [];
      outer = [];
      return Promise.resolve();
    },
  };
}

describeTransportConformance('TransformingTransport over LocalTransport', () =>
  transformHarness({}, {}),
);
describeTransportConformance('TransformingTransport (always compress, 1200-byte segments)', () =>
  transformHarness(
    { latency: 30, jitter: 20, seed: 3 },
    { compression: 'always', maxSegmentSize: 1200 },
  ),
);
