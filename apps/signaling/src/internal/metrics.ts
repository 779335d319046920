import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The server's Prometheus metrics, on a registry of its own (never the global one). */
export type ServerMetrics = {
  registry: Registry;
  connections: Gauge;
  rooms: Gauge;
  signalsRelayed: Counter;
  rejects: Counter<'reason'>;
  matchLatency: Histogram;
  graceBufferBytes: Gauge;
  pendingConnections: Gauge;
  redisResubscribes: Counter;
  crashedPeersReaped: Counter;
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
    graceBufferBytes: new Gauge({
      name: 'rbn_signaling_grace_buffer_bytes',
      help: 'Characters held for dropped peers during their resume grace windows.',
      registers: [registry],
    }),
    pendingConnections: new Gauge({
      name: 'rbn_signaling_pending_connections',
      help: 'TCP connections that have not sent their upgrade (or HTTP) request yet.',
      registers: [registry],
    }),
    redisResubscribes: new Counter({
      name: 'rbn_signaling_redis_resubscribes_total',
      help: 'Times the Redis subscription of this process dropped and was restored.',
      registers: [registry],
    }),
    crashedPeersReaped: new Counter({
      name: 'rbn_signaling_crashed_peers_reaped_total',
      help: 'Peers of crashed processes (expired heartbeat) this process removed from Redis.',
      registers: [registry],
    }),
  };
}
