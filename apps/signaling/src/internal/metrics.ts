import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The server's Prometheus metrics, on a registry of its own (never the global one). */
export type ServerMetrics = {
  registry: Registry;
  connections: Gauge;
  rooms: Gauge;
  signalsRelayed: Counter;
  rejects: Counter<'reason'>;
  matchLatency: Histogram;
};

/**
 * Creates the metrics of one server instance.
 * @returns The registry and its metrics.
 */
export function createMetrics(): ServerMetrics {
  const registry = new Registry();
  return {
    registry,
    connections: new Gauge({
      name: 'rbn_signaling_connections',
      help: 'Open WebSocket connections on this server.',
      registers: [registry],
    }),
    rooms: new Gauge({
      name: 'rbn_signaling_rooms',
      help: 'Rooms with at least one peer connected to this server.',
      registers: [registry],
    }),
    signalsRelayed: new Counter({
      name: 'rbn_signaling_signals_relayed_total',
      help: 'Signals accepted and routed to a peer of the same room or group.',
      registers: [registry],
    }),
    rejects: new Counter({
      name: 'rbn_signaling_rejects_total',
      help: 'Refused connections and messages, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    matchLatency: new Histogram({
      name: 'rbn_signaling_match_latency_seconds',
      help: 'Time from the first join of a ?next=N group until it filled.',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
  };
}
